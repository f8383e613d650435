"""Service step: how JupyterLab is kept running, whichever manager does it (managers.py).

Here: who the service runs as and what that user must be able to reach; the manager validates
and installs its own definition (a unit, a launch spec). Plan, in order: (first in the whole
plan) a snapshot of the service state, restored if the apply fails; after the config writes:
config files given to the service user, the manager's definition (e.g. `systemd-analyze
verify`, the unit file + daemon-reload), enable (managers that start at boot), what comes after
enabling (e.g. lingering), start or restart once, health gate.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Sequence
from pathlib import Path

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.grammar import unit_name_problem
from wizard.core.i18n import _
from wizard.plan.actions import Action
from wizard.plan.plan import Plan
from wizard.plan.service.actions import EnsureRunning, ServiceSnapshot, SetEnabled
from wizard.plan.service.base import Launch
from wizard.plan.service.health import HealthGate
from wizard.plan.service.managers import MANAGERS, REGISTRY, controller
from wizard.plan.steps.install import default_base_python
from wizard.probe.facts import Facts
from wizard.probe.person import Person, person

HEALTH_TIMEOUT = 60.0


# --------------------------------------------------------------------------- who and where


def service_user(answers: Answers, facts: Facts) -> str:
    """Who the service runs as: the answer, else the person (under sudo: who ran sudo)."""
    return answers.service.user or facts.person.name


def jupyter_user(answers: Answers, who: Person) -> str:
    """Who JupyterLab will run as: the service user when the manager may run it as someone
    else, otherwise the person (who starts it themselves, or whose own user unit it is)."""
    if answers.service.user and _may_run_as_other_user(answers.service.manager):
        return answers.service.user
    return who.name


def _other_user(answers: Answers, who: Person, euid: int) -> pwd.struct_passwd | None:
    """The passwd entry of whom JupyterLab runs as, when that is not the wizard's own user."""
    try:
        pw = pwd.getpwnam(jupyter_user(answers, who))
    except KeyError:
        return None
    return pw if pw.pw_uid != euid else None


def default_config_dir(answers: Answers) -> str | None:
    """Config dir default when JupyterLab runs as someone else (under sudo: the person, or the
    service user): that user's ~/.jupyter. None: the interpreter's own user config dir."""
    if answers.jupyter.config_dir:
        return None
    pw = _other_user(answers, person(), os.geteuid())
    return str(Path(pw.pw_dir) / ".jupyter") if pw is not None else None


def _may_run_as_other_user(kind: str) -> bool:
    manager = REGISTRY.get(kind)
    return manager is not None and manager.may_run_as_other_user


def with_defaults(answers: Answers, facts: Facts) -> Answers:
    """Fill what depends on whom JupyterLab runs as: the notebook root is their home, not root's."""
    pw = _other_user(answers, facts.person, facts.euid)
    if pw is not None and not answers.network.root_dir:
        return answers.replace("network", root_dir=pw.pw_dir)
    return answers


def _groups_of(pw: pwd.struct_passwd) -> set[int]:
    return {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if pw.pw_name in g.gr_mem}


def _allowed(st: os.stat_result, pw: pwd.struct_passwd, groups: set[int], bits: int) -> bool:
    """Would `pw` get permission `bits` (r=4, w=2, x=1) on a file with this stat?"""
    if pw.pw_uid == 0:
        return True
    if st.st_uid == pw.pw_uid:
        return (st.st_mode >> 6) & bits == bits
    if st.st_gid in groups:
        return (st.st_mode >> 3) & bits == bits
    return st.st_mode & bits == bits


def unreachable_for(path: str, pw: pwd.struct_passwd, bits: int) -> str | None:
    """Why `pw` could not use `path` (each parent directory must be searchable), or None."""
    groups = _groups_of(pw)
    p = Path(path)
    for parent in reversed(p.parents):
        try:
            st = parent.stat()
        except OSError:
            return None  # does not exist (yet): other checks report it
        if not _allowed(st, pw, groups, 1):
            return _("{path} (mode {mode}) is closed to {user}").format(
                path=parent, mode=f"{stat.S_IMODE(st.st_mode):04o}", user=pw.pw_name
            )
    try:
        st = p.stat()
    except OSError:
        return None
    if not _allowed(st, pw, groups, bits):
        need = "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if bits & b)
        return _("{path} is not {need} for {user} (mode {mode})").format(
            path=p, need=need, user=pw.pw_name, mode=f"{stat.S_IMODE(st.st_mode):04o}"
        )
    return None


# --------------------------------------------------------------------------- validation


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    """The service's problems; `answers` as the planner resolved them (with_defaults)."""
    svc = answers.service
    if svc.manager not in MANAGERS:
        return [
            Problem(
                "service.manager", _("must be one of: {items}").format(items=", ".join(MANAGERS))
            )
        ]
    problems: list[Problem] = []
    if (bad_name := unit_name_problem("service.name", svc.name)) is not None:
        problems.append(bad_name)
    if svc.manager == "none":
        return problems
    user = service_user(answers, facts)
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return [
            *problems,
            Problem(
                "service.user", _("there is no user {user!r} on this machine").format(user=user)
            ),
        ]
    if pw.pw_uid == 0 and not svc.allow_root:
        why = "" if svc.user else _(" (no sudo user to default to)")
        problems.append(
            Problem(
                "service.user",
                _(
                    "JupyterLab would run as root{why}, so anyone who logs in to it owns the machine; set user to a normal account, or set allow_root = true to accept that"
                ).format(why=why),
            )
        )
    if pw.pw_uid == 65534:
        problems.append(
            Problem(
                "service.user",
                _(
                    "{user} is shared by unrelated daemons; use a real account (e.g. useradd --create-home jupyter)"
                ).format(user=user),
            )
        )
    problems += controller(svc, config_dir=facts.config_dir).validate(answers, facts, pw)
    if pw.pw_uid != facts.euid and pw.pw_uid != 0:
        problems += _access_problems(answers, facts, pw)
    return problems


