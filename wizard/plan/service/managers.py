"""Service control for the status screen, doctor and the service step: state, start/stop, logs.

Three managers behind one protocol: a systemd system unit, a systemd user unit, and "background"
(JupyterLab detached in its own session, with a pid file and a log file, for machines without
systemd). `state()` is cheap: one `systemctl show` call, or a pid file and psutil.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from wizard.core.answers import ServiceAnswers
from wizard.core.errors import WizardError
from wizard.core.paths import log_dir, state_dir

MANAGERS = ("systemd-system", "systemd-user", "background", "none")


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


class ServiceController(Protocol):
    manager: str
    name: str

    def state(self) -> ServiceState: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def restart(self) -> None: ...
    def enable(self) -> None: ...
    def disable(self) -> None: ...
    def journal(self, lines: int = 50) -> str: ...


def controller(service: ServiceAnswers, *, config_dir: str = "") -> ServiceController:
    """The controller for the configured manager (config_dir: where that setup's config lives)."""
    if service.manager == "systemd-system":
        return SystemdController(service.name, user_scope=False)
    if service.manager == "systemd-user":
        return SystemdController(service.name, user_scope=True)
    if service.manager == "background":
        return BackgroundController(service.name, config_dir=config_dir)
    if service.manager == "none":
        return NoController(service.name)
    raise ServiceError(f"service.manager: unknown manager {service.manager!r}")


def unit_name(name: str) -> str:
    return name if name.endswith(".service") else f"{name}.service"


# --------------------------------------------------------------------------- systemd

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


class SystemdController:
    def __init__(self, name: str, *, user_scope: bool = False, timeout: float = 90.0) -> None:
        self.name = name
        self.unit = unit_name(name)
        self.user_scope = user_scope
        self.manager = "systemd-user" if user_scope else "systemd-system"
        self.timeout = timeout

    def _scope(self) -> list[str]:
        return ["--user"] if self.user_scope else []

    def systemctl_argv(self, *args: str) -> list[str]:
        return ["systemctl", *self._scope(), *args]

    def _run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if shutil.which(argv[0]) is None:
            raise ServiceError(f"{argv[0]} is not installed: this machine has no systemd")
        try:
            r = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"{' '.join(argv)} did not finish in {self.timeout:.0f}s") from exc
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
                key, _, value = line.partition("=")
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

    def daemon_reload(self) -> None:
        self.systemctl("daemon-reload")

    def reset_failed(self) -> None:
        self.systemctl("reset-failed", self.unit, check=False)

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


# --------------------------------------------------------------------------- background


def background_dir() -> Path:
    return state_dir() / "background"


@dataclass
class LaunchSpec:
    """How the background manager starts JupyterLab: written by the service step (like a unit)."""

    argv: list[str]
    cwd: str
    env: dict[str, str]  # added to a clean environment (JUPYTER_CONFIG_DIR, PATH, ...)
    user: str = ""  # run as this user (needs root); "" = whoever runs the wizard

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LaunchSpec:
        data: dict[str, Any] = json.loads(text)
        return cls(
            argv=list(data["argv"]),
            cwd=str(data["cwd"]),
            env=dict(data.get("env", {})),
            user=str(data.get("user", "")),
        )


