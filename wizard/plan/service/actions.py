"""Plan actions of the service step: install a unit, enable, start or restart, health gate, linger.

Whether a start/restart is needed depends on the actions before it: each such action holds
references to the actions it depends on and is a change exactly when one of them is (or when
the service is not running). `Plan.changes()` asks every action once, before anything runs, so
these answers describe the machine as it was when the plan was made.

Undo runs in reverse, so the restore of the previous service state is split: the start and
enable actions stop/disable what they started (while the unit file still exists), and
ServiceSnapshot, placed first in the plan, restarts a previously running service last, after
every file is back as it was.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from wizard.apply.journal import ServiceEffect
from wizard.plan.actions import Action, ApplyContext, Cancelled, WriteFile
from wizard.plan.service.managers import (
    BackgroundController,
    ServiceController,
    ServiceError,
    ServiceState,
    SystemdController,
)
from wizard.plan.service.unit import VerifyError, verify_unit
from wizard.probe.http import request


def _changes(actions: Sequence[Action]) -> bool:
    return any(not a.is_noop() for a in actions)


def _systemctl_line(ctl: ServiceController, verb: str) -> str:
    if isinstance(ctl, SystemdController):
        return "$ " + shlex.join(ctl.systemctl_argv(verb, ctl.unit)) + "\n"
    return f"({ctl.manager}) {verb} {ctl.name}\n"


def record_service(ctx: ApplyContext, ctl: ServiceController) -> None:
    """Journal the service's state before this apply changes it (once), for a later rollback."""
    if ctx.journal.service_effect(ctl.manager, ctl.name) is not None:
        return
    st = ctl.state()
    ctx.journal.record(
        ServiceEffect(
            manager=ctl.manager,
            name=ctl.name,
            config_dir=ctl.config_dir if isinstance(ctl, BackgroundController) else "",
            installed=st.installed,
            active=st.active,
            enabled=st.enabled,
        )
    )


class ServiceSnapshot(Action):
    """First in the plan: notes whether the service ran; its undo (which runs last) restarts it."""

    def __init__(self, ctl: ServiceController) -> None:
        self.ctl = ctl
        self.dependents: list[Action] = []  # the service actions whose changes need a snapshot
        self.description = f"remember the current state of {ctl.name}"
        self.before: ServiceState | None = None

    def is_noop(self) -> bool:
        return not _changes(self.dependents)

    def preview(self) -> str:
        st = self.ctl.state()
        return f"now: {st.active_state or 'not installed'} (restored if the apply fails)\n"

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.before = self.ctl.state()
        ctx.log(f"{self.ctl.name} is {self.before.active_state or 'not installed'}")

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is None:
            return
        if isinstance(self.ctl, SystemdController):
            self.ctl.reset_failed()
        if self.before.active:
            ctx.log(f"restarting {self.ctl.name} with the restored settings")
            self.ctl.restart()
            # Best effort: report, do not wait out a full health gate during a rollback.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not self.ctl.state().active:
                time.sleep(0.2)
            ctx.log(f"{self.ctl.name} is {self.ctl.state().active_state}")


class VerifyUnit(Action):
    """`systemd-analyze verify` of the new unit before it is installed (any warning fails)."""

    def __init__(self, name: str, content: str, *, scope: str, install: Action) -> None:
        self.name, self.content, self.scope, self.install = name, content, scope, install
        self.description = f"check {name} with systemd-analyze verify"

    def is_noop(self) -> bool:
        return self.install.is_noop()

    def preview(self) -> str:
        user = " --user" if self.scope == "user" else ""
        return f"$ systemd-analyze verify{user} {self.name}  (any warning is a failure)\n"

    def apply(self, ctx: ApplyContext) -> None:
        try:
            verify_unit(self.name, self.content, scope=self.scope)
        except FileNotFoundError:
            ctx.log("systemd-analyze is not installed: the unit was not verified")
        except VerifyError as exc:
            raise RuntimeError(f"systemd-analyze verify rejected {self.name}:\n{exc}") from exc


