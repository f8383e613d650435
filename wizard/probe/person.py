"""Who is at the keyboard, and how they reached this machine.

Under `sudo` the wizard runs as root, but "you" are still the user who ran sudo (SUDO_USER):
their home, their config dir and their SSH session are the defaults, in every front-end.
sudo's env_reset drops SSH_CONNECTION; the sudo process and the login shell above it still
hold it in their environment, which root may read (/proc/PID/environ).
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

import psutil

# Far enough up for sudo -> login shell -> sshd; a deeper chain is not a login session.
_MAX_PARENTS = 8
SHARED_VENV_ROOT = Path("/opt/jupyter-setup-wizard/venvs")  # root-made venvs others can read


@dataclass(frozen=True)
class Person:
    name: str
    uid: int
    gid: int
    home: str
    via_sudo: bool  # running as root on behalf of `name`


def person() -> Person:
    """The user the wizard works for: SUDO_USER under sudo, else whoever runs it."""
    euid = os.geteuid()
    sudo_user = os.environ.get("SUDO_USER") if euid == 0 else None
    if sudo_user and sudo_user != "root":
        try:
            pw = pwd.getpwnam(sudo_user)
            return Person(pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir, True)
        except KeyError:
            pass
    pw = pwd.getpwuid(euid)
    return Person(pw.pw_name, pw.pw_uid, pw.pw_gid, str(Path.home()), False)


def ssh_connection() -> str | None:
    """`client_ip client_port server_ip server_port` of the SSH session the wizard runs in.

    From our environment, else (under sudo) from the nearest parent that still has it: only
    processes of root or of the sudo user are read, and the walk stops at the session leader.
    """
    own = os.environ.get("SSH_CONNECTION")
    if own or os.geteuid() != 0:
        return own or None
    who = person()
    if not who.via_sudo:
        return None
    try:
        me = psutil.Process()
        sid = os.getsid(0)
        for parent in me.parents()[:_MAX_PARENTS]:
            if parent.uids().real not in (0, who.uid):
                break
            value = parent.environ().get("SSH_CONNECTION")
            if value and len(value.split()) == 4:
                return value
            if parent.pid == sid:
                break
    except (psutil.Error, OSError):
        return None
    return None


def default_venv_path(app_data_dir: Path) -> Path:
    """Where a new dedicated venv goes: under /opt when root makes it (a service user must be
    able to read it; root's home is closed), else in the user's own data dir. An explicit
    XDG_DATA_HOME (tests, containers; sudo drops it) still wins, as for the state dir."""
    if os.geteuid() == 0 and not os.environ.get("XDG_DATA_HOME"):
        return SHARED_VENV_ROOT / "jupyterlab"
    return app_data_dir / "venvs" / "jupyterlab"
