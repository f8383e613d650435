"""prepare -> plan -> apply -> record: the one path every front-end takes.

`apply ANSWERS.toml`, the TUI and --plain all call these, so the same answers give the same
plan whichever front-end made them. The session prints nothing: front-ends render the plan,
the apply events and the access instructions themselves.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.apply.engine import ApplyResult, apply_plan
from wizard.apply.events import ApplyEvent, Finished, Output
from wizard.core import grammar
from wizard.core.answers import Answers, parse_answers, save_answers
from wizard.core.errors import InputError, WizardError
from wizard.core.fileops import file_stat, read_file, remove_file
from wizard.core.i18n import _
from wizard.core.record import load_current, save_current
from wizard.plan.access import AccessInfo
from wizard.plan.access import instructions as access_instructions
from wizard.plan.actions import Action
from wizard.plan.plan import Plan
from wizard.plan.planner import build_plan
from wizard.plan.secrets import Secrets
from wizard.plan.service.step import default_config_dir, service_user
from wizard.plan.steps.install import resolve_answers
from wizard.probe.facts import Facts, probe
from wizard.probe.person import person as current_person

Prober = Callable[[str | None, str | None], Facts]


def resolve(answers: Answers) -> Answers:
    """The answers with what they leave open filled in, as they are saved after an apply: the
    interpreter (the wizard's own, or the new venv's) and the venv path."""
    answers = resolve_answers(answers)
    if not answers.jupyter.python:
        answers = answers.replace("jupyter", python=sys.executable)
    return answers


def probe_target(answers: Answers) -> tuple[str | None, str | None]:
    """(interpreter, config dir) to probe for these answers: the service user's config dir when
    the service runs as someone else (None: the interpreter's own user config dir)."""
    return (
        answers.jupyter.python or None,
        answers.jupyter.config_dir or default_config_dir(answers),
    )


def facts_for(answers: Answers, facts: Facts | None = None, *, prober: Prober = probe) -> Facts:
    """Facts about what these answers target: `facts` when they were taken for that, else new."""
    target = probe_target(answers)
    if facts is not None and facts.probed_for == target:
        return facts
    return prober(*target)


@dataclass(frozen=True)
class Planned:
    """A plan with the resolved answers and the facts it was made from (what apply records)."""

    answers: Answers
    facts: Facts
    plan: Plan


def plan(
    answers: Answers,
    secrets: Secrets | None = None,
    facts: Facts | None = None,
    *,
    prober: Prober = probe,
    check_config: bool = True,
) -> Planned:
    """Resolve, probe (unless `facts` fit) and plan; raises InputError with every problem.
    The would-be config is loaded by the target's Jupyter (`check_config`) unless the answers
    install it first (then the gate after the config write checks it)."""
    bad = grammar.problems(answers)  # before anything reads the machine with these values
    if bad:
        raise InputError(bad)
    answers = resolve(answers)
    facts = facts_for(answers, facts, prober=prober)
    plan = build_plan(answers, facts, secrets, previous=load_current(), check_config=check_config)
    return Planned(of_record(answers, facts), facts, plan)


def of_record(answers: Answers, facts: Facts) -> Answers:
    """The answers as the setup of record: what they left to defaults written out (the config
    dir, the service user), so status and doctor find the setup whoever runs them (a setup
    made with sudo is read by its user without sudo)."""
    if not answers.jupyter.config_dir:
        answers = answers.replace("jupyter", config_dir=facts.config_dir)
    if answers.service.manager != "none" and not answers.service.user:
        answers = answers.replace("service", user=service_user(answers, facts))
    return answers


def apply(
    planned: Planned,
    *,
    on_event: Callable[[ApplyEvent], None] = lambda event: None,
    cancelled: threading.Event | None = None,
    todo: list[Action] | None = None,
) -> ApplyResult:
    """Apply the plan (a transaction: rolled back on failure) and record the answers as the
    setup of record; events go to `on_event`, the last one Finished."""

    def relay(event: ApplyEvent) -> None:
        if not (isinstance(event, Finished) and event.result is not None):
            on_event(event)  # success is reported below, once the answers are recorded

    result = apply_plan(planned.plan, on_event=relay, cancelled=cancelled, todo=todo)
    try:
        save_current(planned.answers)
    except (OSError, WizardError) as exc:  # applied all the same: say so, and what it means
        on_event(
            Output(None, _("warning: the setup of record was not saved ({error}); status, doctor "
                           "and the next wizard run will not know this setup").format(error=exc))
        )  # fmt: skip
    on_event(Finished(result))
    return result


def instructions(answers: Answers, facts: Facts) -> AccessInfo:
    """How the person reaches JupyterLab with these answers."""
    return access_instructions(answers, facts)


def hand_over(answers: Answers) -> Path:
    """The answers so far, for the same wizard restarted with sudo: a 0600 file of the person's
    (never the password: that is typed again). `take_over` reads it as root and removes it."""
    fd, name = tempfile.mkstemp(prefix="jupyter-setup-wizard-", suffix=".toml")
    os.close(fd)
    path = Path(name)
    save_answers(answers.replace("password", hashed_password=""), path)
    return path


def take_over(path: Path) -> Answers:
    """The answers an unprivileged run handed over (see hand_over). As root the file must be
    the sudo user's own, a regular file not writable by others, never read through a link."""
    st = file_stat(path)
    who = current_person()
    if st is None or not stat.S_ISREG(st.st_mode):
        raise InputError(
            _("--resume: {path} is not a file the wizard handed over").format(path=path)
        )
    if st.st_uid not in (os.geteuid(), who.uid) or st.st_mode & 0o022:
        raise InputError(
            _("--resume: {path} is not yours alone; start the wizard again").format(path=path)
        )
    data = read_file(path) or b""
    remove_file(path)
    return parse_answers(data, str(path))