class BackgroundController:
    """JupyterLab detached from the wizard: own session, log under the log dir, a pid file."""

    manager = "background"
    STOP_TIMEOUT = 15.0

    def __init__(self, name: str, *, config_dir: str = "") -> None:
        self.name = name
        self.config_dir = config_dir

    @property
    def spec_path(self) -> Path:
        return background_dir() / f"{self.name}.json"

    @property
    def pid_path(self) -> Path:
        return background_dir() / f"{self.name}.pid"

    @property
    def log_path(self) -> Path:
        return log_dir() / f"{self.name}.log"

    def _process(self) -> psutil.Process | None:
        """The running server of our pid file (checked against its start time: pids get reused)."""
        try:
            data = json.loads(self.pid_path.read_text())
            proc = psutil.Process(int(data["pid"]))
            if abs(proc.create_time() - float(data["create_time"])) > 1.0:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (OSError, ValueError, KeyError, TypeError, psutil.Error):
            return None

    def state(self) -> ServiceState:
        proc = self._process()
        had_pid = self.pid_path.exists()
        since: float | None = None
        if proc is not None:
            with contextlib.suppress(psutil.Error):
                since = proc.create_time()
        elif had_pid:
            with contextlib.suppress(OSError):
                since = self.pid_path.stat().st_mtime
        return ServiceState(
            manager=self.manager,
            name=self.name,
            installed=self.spec_path.exists(),
            # A pid file without its process: it died without being stopped.
            active_state="active" if proc else ("failed" if had_pid else "inactive"),
            sub_state="running" if proc else ("dead" if not had_pid else "exited"),
            main_pid=proc.pid if proc else None,
            since=since,
            n_restarts=None,
            exit_status=None,
            enabled=None,
        )

    def _spec(self) -> LaunchSpec:
        try:
            return LaunchSpec.from_json(self.spec_path.read_text())
        except FileNotFoundError:
            raise ServiceError(
                f"no background service {self.name!r} is set up ({self.spec_path} is missing); "
                'apply a setup with service.manager = "background" first'
            ) from None
        except (ValueError, KeyError) as exc:
            raise ServiceError(
                f"{self.spec_path} is damaged ({exc}); apply the setup again"
            ) from exc

    def start(self) -> None:
        if self._process() is not None:
            return
        spec = self._spec()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        kwargs: dict[str, Any] = {}
        if spec.user:
            import pwd

            pw = pwd.getpwnam(spec.user)
            if pw.pw_uid != os.geteuid():
                kwargs = {
                    "user": pw.pw_uid,
                    "group": pw.pw_gid,
                    "extra_groups": _groups(pw.pw_name),
                }
            env.update(HOME=pw.pw_dir, USER=pw.pw_name, LOGNAME=pw.pw_name, SHELL=pw.pw_shell)
        else:
            env.update({k: os.environ[k] for k in ("HOME", "USER", "LOGNAME") if k in os.environ})
        env.update(spec.env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        background_dir().mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(
                f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {spec.argv[0]}\n".encode()
            )
            log.flush()
            try:
                proc = subprocess.Popen(
                    spec.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=spec.cwd,
                    env=env,
                    close_fds=True,
                    start_new_session=True,  # no SIGHUP at logout, no Ctrl-C from our terminal
                    **kwargs,
                )
            except OSError as exc:
                raise ServiceError(f"cannot start {spec.argv[0]}: {exc}") from exc
        # Reap it if it exits while we live (a long-running UI would keep a zombie otherwise).
        threading.Thread(target=proc.wait, daemon=True).start()
        try:
            create_time = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            create_time = time.time()
        tmp = self.pid_path.with_suffix(".pid.tmp")
        tmp.write_text(json.dumps({"pid": proc.pid, "create_time": create_time}) + "\n")
        os.replace(tmp, self.pid_path)

    def stop(self) -> None:
        proc = self._process()
        if proc is not None:
            stop_tree(proc, timeout=self.STOP_TIMEOUT)
            with open(self.log_path, "ab") as log:
                log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} stopped\n".encode())
        self.pid_path.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def enable(self) -> None:
        raise ServiceError(
            "the background manager cannot start JupyterLab at boot; choose a systemd manager"
        )

    def disable(self) -> None:
        """Nothing starts it at boot anyway."""

    def journal(self, lines: int = 50) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 256 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _groups(user: str) -> list[int]:
    import grp
    import pwd

    gid = pwd.getpwnam(user).pw_gid
    return [g.gr_gid for g in grp.getgrall() if user in g.gr_mem and g.gr_gid != gid]


def stop_tree(proc: psutil.Process, *, timeout: float = 15.0) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL whatever of its tree is left.

    Kernels run in sessions of their own, so the tree is snapshotted first, not the process group.
    """
    try:
        tree = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return
    with contextlib.suppress(psutil.Error):
        proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs([proc], timeout=timeout)
    with contextlib.suppress(psutil.Error):
        tree += proc.children(recursive=True) if alive else []
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(tree, timeout=5)


# --------------------------------------------------------------------------- none


class NoController:
    """manager = "none": the person starts jupyter-lab themselves."""

    manager = "none"

    def __init__(self, name: str) -> None:
        self.name = name

    def state(self) -> ServiceState:
        return ServiceState("none", self.name, False, None, None, None, None, None, None, None)

    def _refuse(self) -> None:
        raise ServiceError(
            'no service is set up (service.manager = "none"): start jupyter-lab yourself, '
            "or choose systemd-system, systemd-user or background"
        )

    def start(self) -> None:
        self._refuse()

    def stop(self) -> None:
        self._refuse()

    def restart(self) -> None:
        self._refuse()

    def enable(self) -> None:
        self._refuse()

    def disable(self) -> None:
        self._refuse()

    def journal(self, lines: int = 50) -> str:
        return ""


# --------------------------------------------------------------------------- CLI


def describe(st: ServiceState, *, status_line: bool = False) -> str:
    """One line for people about a service state, the one place that words it.

    `service status`: `jupyterlab.service (systemd-system): active/running, pid 42, since ...,
    starts at boot`; the status screen and `status --once` (status_line):
    `systemd-system jupyterlab.service: active (running), pid 42, since ..., enabled`.
    """
    if st.manager == "none":
        return 'no service is set up (service.manager = "none")'
    head = f"{st.manager} {st.name}" if status_line else f"{st.name} ({st.manager})"
    if not st.installed:
        return f"{head}: not installed"
    if status_line:
        parts = [f"{st.active_state or '?'} ({st.sub_state or '?'})"]
        at_boot, not_at_boot = "enabled", "not enabled at boot"
    else:
        parts = [f"{st.active_state}/{st.sub_state}"]
        at_boot, not_at_boot = "starts at boot", "does not start at boot"
    if st.main_pid:
        parts.append(f"pid {st.main_pid}")
    if st.since:
        parts.append("since " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.since)))
    if st.enabled is not None:
        parts.append(at_boot if st.enabled else not_at_boot)
    if st.n_restarts:
        parts.append(f"{st.n_restarts} restart(s)")
    if st.exit_status:
        parts.append(f"last exit status {st.exit_status}")
    return f"{head}: " + ", ".join(parts)


def current_controller() -> ServiceController:
    """The controller of the last successful apply's service."""
    from wizard.core.record import load_current

    answers = load_current()
    if answers is None:
        raise ServiceError("nothing has been set up yet: run the wizard or `apply` first")
    return controller(answers.service, config_dir=answers.jupyter.config_dir)