class InstallUnit(Action):
    """Write the unit file (journaled backup) and make systemd read it; undo restores and reloads."""

    def __init__(
        self,
        path: Path,
        content: str,
        ctl: SystemdController,
        *,
        owner: tuple[int, int] | None,
        reload: bool = True,
    ) -> None:
        self.write = WriteFile(path, content.encode(), mode=0o644, owner=owner, why="service unit")
        self.ctl = ctl
        self.reload = reload  # False when systemd is not running: the unit is written for later
        self.description = f"install {path}" + (" and reload systemd" if reload else "")

    def is_noop(self) -> bool:
        return self.write.is_noop()

    def preview(self) -> str:
        reload = "$ " + shlex.join(self.ctl.systemctl_argv("daemon-reload")) + "\n"
        return self.write.preview() + (reload if self.reload else "")

    def apply(self, ctx: ApplyContext) -> None:
        if self.reload:  # systemd runs: a later rollback reloads it and restores the state
            record_service(ctx, self.ctl)
        self.write.apply(ctx)
        if self.reload:
            self.ctl.daemon_reload()

    def undo(self, ctx: ApplyContext) -> None:
        self.write.undo(ctx)
        if self.reload:
            self.ctl.daemon_reload()


class SetEnabled(Action):
    """Start at boot (or not); undo puts the previous setting back."""

    def __init__(self, ctl: SystemdController, enabled: bool) -> None:
        self.ctl, self.want = ctl, enabled
        self.description = f"{'enable' if enabled else 'disable'} {ctl.unit} (start at boot)"
        if not enabled:
            self.description = f"disable {ctl.unit} (no start at boot)"
        self.before: bool | None = None

    def is_noop(self) -> bool:
        return bool(self.ctl.state().enabled) == self.want

    def preview(self) -> str:
        return _systemctl_line(self.ctl, "enable" if self.want else "disable")

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.before = bool(self.ctl.state().enabled)
        self.ctl.enable() if self.want else self.ctl.disable()

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is not None and self.before != self.want:
            self.ctl.disable() if self.want else self.ctl.enable()


class EnsureRunning(Action):
    """Start the service, or restart it once when an action it depends on changed something."""

    def __init__(self, ctl: ServiceController, depends_on: Sequence[Action]) -> None:
        self.ctl = ctl
        self.depends_on = list(depends_on)
        self.description = f"start or restart {ctl.name}"
        self.was_active: bool | None = None

    def _active(self) -> bool:
        return self.ctl.state().active

    def is_noop(self) -> bool:
        return self._active() and not _changes(self.depends_on)

    def preview(self) -> str:
        if self._active():
            return _systemctl_line(self.ctl, "restart") + "(settings it reads changed)\n"
        return _systemctl_line(self.ctl, "start")

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.was_active = self._active()
        if self.was_active:
            ctx.log(f"restarting {self.ctl.name}")
            self.ctl.restart()
        else:
            ctx.log(f"starting {self.ctl.name}")
            self.ctl.start()

    def undo(self, ctx: ApplyContext) -> None:
        if self.was_active is False:  # it was not running before: stop it
            self.ctl.stop()
            if isinstance(self.ctl, SystemdController):
                self.ctl.reset_failed()
        # was running: ServiceSnapshot restarts it once the old files are back


class HealthError(RuntimeError):
    """The service did not become healthy in time (message: why, plus the journal tail)."""


def _tree_pids(pid: int) -> set[int]:
    try:
        return {pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))}
    except psutil.Error:
        return {pid}


def port_owners(port: int) -> list[tuple[str, int | None]]:
    """(address, pid) of the TCP sockets listening on `port` (pid None: not ours to see)."""
    return [
        (c.laddr.ip, c.pid)
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
    ]


def _describe_pid(pid: int | None) -> str:
    if pid is None:
        return "a process this user cannot see"
    try:
        p = psutil.Process(pid)
        return f"{p.name()} (pid {pid}, user {p.username()})"
    except (psutil.Error, KeyError):
        return f"pid {pid}"


def api_url(host: str, port: int, base_url: str) -> str:
    h = f"[{host}]" if ":" in host else host
    return f"http://{h}:{port}{base_url.rstrip('/')}/api"


def get_api(host: str, port: int, base_url: str, timeout: float = 3.0) -> str | None:
    """Jupyter's version from GET /api (no auth needed); None when it does not answer yet."""
    try:
        r = request("http", host, port, f"{base_url.rstrip('/')}/api", timeout=timeout)
        data = json.loads(r.body) if r.status // 100 == 2 else None
    except (OSError, ValueError):
        return None
    return str(data.get("version", "?")) if isinstance(data, dict) else None


