"""systemd: a system unit in /etc/systemd/system running as a normal user, or a user unit in
~/.config/systemd/user with lingering. State from one `systemctl show`; the unit rendered by
unit.py, checked with `systemd-analyze verify` before it is installed.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shlex
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.plan.plan import Note
from wizard.plan.service.base import Installation, Launch, ServiceError, ServiceState
from wizard.plan.service.systemd_actions import EnableLinger, InstallUnit, VerifyUnit
from wizard.plan.service.unit import UnitSpec, render_unit, unit_dir

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.facts import Facts


def unit_name(name: str) -> str:
    return name if name.endswith(".service") else f"{name}.service"


_SHOW_PROPS = (
    "LoadState",
    "ActiveState",
    "SubState",
    "MainPID",
    "NRestarts",
    "ExecMainStatus",
    "UnitFileState",
    "StateChangeTimestampMonotonic",
)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def monotonic_usec_to_epoch(usec: int) -> float:
    """systemd's CLOCK_MONOTONIC stamps (usec) as epoch seconds (same clock as time.monotonic)."""
    return time.time() - (time.monotonic() - usec / 1e6)


class SystemdManager:
    """A systemd unit: system scope (subclass SystemUnit) or the user's own (UserUnit)."""

    kind: ClassVar[str]
    label: ClassVar[str]
    scope: ClassVar[str]  # "system" | "user"
    needs_reload: ClassVar[bool] = True
    supports_boot: ClassVar[bool] = True
    may_run_as_other_user: ClassVar[bool]
    needs_root: ClassVar[bool]

    def __init__(self, name: str, *, config_dir: str = "", timeout: float = 90.0) -> None:
        self.name = name
        self.config_dir = config_dir
        self.unit = unit_name(name)
        self.timeout = timeout

    @property
    def title(self) -> str:
        return self.unit

    @property
    def user_scope(self) -> bool:
        return self.scope == "user"

    @property
    def manager(self) -> str:
        return self.kind

    def _scope(self) -> list[str]:
        return ["--user"] if self.user_scope else []

    def systemctl_argv(self, *args: str) -> list[str]:
        return ["systemctl", *self._scope(), *args]

    def _run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if shutil.which(argv[0]) is None:
            raise ServiceError(
                _("{argv} is not installed: this machine has no systemd").format(argv=argv[0])
            )
        try:
            r = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(
                _("{items} did not finish in {timeout:.0f}s").format(
                    items=" ".join(argv), timeout=self.timeout
                )
            ) from exc
        if check and r.returncode != 0:
            detail = (r.stderr or r.stdout).strip()
            raise ServiceError(
                f"{' '.join(argv)} failed (status {r.returncode})"
                + (f": {detail}" if detail else "")
            )
        return r

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(self.systemctl_argv("--no-pager", *args), check=check)

    def state(self) -> ServiceState:
        props: dict[str, str] = {}
        with contextlib.suppress(ServiceError):
            r = self.systemctl("show", self.unit, "-p", ",".join(_SHOW_PROPS), check=False)
            for line in r.stdout.splitlines():
                key, _sep, value = line.partition("=")
                props[key] = value
        installed = props.get("LoadState") == "loaded"
        ufs = props.get("UnitFileState", "")
        enabled = (
            True
            if ufs in ("enabled", "enabled-runtime", "linked", "linked-runtime", "alias")
            else (False if ufs else None)
        )
        pid = _int(props.get("MainPID"))
        mono = _int(props.get("StateChangeTimestampMonotonic"))
        return ServiceState(
            manager=self.manager,
            name=self.unit,
            installed=installed,
            active_state=props.get("ActiveState") or None,
            sub_state=props.get("SubState") or None,
            main_pid=pid or None,
            since=monotonic_usec_to_epoch(mono) if mono else None,
            n_restarts=_int(props.get("NRestarts")),
            exit_status=_int(props.get("ExecMainStatus")),
            enabled=enabled if installed else None,
        )

    def start(self) -> None:
        self.systemctl("start", self.unit)

    def stop(self) -> None:
        self.systemctl("stop", self.unit)

    def restart(self) -> None:
        self.systemctl("restart", self.unit)

    def enable(self) -> None:
        self.systemctl("enable", self.unit)

    def disable(self) -> None:
        self.systemctl("disable", self.unit)

    def reload(self) -> None:
        self.systemctl("daemon-reload")
        self.reset_failed()

    def reset_failed(self) -> None:
        self.systemctl("reset-failed", self.unit, check=False)

    def command_line(self, verb: str) -> str:
        args = (verb,) if verb == "daemon-reload" else (verb, self.unit)
        return "$ " + shlex.join(self.systemctl_argv(*args)) + "\n"

    def try_restart_argv(self) -> list[str] | None:
        # A user unit lives in its user's manager, which root's `systemctl --user` is not.
        return None if self.user_scope else self.systemctl_argv("try-restart", self.unit)

    def defines(self, path: Path) -> bool:
        return path.name == self.unit

    def journal(self, lines: int = 50) -> str:
        argv = [
            "journalctl",
            *self._scope(),
            "-u",
            self.unit,
            "-n",
            str(lines),
            "--no-pager",
            "--no-hostname",
            "-q",
        ]
        try:
            r = self._run(argv, check=False)
        except ServiceError as exc:
            return str(exc)
        return (r.stdout + r.stderr).rstrip("\n")

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        return []  # the scopes say what they need

    def install(self, launch: Launch, facts: Facts) -> Installation:
        """Verify, then write the unit (and reload); a user unit also asks for lingering."""
        system = self.scope == "system"
        spec = UnitSpec(
            self.scope,
            jupyter_lab=launch.jupyter_lab,
            config_dir=launch.config_dir,
            working_dir=launch.root_dir,
            user=launch.user.pw_name if system else "",
            group=grp.getgrgid(launch.user.pw_gid).gr_name if system else "",
            allow_root=launch.as_root,
        )
        content = render_unit(spec)
        path = unit_dir(self.scope, pwd.getpwuid(facts.euid).pw_dir) / self.unit
        installed = InstallUnit(
            path, content, self, owner=(0, 0) if system else None, reload=facts.systemd_running
        )
        verify = VerifyUnit(self.unit, content, scope=self.scope, install=installed)
        out = Installation([verify, installed], installed, runnable=facts.systemd_running)
        if not facts.systemd_running:
            out.notes.append(Note("warning", no_systemd_sentence(facts)))
            return out
        if not system:
            name = launch.user.pw_name
            out.then.append(EnableLinger(name))
            if not Path("/var/lib/systemd/linger", name).exists():
                out.notes.append(
                    Note(
                        "info",
                        _(
                            "lingering lets {user}'s service run without a login; if it cannot be "
                            "enabled, the service stops at logout"
                        ).format(user=name),
                    )
                )
        return out


