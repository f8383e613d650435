"""What every service manager is: the ServiceManager protocol, the state it reports, and how
JupyterLab is launched (the same for every manager; each one writes it down its own way).

A manager is one module (systemd.py, background.py, none.py) registered in managers.py; nothing
outside its module asks which concrete manager it is.
"""

from __future__ import annotations

import pwd
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from wizard.core.errors import Problem, WizardError
from wizard.core.i18n import _

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.plan.actions import Action
    from wizard.plan.plan import Note
    from wizard.probe.facts import Facts


class ServiceError(WizardError):
    """A service command failed (the message says which and why)."""

    exit_code = 1


@dataclass
class ServiceState:
    manager: str  # "systemd-system" | "systemd-user" | "background" | "none"
    name: str
    installed: bool
    active_state: str | None  # "active" | "inactive" | "failed" | "activating" | ...
    sub_state: str | None
    main_pid: int | None
    since: float | None  # epoch seconds of the last state change
    n_restarts: int | None
    exit_status: int | None
    enabled: bool | None

    @property
    def active(self) -> bool:
        return self.active_state == "active"


def describe(st: ServiceState, *, status_line: bool = False) -> str:
    """One line for people about a service state, the one place that words it.

    `service status`: `jupyterlab.service (systemd-system): active/running, pid 42, since ...,
    starts at boot`; the status screen and `status --once` (status_line):
    `systemd-system jupyterlab.service: active (running), pid 42, since ..., enabled`.
    """
    if st.manager == "none":
        return _('no service is set up (service.manager = "none")')
    head = f"{st.manager} {st.name}" if status_line else f"{st.name} ({st.manager})"
    if not st.installed:
        return _("{service}: not installed").format(service=head)
    if status_line:
        parts = [f"{st.active_state or '?'} ({st.sub_state or '?'})"]
        at_boot, not_at_boot = _("enabled"), _("not enabled at boot")
    else:
        parts = [f"{st.active_state}/{st.sub_state}"]
        at_boot, not_at_boot = _("starts at boot"), _("does not start at boot")
    if st.main_pid:
        parts.append(_("pid {pid}").format(pid=st.main_pid))
    if st.since:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.since))
        parts.append(_("since {time}").format(time=since))
    if st.enabled is not None:
        parts.append(at_boot if st.enabled else not_at_boot)
    if st.n_restarts:
        parts.append(_("{n} restart(s)").format(n=st.n_restarts))
    if st.exit_status:
        parts.append(_("last exit status {status}").format(status=st.exit_status))
    return f"{head}: " + ", ".join(parts)


@dataclass(frozen=True)
class Launch:
    """How JupyterLab runs, whichever manager keeps it running."""

    jupyter_lab: str  # the chosen environment's jupyter-lab
    config_dir: str  # JUPYTER_CONFIG_DIR
    root_dir: str  # working directory
    user: pwd.struct_passwd  # the service user
    other_user: bool  # the service user is not the one running the wizard

    @property
    def as_root(self) -> bool:
        return self.user.pw_uid == 0


@dataclass
class Installation:
    """The plan actions that install a manager's definition of the service."""

    actions: list[Action]  # e.g. verify + write the unit; the last one is `installed`
    installed: Action  # a change here means a restart
    runnable: bool = True  # False: written for later (no systemd here): no enable/start/check
    then: list[Action] = field(default_factory=list)  # after enabling (e.g. lingering)
    notes: list[Note] = field(default_factory=list)


class ServiceManager(Protocol):
    """One way of keeping JupyterLab running. Instances control one named service."""

    kind: ClassVar[str]  # the answers' service.manager value
    label: ClassVar[str]  # for people choosing one
    supports_boot: ClassVar[bool]  # can start at boot: enable/disable mean something
    may_run_as_other_user: ClassVar[bool]  # the service user may differ from the wizard's
    needs_root: ClassVar[bool]  # only root can install it (a system unit)
    needs_reload: ClassVar[bool]  # a changed definition file must be re-read (reload())
    name: str  # the answers' service.name
    config_dir: str

    @property
    def title(self) -> str:
        """What people and the manager call it: jupyterlab.service, jupyterlab."""

    def state(self) -> ServiceState: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def restart(self) -> None: ...
    def enable(self) -> None: ...
    def disable(self) -> None: ...
    def reload(self) -> None:
        """Re-read a changed or restored definition (systemd: daemon-reload); clears 'failed'."""

    def reset_failed(self) -> None: ...
    def journal(self, lines: int = 50) -> str: ...
    def command_line(self, verb: str) -> str:
        """How a preview shows `verb` (start, stop, restart, enable, disable, daemon-reload)."""

    def defines(self, path: Path) -> bool:
        """Is `path` the file that defines this service (its unit, its launch spec)?"""

    def try_restart_argv(self) -> list[str] | None:
        """A command root runs (e.g. from a certificate's renewal hook) that restarts the
        service only if it is running; None: this manager has none."""

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        """What this manager needs of the machine and the service user."""

    def install(self, launch: Launch, facts: Facts) -> Installation:
        """The actions that write this manager's definition of the service."""
