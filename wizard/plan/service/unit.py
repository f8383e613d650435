"""The systemd unit the service step installs, rendered from one template.

Everything Jupyter needs to find comes from absolute paths in the unit (the `jupyter-lab` of the
chosen environment, JUPYTER_CONFIG_DIR), so it works whatever HOME and PATH systemd provides.
Settings (port, password hash, ...) stay in the config dir: nothing secret is on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wizard.core.errors import InputError, Problem
from wizard.core.grammar import CONTROL
from wizard.core.i18n import _

# PATH for the service: the environment's scripts first, so terminals and `%pip` use that env.
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Hardening that does not break notebooks: the home dir, network and the env stay usable.
# ProtectSystem=full makes /usr, /boot and /etc read-only (not "strict": that would freeze the
# venv and the root dir); no MemoryDenyWriteExecute (JITs like numba need it).
SYSTEM_HARDENING = (
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=full",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "LockPersonality=yes",
)
# A user manager cannot set up mount namespaces without user namespaces: keep to what always works.
USER_HARDENING = ("NoNewPrivileges=yes",)

_TEMPLATE = """\
# Written by jupyter-setup-wizard; run the wizard again to change it (a manual edit is overwritten).
[Unit]
Description={description}
{unit_deps}
[Service]
Type=simple
{identity}WorkingDirectory={working_dir}
Environment={env_config}
Environment={env_path}
ExecStart={exec_start}
Restart=on-failure
RestartSec={restart_sec}
TimeoutStopSec=30
{hardening}

[Install]
WantedBy={wanted_by}
"""


@dataclass(frozen=True)
class UnitSpec:
    scope: str  # "system" | "user"
    jupyter_lab: str  # absolute path of the environment's jupyter-lab
    config_dir: str
    working_dir: str
    user: str = ""  # system units only
    group: str = ""
    allow_root: bool = False  # adds --allow-root (only when user is root, acknowledged)
    description: str = "JupyterLab (set up by jupyter-setup-wizard)"
    restart_sec: int = 5


# Each value the unit takes from the answers, and the answers field it comes from.
_FIELDS = {
    "jupyter_lab": "jupyter.python",
    "config_dir": "jupyter.config_dir",
    "working_dir": "network.root_dir",
    "user": "service.user",
    "group": "service.user",
    "description": "service",
}


def _escape_specifiers(text: str) -> str:
    return text.replace("%", "%%")


def quote_word(word: str, *, dollar: bool = False) -> str:
    """One word of a systemd command line / Environment= list, quoted when needed."""
    text = _escape_specifiers(word)
    if dollar:  # ExecStart expands $VAR: a literal $ is $$
        text = text.replace("$", "$$")
    if text and not re.search(r"[\s\"'\\;]", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_unit(spec: UnitSpec) -> str:
    if spec.scope not in ("system", "user"):
        raise ValueError(f"scope must be system or user, not {spec.scope!r}")
    for name, field in _FIELDS.items():
        value = getattr(spec, name)
        # A newline would add a directive (a second User= wins); refused here too, whatever
        # validation let through.
        if CONTROL.search(value):
            raise InputError(
                [Problem(field, _("{value!r} cannot go into a unit file").format(value=value))]
            )
    # WorkingDirectory= takes the rest of the line as is: systemd strips trailing whitespace
    # (another directory) and joins a line ending in a backslash with the next (the
    # Environment= after it would vanish into the path).
    if spec.working_dir.endswith((" ", "\\")):  # systemd's whitespace; controls are refused above
        raise InputError(
            [
                Problem(
                    "network.root_dir",
                    _(
                        "{working_dir!r} cannot be a systemd WorkingDirectory (it ends in a space or a backslash)"
                    ).format(working_dir=spec.working_dir),
                )
            ]
        )
    system = spec.scope == "system"
    argv = [spec.jupyter_lab, "--no-browser"]
    if spec.allow_root:
        argv.append("--allow-root")
    identity = ""
    if system and spec.user:
        identity = f"User={spec.user}\nGroup={spec.group or spec.user}\n"
    scripts = str(Path(spec.jupyter_lab).parent)
    return _TEMPLATE.format(
        description=spec.description,
        # A user manager has no network-online.target of its own (it cannot order on system units).
        unit_deps=("Wants=network-online.target\nAfter=network-online.target\n" if system else ""),
        identity=identity,
        working_dir=_escape_specifiers(spec.working_dir),
        env_config=quote_word(f"JUPYTER_CONFIG_DIR={spec.config_dir}"),
        env_path=quote_word(f"PATH={scripts}:{BASE_PATH}"),
        # systemd expands $VAR in the arguments, not in the executable's own path.
        exec_start=" ".join(quote_word(a, dollar=i > 0) for i, a in enumerate(argv)),
        restart_sec=spec.restart_sec,
        hardening="\n".join(SYSTEM_HARDENING if system else USER_HARDENING),
        wanted_by="multi-user.target" if system else "default.target",
    )


def unit_dir(scope: str, home: str) -> Path:
    """Where the admin's units live: /etc/systemd/system (never /usr/lib: that is the packages')."""
    if scope == "system":
        return Path("/etc/systemd/system")
    return Path(home) / ".config" / "systemd" / "user"


class VerifyError(Exception):
    """systemd-analyze found something wrong with a unit (message = its output)."""


def systemd_analyze() -> str | None:
    return shutil.which("systemd-analyze")


def verify_unit(name: str, content: str, *, scope: str = "system", timeout: float = 30.0) -> None:
    """`systemd-analyze verify`, strictly: it only *warns* (exit 0) for unknown keys or typos,
    so any output on stderr is a failure too. Raises VerifyError; FileNotFoundError when the
    tool is missing."""
    tool = systemd_analyze()
    if tool is None:
        raise FileNotFoundError("systemd-analyze")
    with tempfile.TemporaryDirectory(prefix="jsw-unit-") as tmp:
        path = Path(tmp) / name
        path.write_text(content)
        argv = [tool, "verify", "--man=no"]
        env = dict(os.environ)
        if scope == "user":
            # A user manager needs a runtime dir, which root or a non-login shell may not have.
            runtime = Path(tmp) / "runtime"
            runtime.mkdir(mode=0o700)
            argv.append("--user")
            env["XDG_RUNTIME_DIR"] = str(runtime)
        r = subprocess.run(
            [*argv, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    out = (r.stderr + r.stdout).replace(str(path), name).strip()
    if r.returncode != 0 or r.stderr.strip():
        raise VerifyError(
            out
            or _("{command} exited with status {status}").format(
                command="systemd-analyze verify", status=r.returncode
            )
        )
