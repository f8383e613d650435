"""background: JupyterLab detached in its own session, with a pid file and a log file, for
machines without systemd. The launch spec (argv, cwd, env, user) is written by the plan like a
unit file, so a rollback restores it the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import psutil

from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.core.paths import checked, log_dir, private_dir, state_dir
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Note
from wizard.plan.service.base import Installation, Launch, ServiceError, ServiceState
from wizard.plan.service.unit import BASE_PATH

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.facts import Facts


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


class BackgroundManager:
    """JupyterLab detached from the wizard: own session, log under the log dir, a pid file."""

    kind: ClassVar[str] = "background"
    label: ClassVar[str] = N_("Background process (no systemd; stops at reboot)")
    needs_reload: ClassVar[bool] = False
    needs_root: ClassVar[bool] = False
    supports_boot: ClassVar[bool] = False
    may_run_as_other_user: ClassVar[bool] = True
    manager = kind
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
            return LaunchSpec.from_json(checked(self.spec_path).read_text())
        except FileNotFoundError:
            raise ServiceError(
                _(
                    'no background service {name!r} is set up ({spec_path} is missing); apply a setup with service.manager = "background" first'
                ).format(name=self.name, spec_path=self.spec_path)
            ) from None
        except (ValueError, KeyError) as exc:
            raise ServiceError(
                _("{spec_path} is damaged ({exc}); apply the setup again").format(
                    spec_path=self.spec_path, exc=exc
                )
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
        # The log may hold a token, the pid file decides what root stops: both private.
        private_dir(self.log_path.parent)
        private_dir(background_dir())
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
                raise ServiceError(
                    _("cannot start {argv}: {exc}").format(argv=spec.argv[0], exc=exc)
                ) from exc
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
            _("the background manager cannot start JupyterLab at boot; choose a systemd manager")
        )

    def disable(self) -> None:
        """Nothing starts it at boot anyway."""

    @property
    def title(self) -> str:
        return self.name

    def reload(self) -> None:
        """The launch spec is read at each start: nothing to reload."""

    def reset_failed(self) -> None:
        """A pid file without its process is cleaned up by the next start or stop."""

    def command_line(self, verb: str) -> str:
        return f"(background) {verb} {self.name}\n"

    def try_restart_argv(self) -> list[str] | None:
        return None  # restarting needs the wizard itself (its launch spec)

    def defines(self, path: Path) -> bool:
        return path == self.spec_path

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        if user.pw_uid != facts.euid and facts.euid != 0:
            return [
                Problem(
                    "service.user",
                    _("only root can start JupyterLab as another user ({pw_name})").format(
                        pw_name=user.pw_name
                    ),
                )
            ]
        return []

    def install(self, launch: Launch, facts: Facts) -> Installation:
        spec = LaunchSpec(
            argv=[
                launch.jupyter_lab,
                "--no-browser",
                *(["--allow-root"] if launch.as_root else []),
            ],
            cwd=launch.root_dir,
            env={
                "JUPYTER_CONFIG_DIR": launch.config_dir,
                "PATH": f"{Path(launch.jupyter_lab).parent}:{BASE_PATH}",
            },
            user=launch.user.pw_name if launch.other_user else "",
        )
        write = WriteFile(
            self.spec_path, spec.to_json().encode(), mode=0o644, why=_("how to start JupyterLab")
        )
        note = Note(
            "info",
            _(
                "background: JupyterLab runs detached (log: {log}); it does not come back "
                "after a reboot (use a systemd manager for that)"
            ).format(log=self.log_path),
        )
        return Installation([write], write, notes=[note])

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
    _gone, alive = psutil.wait_procs([proc], timeout=timeout)
    with contextlib.suppress(psutil.Error):
        tree += proc.children(recursive=True) if alive else []
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(tree, timeout=5)
