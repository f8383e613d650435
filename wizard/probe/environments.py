"""Find the Python environments on this machine and the JupyterLab in each.

Cheap by design (the TUI calls `discover()` from a worker; it must finish well under a second):
venvs and conda envs are read from disk (pyvenv.cfg, conda-meta, *.dist-info names), and only
interpreters that are not environments (the system's python3, python3 on PATH) are asked by
running them, in parallel, with a deadline. Nothing here changes anything.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from wizard.core.fileops import UnsafePath, read_text
from wizard.core.i18n import _
from wizard.core.paths import APP_NAME
from wizard.probe import person
from wizard.probe.interpreter import Interpreter, inspect_interpreter, run_json_script

KINDS = ("system", "venv", "conda", "pipx", "uv")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's; PEP 668 makes pip refuse to install there
_DIST_RE = re.compile(r"^jupyterlab-([^-]+)\.dist-info$", re.IGNORECASE)
_IPYKERNEL_RE = re.compile(r"^ipykernel-([^-]+)\.dist-info$", re.IGNORECASE)


def default_venv_path() -> Path:
    """Where the wizard's own dedicated venv goes (shown before anything is done)."""
    return person.default_venv_path(Path(platformdirs.user_data_dir(APP_NAME)))


@dataclass(frozen=True)
class Environment:
    python: str  # interpreter path to put in [jupyter] python
    python_version: str  # "3.11.7" ("3.11" when only the directory name tells)
    kind: str  # system | venv | conda | pipx | uv
    prefix: str
    jupyterlab_version: str | None
    pip_ok: bool  # may `python -m pip install` install here?
    why_not: str = ""  # when not pip_ok: why, and the way forward
    source: str = ""  # where it was found: "this wizard", "PATH", "home", "conda", ...
    ipykernel_version: str | None = None  # what a kernel of this environment needs
    externally_managed: bool = False  # PEP 668: the system's package manager owns it

    @property
    def jupyter_lab_bin(self) -> str:
        return str(Path(self.python).parent / "jupyter-lab")

    def label(self) -> str:
        """One line for a list: path, versions, kind, and whether pip may install."""
        lab = (
            f"JupyterLab {self.jupyterlab_version}"
            if self.jupyterlab_version
            else _("no JupyterLab")
        )
        pip = "" if self.pip_ok else "  " + _("(pip: no)")
        return f"{self.python}  Python {self.python_version}  {self.kind}  {lab}{pip}"


# --- describing one environment ---------------------------------------------------------------


