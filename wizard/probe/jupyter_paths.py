"""Jupyter's path rules, and running Jupyter servers found through their runtime files.

Computes the config dirs and the runtime dir the way jupyter_core.paths does, without importing
it (or jupyter_server): status must stay cheap enough to run every second and start in a blink.
Runtime files (`jpserver-<PID>.json`) are what a running server says about itself.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM_CONFIG_DIRS = ("/usr/local/etc/jupyter", "/etc/jupyter")


def config_dir(env: Mapping[str, str] | None = None, home: str | None = None) -> Path:
    """jupyter_core's user config dir: JUPYTER_CONFIG_DIR, else ~/.jupyter."""
    env = os.environ if env is None else env
    if env.get("JUPYTER_CONFIG_DIR"):
        return Path(env["JUPYTER_CONFIG_DIR"])
    home = home or env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".jupyter"


def user_config_dir(username: str) -> Path | None:
    """The default config dir of another user (their environment is unknown: defaults only)."""
    try:
        home = pwd.getpwnam(username).pw_dir
    except KeyError:
        return None
    return config_dir({}, home)


def env_config_dir(python: str) -> Path | None:
    """`{prefix}/etc/jupyter` of the venv `python` belongs to; None when it is not in a venv."""
    if not python:
        return None
    prefix = Path(python).parent.parent
    return prefix / "etc" / "jupyter" if (prefix / "pyvenv.cfg").exists() else None


def config_path(user_dir: str | Path, python: str = "") -> list[str]:
    """The dirs Jupyter reads config from, highest priority first.

    Inside a venv its env dir ranks first (jupyter_core's default there), then the user config
    dir, then /usr/local/etc/jupyter and /etc/jupyter.
    """
    env = env_config_dir(python)
    return [*([str(env)] if env else []), str(user_dir), *SYSTEM_CONFIG_DIRS]


def runtime_dir(env: Mapping[str, str] | None = None, home: str | None = None) -> Path:
    """jupyter_core's rule: JUPYTER_RUNTIME_DIR, else <data dir>/runtime.

    The data dir is JUPYTER_DATA_DIR, else (Linux) XDG_DATA_HOME/jupyter or ~/.local/share/jupyter
    (with JUPYTER_PLATFORM_DIRS, platformdirs gives the same path on Linux).
    """
    env = os.environ if env is None else env
    if env.get("JUPYTER_RUNTIME_DIR"):
        return Path(env["JUPYTER_RUNTIME_DIR"])
    return data_dir(env, home) / "runtime"


def data_dir(env: Mapping[str, str], home: str | None = None) -> Path:
    if env.get("JUPYTER_DATA_DIR"):
        return Path(env["JUPYTER_DATA_DIR"])
    home = home or env.get("HOME") or os.path.expanduser("~")
    if sys.platform == "darwin":  # pragma: no cover - the wizard targets Linux servers
        return Path(home) / "Library" / "Jupyter"
    xdg = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return Path(xdg) / "jupyter"


SYSTEM_DATA_DIRS = ("/usr/local/share/jupyter", "/usr/share/jupyter")


def kernel_dirs(data: Path, prefix: str, *, prefer_env: bool) -> list[Path]:
    """Where a Jupyter with this user data dir, running from `prefix`, finds kernelspecs
    (jupyter_core's jupyter_path("kernels")), highest priority first: a name found twice is
    the first one's. Inside a venv or conda env its prefix ranks above the user's dir."""
    env = [f"{prefix}/share/jupyter"] if prefix else []
    env = [d for d in env if d not in SYSTEM_DATA_DIRS]
    user = [str(data)]
    ordered = [*env, *user] if prefer_env else [*user, *env]
    return [Path(d) / "kernels" for d in dict.fromkeys([*ordered, *SYSTEM_DATA_DIRS])]


def user_runtime_dir(username: str) -> Path | None:
    """The default runtime dir of another user (their environment is unknown: defaults only)."""
    try:
        home = pwd.getpwnam(username).pw_dir
    except KeyError:
        return None
    return runtime_dir({}, home)


def process_runtime_dir(pid: int) -> Path | None:
    """The runtime dir a running process uses, from its environment (None: not readable)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    env: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key in _ENV_KEYS:
            env[key.decode()] = value.decode(errors="replace")
    return runtime_dir(env, env.get("HOME") or _home_of_pid(pid))


_ENV_KEYS = {b"JUPYTER_RUNTIME_DIR", b"JUPYTER_DATA_DIR", b"XDG_DATA_HOME", b"HOME"}


def _home_of_pid(pid: int) -> str | None:
    try:
        return pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_dir
    except (OSError, KeyError):
        return None


@dataclass(frozen=True)
class RuntimeFile:
    """One `jpserver-<PID>.json`: what a server says about itself."""

    path: str
    pid: int
    port: int
    url: str
    base_url: str = "/"
    hostname: str = ""
    root_dir: str = ""
    version: str = ""
    token: str = ""  # "" when token auth is off (e.g. a password is set)
    secure: bool = False
    password: bool = False  # True only when the legacy ServerApp.password key is in use
    sock: str = ""
    mtime: float = 0.0


@dataclass
class RuntimeScan:
    files: list[RuntimeFile]
    unreadable: list[tuple[str, str]]  # (path, reason): never guessed at


def scan_runtime_dirs(dirs: list[Path]) -> RuntimeScan:
    scan = RuntimeScan([], [])
    seen: set[str] = set()
    for d in dirs:
        key = os.path.realpath(d)
        if key in seen:
            continue
        seen.add(key)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        except OSError as exc:
            scan.unreadable.append((str(d), exc.strerror or str(exc)))
            continue
        for name in sorted(names):
            if name.startswith("jpserver-") and name.endswith(".json"):
                path = os.path.join(d, name)
                try:
                    scan.files.append(read_runtime_file(path))
                except OSError as exc:
                    scan.unreadable.append((path, exc.strerror or str(exc)))
                except ValueError as exc:
                    scan.unreadable.append((path, f"not a server file ({exc})"))
    return scan


_RUNTIME_FILE_MAX = 64 * 1024  # a real one is ~400 bytes


def read_runtime_file(path: str) -> RuntimeFile:
    # Never a link, a FIFO or a huge file: they sit in another user's dir, and status may run as
    # root each second (a FIFO would hang it, a huge file exhaust it).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _RUNTIME_FILE_MAX:
            raise ValueError("not a runtime file")
        data: Any = json.loads(fh.read(_RUNTIME_FILE_MAX))
        mtime = st.st_mtime
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        raise ValueError("no pid")
    return RuntimeFile(
        path=path,
        pid=data["pid"],
        port=int(data.get("port") or 0),
        url=str(data.get("url") or ""),
        base_url=str(data.get("base_url") or "/"),
        hostname=str(data.get("hostname") or ""),
        root_dir=str(data.get("root_dir") or data.get("notebook_dir") or ""),
        version=str(data.get("version") or ""),
        token=str(data.get("token") or ""),
        secure=bool(data.get("secure")),
        password=bool(data.get("password")),
        sock=str(data.get("sock") or ""),
        mtime=mtime,
    )