class SystemUnit(SystemdManager):
    kind = "systemd-system"
    needs_root = True
    label = N_("systemd system service (starts at boot; needs root)")
    scope = "system"
    may_run_as_other_user = True

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        if facts.euid == 0:
            return []
        return [
            Problem(
                "service.manager",
                _(
                    "a system unit goes to /etc/systemd/system, which needs root: run the wizard with sudo, or choose systemd-user"
                ),
            )
        ]


class UserUnit(SystemdManager):
    kind = "systemd-user"
    needs_root = False
    label = N_("systemd user service (runs while you are logged in, or with linger)")
    scope = "user"
    may_run_as_other_user = False

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        name = user.pw_name
        if user.pw_uid != facts.euid:
            return [
                Problem(
                    "service.manager",
                    _(
                        "a user unit belongs to {name}'s own systemd: run the wizard as {name} (without sudo), or choose systemd-system"
                    ).format(name=name),
                )
            ]
        if facts.systemd_running and not user_manager_running(user.pw_uid):
            return [
                Problem(
                    "service.manager",
                    _(
                        "{name}'s own systemd is not running (it starts with a login session, or at boot with lingering): ask an admin for `sudo loginctl enable-linger {name}`, or choose systemd-system"
                    ).format(name=name),
                )
            ]
        return []


def no_systemd_sentence(facts: Facts) -> str:
    """One sentence: why there is no systemd here, and what the person can do."""
    kind = ""
    try:
        comm = Path("/proc/1/comm").read_text().strip()
    except OSError:
        comm = "unknown"
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        kind = _("a container")
    elif "microsoft" in _read("/proc/sys/kernel/osrelease").lower():
        kind = _("WSL without systemd (enable it with systemd=true in /etc/wsl.conf)")
    elif _in_chroot():
        kind = _("a chroot")
    pid1 = _("{comm}; this looks like {kind}").format(comm=comm, kind=kind) if kind else comm
    return _(
        "systemd is not running here (PID 1 is {pid1}), so the unit is written for "
        'later but not started; choose manager = "background" to run JupyterLab now.'
    ).format(pid1=pid1)


def user_manager_running(uid: int) -> bool:
    """Is `systemd --user` up for this uid (its private socket exists)?"""
    runtime = os.environ.get("XDG_RUNTIME_DIR") if uid == os.geteuid() else None
    return Path(runtime or f"/run/user/{uid}", "systemd", "private").exists()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _in_chroot() -> bool:
    try:
        return os.stat("/") != os.stat("/proc/1/root/.")
    except OSError:
        return False