def _read_cfg(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    text = read_text(path)  # a user's file: as root never through a link, never a FIFO
    if text is None:
        return out
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _site_packages(prefix: Path) -> list[Path]:
    return sorted(prefix.glob("lib/python3*/site-packages"))


def _jupyterlab_in(site: Iterable[Path]) -> str | None:
    return _dist_in(site, _DIST_RE)


def _dist_in(site: Iterable[Path], dist: re.Pattern[str]) -> str | None:
    """The version of the distribution whose *.dist-info name `dist` matches, from names alone."""
    for sp in site:
        try:
            for entry in os.scandir(sp):
                m = dist.match(entry.name)
                if m:
                    return m.group(1)
        except OSError:
            continue
    return None


def _python_in(prefix: Path) -> Path:
    for name in ("python", "python3"):
        p = prefix / "bin" / name
        if p.exists() or p.is_symlink():
            return p
    return prefix / "bin" / "python"


def _tool_kind(prefix: Path, cfg: dict[str, str]) -> str:
    parts = prefix.parts
    if "pipx" in parts and "venvs" in parts:
        return "pipx"
    if "uv" in cfg or ("uv" in parts and "tools" in parts):
        return "uv"
    return "venv"


def describe_env_dir(prefix: Path, source: str = "") -> Environment | None:
    """Describe a venv or conda env from its files alone; None when it is neither."""
    cfg_path = prefix / "pyvenv.cfg"
    is_conda = (prefix / "conda-meta").is_dir()
    if not cfg_path.is_file() and not is_conda:
        return None
    python = _python_in(prefix)
    site = _site_packages(prefix)
    if is_conda:
        kind, version = "conda", _conda_python_version(prefix)
    else:
        cfg = _read_cfg(cfg_path)
        kind = _tool_kind(prefix, cfg)
        version = cfg.get("version") or cfg.get("version_info", "")
        version = ".".join(version.split(".")[:3])
    if not version and site:
        version = site[0].parent.name.removeprefix("python")
    version = _version_or_blank(version)
    why = ""
    if not python.exists():
        why = _(
            "{python} does not run (the Python it was made from is gone); create a new venv"
        ).format(python=python)
    elif kind == "pipx":
        why = _("a pipx app's environment: pipx may replace it; use a dedicated venv instead")
    elif kind == "uv" and "tools" in prefix.parts:
        why = _("a uv tool's environment: uv may replace it; use a dedicated venv instead")
    elif not any((sp / "pip").is_dir() for sp in site):
        why = _("has no pip (e.g. made by uv without --seed); create a dedicated venv instead")
    elif site and not os.access(site[0], os.W_OK):
        why = _("{path} is not writable by this user").format(path=site[0])
    return Environment(
        python=str(python),
        python_version=version or "?",
        kind=kind,
        prefix=str(prefix),
        jupyterlab_version=_jupyterlab_in(site),
        pip_ok=not why,
        why_not=why,
        source=source,
        ipykernel_version=_dist_in(site, _IPYKERNEL_RE),
    )


def _version_or_blank(text: str) -> str:
    """The owner's files (and their Python) say what they like: only a version is shown."""
    return text if re.fullmatch(r"\d+\.\d+(\.\d+)?", text) else ""


def _conda_python_version(prefix: Path) -> str:
    for meta in (prefix / "conda-meta").glob("python-3*.json"):
        m = re.match(r"python-(\d+\.\d+\.\d+)-", meta.name)
        if m:
            return m.group(1)
    return ""


def from_interpreter(
    interp: Interpreter, source: str = "", ipykernel: str | None = None
) -> Environment:
    """An Environment from what a running interpreter said about itself."""
    kind = "conda" if interp.is_conda else "venv" if interp.is_venv else "system"
    why = ""
    if interp.externally_managed:
        why = _(
            "externally managed by the system (PEP 668): pip refuses to install here; "
            "create a dedicated venv (install.action = create-venv)"
        )
    elif not interp.has_pip:
        why = _("has no pip; create a dedicated venv (install.action = create-venv)")
    return Environment(
        python=interp.executable,
        python_version=interp.python_version,
        kind=kind,
        prefix=interp.prefix,
        jupyterlab_version=interp.jupyterlab_version,
        pip_ok=not why,
        why_not=why,
        source=source,
        ipykernel_version=ipykernel or interp.versions.get("ipykernel"),
        externally_managed=interp.externally_managed,
    )


# Discovery's question to an interpreter: no importlib.metadata (that costs ~100 ms); the
# JupyterLab version is read from the *.dist-info names on the sys.path it reports.
_QUICK = r"""
import json, os, sys, sysconfig
from importlib.util import find_spec
prefix = sys.prefix
is_venv = prefix != getattr(sys, "base_prefix", prefix)
stdlib = sysconfig.get_path("stdlib")
print(json.dumps({
    "executable": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": prefix,
    "is_venv": is_venv,
    "is_conda": os.path.isdir(os.path.join(prefix, "conda-meta")),
    "externally_managed": (not is_venv) and os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
    "has_pip": find_spec("pip") is not None,
    "path": [p for p in sys.path if p and os.path.isdir(p)],
}))
"""


def ask_python(python: str, source: str = "", timeout: float = 5.0) -> Environment | None:
    """Describe a non-environment interpreter by running it briefly (as root: as the user who
    could change it, e.g. a pyenv Python in their home); None when it does not run."""
    try:
        data = run_json_script(python, _QUICK, timeout=timeout)
    except (OSError, subprocess.SubprocessError, ValueError, UnsafePath):
        return None
    interp = Interpreter(
        executable=data["executable"],
        python_version=_version_or_blank(str(data["version"])) or "?",
        prefix=data["prefix"],
        is_venv=data["is_venv"],
        is_conda=data["is_conda"],
        externally_managed=data["externally_managed"],
        has_pip=data["has_pip"],
        has_venv=True,  # not asked here; the install step asks the one it will use
        scripts_dir="",
        versions={"jupyterlab": _jupyterlab_in(Path(p) for p in data["path"])},
    )
    return from_interpreter(
        interp, source, _dist_in((Path(p) for p in data["path"]), _IPYKERNEL_RE)
    )


def resolve_pyenv_shim(python: Path) -> Path:
    """pyenv's shims are shell scripts: point at the interpreter the global version runs."""
    if python.parent.name != "shims" or python.parent.parent.name != ".pyenv":
        return python
    root = python.parent.parent
    version = os.environ.get("PYENV_VERSION", "")
    if not version:
        words = (read_text(root / "version") or "").split()
        if not words:
            return python
        version = words[0]
    real = root / "versions" / version / "bin" / python.name
    return real if real.exists() else python


def env_prefix_of(python: Path) -> Path | None:
    """The venv/conda prefix an interpreter path belongs to, from the path alone (no run)."""
    prefix = python.parent.parent
    if (prefix / "pyvenv.cfg").is_file() or (prefix / "conda-meta").is_dir():
        return prefix
    return None


def describe_python(python: str, source: str = "", timeout: float = 5.0) -> Environment:
    """Describe any interpreter: from disk when it is an env, else by running it."""
    prefix = env_prefix_of(Path(python))
    if prefix is not None:
        env = describe_env_dir(prefix, source)
        if env is not None:
            return env
    return from_interpreter(inspect_interpreter(python, timeout=timeout), source)


# --- where to look ------------------------------------------------------------------------------