def _access_problems(answers: Answers, facts: Facts, pw: pwd.struct_passwd) -> list[Problem]:
    """Can the service user reach the environment, the notebooks and the config dir?"""
    problems = []
    if facts.interpreter is not None:
        why = unreachable_for(facts.interpreter.jupyter_lab_bin, pw, 5)
        if why:
            problems.append(
                Problem(
                    "jupyter.python",
                    _(
                        "{pw_name} cannot run {jupyter_lab_bin}: {why}; use an environment {pw_name} can read (e.g. a venv in /opt)"
                    ).format(
                        pw_name=pw.pw_name,
                        jupyter_lab_bin=facts.interpreter.jupyter_lab_bin,
                        why=why,
                    ),
                )
            )
    elif answers.install.action == "create-venv":
        # The new venv's python is a link to the base: a base under /root (pyenv, as root
        # under sudo) makes a venv its service user cannot start.
        base = facts.base_interpreter.executable if facts.base_interpreter else None
        base = base or answers.install.base_python or default_base_python()
        # Both: the venv links to the path as given, which links on to the real one.
        why = unreachable_for(base, pw, 5) or unreachable_for(os.path.realpath(base), pw, 5)
        if why:
            problems.append(
                Problem(
                    "install.base_python",
                    _(
                        "{user} could not start a venv made from {base}: {why}; set "
                        "install.base_python to a Python {user} can run (e.g. /usr/bin/python3)"
                    ).format(user=pw.pw_name, base=base, why=why),
                )
            )
    root_dir = answers.network.root_dir
    if root_dir and Path(root_dir).is_dir():
        why = unreachable_for(root_dir, pw, 7)
        if why:
            problems.append(
                Problem(
                    "network.root_dir",
                    _(
                        "{pw_name} cannot work in {root_dir}: {why}; choose a directory {pw_name} owns (e.g. {pw_dir})"
                    ).format(pw_name=pw.pw_name, root_dir=root_dir, why=why, pw_dir=pw.pw_dir),
                )
            )
    cdir = Path(facts.config_dir)
    if cdir.exists():
        st = cdir.stat()
        if st.st_uid != pw.pw_uid:
            owner = _user_name(st.st_uid)
            problems.append(
                Problem(
                    "jupyter.config_dir",
                    _(
                        "{cdir} belongs to {owner}, but {pw_name} must own it (JupyterLab saves its settings there): use {pw_dir}/.jupyter, or chown -R {pw_name}: {cdir}"
                    ).format(cdir=cdir, owner=owner, pw_name=pw.pw_name, pw_dir=pw.pw_dir),
                )
            )
    else:
        why = unreachable_for(str(cdir), pw, 7)
        if why:
            problems.append(
                Problem(
                    "jupyter.config_dir",
                    _("{pw_name} could not reach {cdir}: {why}").format(
                        pw_name=pw.pw_name, cdir=cdir, why=why
                    ),
                )
            )
    return problems


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# --------------------------------------------------------------------------- plan


def health_host(ip: str) -> str:
    """Where the health gate knocks: loopback for the wildcard bindings, else the address itself."""
    if ip in ("all", "0.0.0.0", "", "localhost"):
        return "127.0.0.1"
    if ip == "::":
        return "::1"
    return ip


def config_owner(answers: Answers, facts: Facts) -> tuple[int, int] | None:
    """Who must own the Jupyter config that root writes: the user JupyterLab runs as."""
    pw = _other_user(answers, facts.person, facts.euid)
    if facts.euid != 0 or pw is None or pw.pw_uid == 0:
        return None
    return pw.pw_uid, pw.pw_gid


def plan_service(
    plan: Plan, answers: Answers, facts: Facts, *, restart_after: Sequence[Action]
) -> list[Action]:
    """Add the service's actions; returns those that go first in the whole plan. A change by
    any of `restart_after` (install, config) means a restart."""
    svc = answers.service
    if svc.manager == "none":
        return []
    if facts.interpreter is None:
        return []  # validation reported it
    pw = pwd.getpwnam(service_user(answers, facts))
    ctl = controller(svc, config_dir=facts.config_dir)
    launch = Launch(
        jupyter_lab=facts.interpreter.jupyter_lab_bin,
        config_dir=facts.config_dir,
        root_dir=answers.network.root_dir or facts.person.home,
        user=pw,
        other_user=pw.pw_uid != facts.euid,
    )
    installation = ctl.install(launch, facts)
    plan.actions += installation.actions
    plan.notes += installation.notes
    installed = installation.installed
    if not installation.runnable:
        return []
    if ctl.supports_boot:
        plan.actions.append(SetEnabled(ctl, svc.enable))
    plan.actions += installation.then
    run = EnsureRunning(ctl, [*restart_after, installed])
    gate = HealthGate(
        ctl,
        host=health_host(answers.network.ip),
        port=answers.network.port,
        base_url=answers.network.base_url,
        after=run,
        timeout=HEALTH_TIMEOUT,
    )
    plan.actions += [run, gate]
    snapshot = ServiceSnapshot(ctl)
    snapshot.dependents = [run]
    return [snapshot]