class HealthGate(Action):
    """Active, listening on the configured port (by its own process tree), GET /api answers.

    Bounded in time; a crash (failed, or systemd's auto-restart) fails at once. The error carries
    the last journal lines, and apply_plan rolls everything back.
    """

    def __init__(
        self,
        ctl: ServiceController,
        *,
        host: str,
        port: int,
        base_url: str,
        after: Action,
        timeout: float = 60.0,
    ) -> None:
        self.ctl, self.host, self.port, self.base_url = ctl, host, port, base_url
        self.after = after
        self.timeout = timeout
        self.description = (
            f"health check of {ctl.name}: active, port {port} listening, "
            f"GET {base_url.rstrip('/')}/api answers (at most {timeout:.0f}s)"
        )

    def is_noop(self) -> bool:
        return self.after.is_noop()

    def preview(self) -> str:
        return f"wait for {api_url(self.host, self.port, self.base_url)}\n"

    def check(self) -> tuple[bool, str, bool]:
        """(healthy, reason, fatal) for one look at the service."""
        st = self.ctl.state()
        if st.active_state == "failed" or st.sub_state == "auto-restart":
            status = f", exit status {st.exit_status}" if st.exit_status else ""
            return (
                False,
                f"{self.ctl.name} crashed ({st.active_state}/{st.sub_state}{status})",
                True,
            )
        if not st.active or not st.main_pid:
            return False, f"{self.ctl.name} is {st.active_state}/{st.sub_state}", False
        owners = port_owners(self.port)
        ours = _tree_pids(st.main_pid)
        if not any(pid in ours for _, pid in owners):
            if owners:
                who = ", ".join(sorted({_describe_pid(pid) for _, pid in owners}))
                return False, f"port {self.port} is held by {who}, not by {self.ctl.name}", False
            return False, f"nothing listens on port {self.port} yet", False
        url = api_url(self.host, self.port, self.base_url)
        version = get_api(self.host, self.port, self.base_url)
        if version is None:
            return False, f"GET {url} does not answer", False
        return True, f"{self.ctl.name} answers on {url} (Jupyter Server {version})", False

    def apply(self, ctx: ApplyContext) -> None:
        t0 = time.monotonic()
        deadline = t0 + self.timeout
        start_restarts = self.ctl.state().n_restarts
        while True:
            if ctx.cancelled.is_set():
                raise Cancelled(f"cancelled: {self.description}")
            healthy, reason, fatal = self.check()
            if healthy:
                ctx.log(f"healthy after {time.monotonic() - t0:.1f}s: {reason}")
                return
            st = self.ctl.state()
            if start_restarts is not None and (st.n_restarts or 0) > start_restarts:
                reason, fatal = f"{self.ctl.name} crashed and was restarted ({reason})", True
            if fatal or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        if not fatal:
            reason = f"not healthy after {self.timeout:.0f}s: {reason}"
        time.sleep(0.5)  # let the journal catch the last lines of a crash
        tail = self.ctl.journal(30).strip() or "(no log lines)"
        raise HealthError(f"{reason}\n--- last log lines of {self.ctl.name} ---\n{tail}")


class EnableLinger(Action):
    """`loginctl enable-linger USER`: a user's services run without a login and survive logout."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.description = f"let {user}'s services run without a login (loginctl enable-linger)"
        self.done = False

    def is_noop(self) -> bool:
        return Path("/var/lib/systemd/linger", self.user).exists()

    def preview(self) -> str:
        return f"$ loginctl enable-linger {shlex.quote(self.user)}\n"

    def apply(self, ctx: ApplyContext) -> None:
        try:
            r = subprocess.run(
                ["loginctl", "enable-linger", self.user],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
            err = (
                ""
                if r.returncode == 0
                else (r.stderr or r.stdout).strip() or f"status {r.returncode}"
            )
        except (OSError, subprocess.SubprocessError) as exc:
            err = str(exc)
        if err:
            # Not fatal: the service works, but only while the user is logged in.
            ctx.log(linger_explanation(self.user, err))
        else:
            self.done = True

    def undo(self, ctx: ApplyContext) -> None:
        if self.done:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["loginctl", "disable-linger", self.user], capture_output=True, timeout=30
                )


def linger_explanation(user: str, why: str) -> str:
    return (
        f"warning: could not enable lingering for {user} ({why}): the service starts only when "
        f"{user} logs in and stops at logout; an admin can fix that with "
        f"`sudo loginctl enable-linger {user}`"
    )


def background_spec_write(
    ctl: BackgroundController, content: str, owner: tuple[int, int] | None
) -> WriteFile:
    return WriteFile(
        ctl.spec_path, content.encode(), mode=0o644, owner=owner, why="how to start JupyterLab"
    )


__all__ = [
    "EnableLinger",
    "EnsureRunning",
    "HealthError",
    "HealthGate",
    "InstallUnit",
    "ServiceError",
    "ServiceSnapshot",
    "SetEnabled",
    "VerifyUnit",
    "background_spec_write",
]
