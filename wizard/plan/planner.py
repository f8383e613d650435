"""From answers and facts to a validated plan: the one path the TUI, --plain and `apply` share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from wizard.core import grammar
from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import nearest_existing
from wizard.core.i18n import _
from wizard.plan import access
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.secrets import Secrets
from wizard.plan.service import step as service
from wizard.plan.steps import config_check, install, kernels, network, password
from wizard.plan.steps.config import plan_jupyter_config
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import TraitKey


@dataclass(frozen=True)
class Resolved:
    """The answers resolved once, before any step checks or plans: the facts are about the
    interpreter JupyterLab will run from (create-venv: the venv-to-be, predicted), and what
    depends on whom it runs as is filled in (the notebook root is that user's home)."""

    answers: Answers
    facts: Facts


def resolve(answers: Answers, facts: Facts) -> Resolved:
    """Raises InputError when the interpreter to make the venv with cannot be run."""
    facts = install.target_facts(answers, facts)
    answers = service.with_defaults(answers, facts)
    return Resolved(answers, kernels.with_kernel_facts(answers, facts))


def validate(answers: Answers, facts: Facts, secrets: Secrets) -> list[Problem]:
    """Every problem with the answers at once, each tied to its field."""
    bad = grammar.problems(answers)
    if bad:  # the steps' checks would only trip over these values
        return bad
    try:
        return _problems(resolve(answers, facts), secrets)
    except InputError as exc:
        return exc.problems


def _problems(r: Resolved, secrets: Secrets) -> list[Problem]:
    answers, facts = r.answers, r.facts
    problems = install.validate(answers, facts)
    problems += kernels.validate(answers, facts)
    problems += network.validate(answers.network, facts)
    problems += password.validate_hash(answers.password.hashed_password)
    if secrets.password is not None and not secrets.password:
        problems.append(Problem("password", _("the password is empty")))
    problems += service.validate(answers, facts)
    problems += access.validate(answers, facts)
    return problems


def build_plan(
    answers: Answers,
    facts: Facts,
    secrets: Secrets | None = None,
    *,
    previous: Answers | None = None,
    check_config: bool = False,
) -> Plan:
    """Validate, then lay out every action, each step in its place from the one resolved
    value. Raises InputError with all problems at once. `previous`: the setup of record (what
    it set that these answers do not is taken back); `check_config`: load the would-be config
    with the target's Jupyter before anything is applied (a subprocess: seconds)."""
    secrets = secrets or Secrets()
    bad = grammar.problems(answers)
    if bad:
        raise InputError(bad)
    r = resolve(answers, facts)
    problems = _problems(r, secrets)
    if problems:
        raise InputError(problems)
    answers, facts = r.answers, r.facts
    plan = Plan("setup")
    hashed = password.resolve_hash(facts, answers.password.hashed_password, secrets.password)
    if not hashed:
        if not network.is_loopback(answers.network.ip):
            needs = _("binding to {ip} (beyond loopback)").format(ip=answers.network.ip)
        elif access.needs_password(answers):
            needs = _("access method {method}").format(method=answers.access.method)
        else:
            needs = ""
        if needs:
            raise InputError(
                [
                    Problem(
                        "password", _("{needs} needs a password; set one first").format(needs=needs)
                    )
                ]
            )
        plan.note(
            "warning", _("no password: Jupyter will use a random token (see its log or `status`)")
        )
    if not network.is_loopback(answers.network.ip):
        plan.note(
            "risk",
            _(
                "Jupyter will listen on {ip}: anyone who can reach this machine can try the password; consider TLS or an SSH tunnel"
            ).format(ip=answers.network.ip),
        )
    desired: dict[TraitKey, Any] = network.settings(answers.network)
    desired.update(access.jupyter_settings(answers, facts))
    if hashed:
        desired[password.MODERN_KEY] = hashed
    for lst in facts.listeners_on(answers.network.port):
        # A managed service is restarted by the plan itself; only a hand-started server needs telling.
        if answers.service.manager == "none" and network.is_jupyter_process(lst.process):
            plan.note(
                "info",
                _(
                    "port {port} is held by a running Jupyter ({describe}); restart it to use the new settings"
                ).format(port=answers.network.port, describe=lst.describe()),
            )
    plan.actions += access.prerequisites(answers, facts)  # a certificate: first, as it may fail
    install.plan_install(plan, answers, facts, previous)
    installs = list(plan.actions)
    kernels.plan_kernels(plan, answers, facts)  # the server reads kernelspecs afresh: no restart
    n = len(plan.actions)
    owner = service.config_owner(answers, facts)
    released = _released(previous, facts, desired)
    plan_jupyter_config(plan, facts, desired, owner=owner, released=released)
    checked = None
    if check_config and answers.install.action == "keep" and config_check.can_check(facts):
        checked = config_check.check_before(plan, facts, desired, run_as=owner)
    _plan_config_gates(plan, answers, facts, desired, owner, checked)
    # A change in what JupyterLab runs from or reads means a restart of the service.
    restart_after = installs + plan.actions[n:]
    first = service.plan_service(plan, answers, facts, restart_after=restart_after)
    access.plan_access(plan, answers, facts, proxy_password=secrets.proxy_password)
    plan.actions[:0] = first  # e.g. the service's state: its undo runs last, after every restore
    problems = preflight(plan)
    if problems:
        raise InputError(problems)
    return plan


def _released(
    previous: Answers | None, facts: Facts, desired: dict[TraitKey, Any]
) -> dict[TraitKey, Any]:
    """What the previous setup's access method wrote into this config dir that these answers
    do not set (switching from direct with TLS to ssh-tunnel takes its certfile back)."""
    if previous is None or previous.jupyter.config_dir not in ("", facts.config_dir):
        return {}
    try:
        before = access.jupyter_settings(previous, facts)
    except InputError:
        return {}
    return {k: v for k, v in before.items() if k not in desired}


def _plan_config_gates(
    plan: Plan,
    answers: Answers,
    facts: Facts,
    desired: dict[TraitKey, Any],
    owner: tuple[int, int] | None,
    checked: config_check.Checked | None,
) -> None:
    """After install and config: Jupyter loads what was meant; with no service to start it,
    a brief real start proves it starts (a service's own health check does that otherwise)."""
    interp = facts.interpreter
    if interp is None:
        return  # validation reported it
    changed = list(plan.actions)
    plan.actions.append(
        config_check.ConfigGate(
            interp.executable,
            facts.config_dir,
            desired,
            run_as=owner,
            after=changed,
            checked=checked,
            before=None if checked else config_check.as_they_are(plan, facts),
        )
    )
    if answers.service.manager == "none":
        root = str(desired.get(("ServerApp", "root_dir")) or "/")
        plan.actions.append(
            config_check.TrialStart(
                interp.jupyter_lab_bin, facts.config_dir, run_as=owner, cwd=root, after=changed
            )
        )


def preflight(plan: Plan) -> list[Problem]:
    """Catch what would make a file write fail, before anything changes."""
    problems = []
    for action in plan.actions:
        if not isinstance(action, WriteFile):
            continue
        path = action.path
        if path.exists() and not path.is_file():
            problems.append(
                Problem(
                    "files",
                    _("{path} exists but is not a regular file; move it away").format(path=path),
                )
            )
            continue
        if action.is_noop():
            continue
        where = nearest_existing(path.parent)
        if not where.is_dir() or not os.access(where, os.W_OK | os.X_OK):
            problems.append(
                Problem(
                    "files",
                    _("cannot write {path}: {where} is not writable by this user").format(
                        path=path, where=where
                    ),
                )
            )
    return problems
