"""Service: how JupyterLab is kept running (systemd system/user unit, background, or by hand).

The one place the front-ends read wizard.plan.service (managers, validation).
"""

from __future__ import annotations

import pwd

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_
from wizard.forms.fields import Choice, FieldSpec
from wizard.plan.service import step as service
from wizard.plan.service.managers import REGISTRY
from wizard.probe.facts import Facts

TITLE = N_("Service: keep JupyterLab running")

MANAGER = FieldSpec("manager", N_("Manager"), question=N_("Keep JupyterLab running with"))
NAME = FieldSpec("name", N_("Service name"), help=N_("the unit is <name>.service"))
USER = FieldSpec(
    "user",
    N_("Run as user"),
    help=N_("empty = you (or the sudo user when run as root)"),
    empty=N_("you"),
)
ALLOW_ROOT = FieldSpec("allow_root", N_("Run as root anyway (allow_root)"))
ENABLE = FieldSpec(
    "enable", N_("Start at boot / login (enable)"), question=N_("Start at boot / login?")
)


ROOT_RISK = N_(
    "! JupyterLab would run as root: whoever logs in to it (the password or a leaked token) "
    "can read, change or delete anything on this machine. Prefer a normal account in "
    '"Run as user"; tick this only if you accept that.'
)


def managers() -> list[Choice]:
    return [Choice(kind, manager.label) for kind, manager in REGISTRY.items()]


def suggested(answers: Answers, facts: Facts) -> Answers:
    """First setup: a manager that keeps JupyterLab running on this machine, instead of "none"
    (which leaves starting it to you): a system unit under sudo where systemd runs, else the
    background manager (any Linux, no root needed). Logged in as root itself, the service would
    run as root: that stays a choice the person makes, never a default."""
    if answers.service.manager != "none" or facts.person.uid == 0:
        return answers
    root = facts.euid == 0
    manager = "systemd-system" if facts.systemd_running and root else "background"
    return answers.replace("service", manager=manager)


def managed(manager: str | None) -> bool:
    """A manager keeps it running: then its name, user and enable are asked."""
    return manager not in (None, "none")


def runs_as_root(answers: Answers, facts: Facts | None) -> bool:
    """The service would run as root (uid 0): only then is allow_root asked."""
    if facts is None or not managed(answers.service.manager):
        return False
    try:
        return pwd.getpwnam(service.service_user(answers, facts)).pw_uid == 0
    except KeyError:
        return False


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    """The service step's problems, with the defaults the planner fills in (its root dir)."""
    return service.validate(service.with_defaults(answers, facts), facts)


SUDO_HINT = N_(
    "A system service needs root. Press Ctrl+S to restart the wizard with sudo, keeping your "
    "answers (only the password is typed again: it is never written down)."
)


def needs_sudo(manager: str | None, facts: Facts | None) -> bool:
    """The chosen manager needs root, and the wizard does not have it."""
    kind = REGISTRY.get(manager or "")
    return kind is not None and kind.needs_root and facts is not None and facts.euid != 0
