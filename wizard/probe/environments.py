"""Find the Python environments on this machine and the JupyterLab in each.

Cheap by design (the TUI calls `discover()` from a worker; it must finish well under a second):
venvs and conda envs are read from disk (pyvenv.cfg, conda-meta, *.dist-info names), and only
interpreters that are not environments (the system's python3, python3 on PATH) are asked by
running them, in parallel, with a deadline. Nothing here changes anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from wizard.core.paths import APP_NAME
from wizard.probe import person
from wizard.probe.interpreter import Interpreter, inspect_interpreter, run_json_script

KINDS = ("system", "venv", "conda", "pipx", "uv")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's; PEP 668 makes pip refuse to install there
# Directories never worth descending into when looking for venvs under a home directory.
_SKIP_DIRS = {
    "node_modules",
    "__pycache__",
    "site-packages",
    "dist-packages",
    ".git",
    ".hg",
    ".svn",
    ".cache",
    ".npm",
    ".cargo",
    ".rustup",
    ".pyenv",
    ".local",
    "snap",
    "proc",
}
_SEARCH_DEPTH = 4  # ~/venv, ~/projects/x/.venv, ~/work/projects/x/.venv... but not deeper
_MAX_DIRS = 4000  # bound on directories looked at per home, whatever the time left
_DIST_RE = re.compile(r"^jupyterlab-([^-]+)\.dist-info$", re.IGNORECASE)


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

    @property
    def jupyter_lab_bin(self) -> str:
        return str(Path(self.python).parent / "jupyter-lab")

    def label(self) -> str:
        """One line for a list: path, versions, kind, and whether pip may install."""
        lab = (
            f"JupyterLab {self.jupyterlab_version}" if self.jupyterlab_version else "no JupyterLab"
        )
        pip = "" if self.pip_ok else "  (pip: no)"
        return f"{self.python}  Python {self.python_version}  {self.kind}  {lab}{pip}"


# --- describing one environment ---------------------------------------------------------------


def _read_cfg(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _site_packages(prefix: Path) -> list[Path]:
    return sorted(prefix.glob("lib/python3*/site-packages"))


def _jupyterlab_in(site: Iterable[Path]) -> str | None:
    for sp in site:
        try:
            for entry in os.scandir(sp):
                m = _DIST_RE.match(entry.name)
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
    why = ""
    if not python.exists():
        why = f"{python} does not run (the Python it was made from is gone); create a new venv"
    elif kind == "pipx":
        why = "a pipx app's environment: pipx may replace it; use a dedicated venv instead"
    elif kind == "uv" and "tools" in prefix.parts:
        why = "a uv tool's environment: uv may replace it; use a dedicated venv instead"
    elif not any((sp / "pip").is_dir() for sp in site):
        why = "has no pip (e.g. made by uv without --seed); create a dedicated venv instead"
    elif site and not os.access(site[0], os.W_OK):
        why = f"{site[0]} is not writable by this user"
    return Environment(
        python=str(python),
        python_version=version or "?",
        kind=kind,
        prefix=str(prefix),
        jupyterlab_version=_jupyterlab_in(site),
        pip_ok=not why,
        why_not=why,
        source=source,
    )


def _conda_python_version(prefix: Path) -> str:
    for meta in (prefix / "conda-meta").glob("python-3*.json"):
        m = re.match(r"python-(\d+\.\d+\.\d+)-", meta.name)
        if m:
            return m.group(1)
    return ""


def from_interpreter(interp: Interpreter, source: str = "") -> Environment:
    """An Environment from what a running interpreter said about itself."""
    kind = "conda" if interp.is_conda else "venv" if interp.is_venv else "system"
    why = ""
    if interp.externally_managed:
        why = (
            "externally managed by the system (PEP 668): pip refuses to install here; "
            "create a dedicated venv (install.action = create-venv)"
        )
    elif not interp.has_pip:
        why = "has no pip; create a dedicated venv (install.action = create-venv)"
    return Environment(
        python=interp.executable,
        python_version=interp.python_version,
        kind=kind,
        prefix=interp.prefix,
        jupyterlab_version=interp.jupyterlab_version,
        pip_ok=not why,
        why_not=why,
        source=source,
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
    """Describe a non-environment interpreter by running it briefly; None when it does not run."""
    try:
        data = run_json_script(python, _QUICK, timeout=timeout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    interp = Interpreter(
        executable=data["executable"],
        python_version=data["version"],
        prefix=data["prefix"],
        is_venv=data["is_venv"],
        is_conda=data["is_conda"],
        externally_managed=data["externally_managed"],
        has_pip=data["has_pip"],
        has_venv=True,  # not asked here; the install step asks the one it will use
        scripts_dir="",
        versions={"jupyterlab": _jupyterlab_in(Path(p) for p in data["path"])},
    )
    return from_interpreter(interp, source)


def resolve_pyenv_shim(python: Path) -> Path:
    """pyenv's shims are shell scripts: point at the interpreter the global version runs."""
    if python.parent.name != "shims" or python.parent.parent.name != ".pyenv":
        return python
    root = python.parent.parent
    version = os.environ.get("PYENV_VERSION", "")
    if not version:
        try:
            version = (root / "version").read_text().split()[0]
        except (OSError, IndexError):
            return python
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


def _homes() -> list[Path]:
    return list(dict.fromkeys([Path.home(), Path(person.person().home)]))


def _known_env_parents(home: Path) -> list[Path]:
    """Directories whose children are environments, by the tools' conventions."""
    parents = [
        home / ".virtualenvs",  # virtualenvwrapper
        home / ".local/share/virtualenvs",  # pipenv
        home / ".cache/pypoetry/virtualenvs",  # poetry
        home / ".local/share/pipx/venvs",
        home / ".local/pipx/venvs",
        home / ".local/share/uv/tools",
        home / ".conda/envs",
    ]
    if os.environ.get("PIPX_HOME"):
        parents.append(Path(os.environ["PIPX_HOME"]) / "venvs")
    for base in _conda_bases(home):
        parents.append(base / "envs")
    parents.append(default_venv_path().parent)
    return list(dict.fromkeys(parents))


def _conda_bases(home: Path) -> list[Path]:
    names = ("anaconda3", "miniconda3", "miniforge3", "mambaforge", "micromamba", "conda")
    return [home / n for n in names] + [Path("/opt") / n for n in names]


def _walk_for_venvs(root: Path, deadline: float) -> Iterator[Path]:
    """Breadth-first, bounded in depth, count and time: the venvs under a home directory."""
    level = [root]
    seen = 0
    for _depth in range(_SEARCH_DEPTH + 1):
        nxt: list[Path] = []
        for d in level:
            if time.monotonic() > deadline or seen > _MAX_DIRS:
                return
            seen += 1
            try:
                entries = list(os.scandir(d))
            except OSError:
                continue
            if any(e.name == "pyvenv.cfg" for e in entries):
                yield Path(d)
                continue  # never look inside an environment
            for e in entries:
                if e.name in _SKIP_DIRS or (e.name.startswith(".") and e.name != ".venv"):
                    continue
                try:
                    if e.is_dir(follow_symlinks=False):
                        nxt.append(Path(e.path))
                except OSError:
                    continue
        level = nxt


def _conda_env_list(timeout: float) -> list[Path]:
    """`conda env list --json` when conda exists, plus ~/.conda/environments.txt."""
    out: list[Path] = []
    for home in _homes():
        try:
            text = (home / ".conda/environments.txt").read_text(encoding="utf-8")
        except OSError:
            text = ""
        out += [Path(line.strip()) for line in text.splitlines() if line.strip()]
    conda = os.environ.get("CONDA_EXE") or shutil.which("conda")
    if conda and timeout > 0:
        try:
            res = subprocess.run(
                [conda, "env", "list", "--json"],
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
            out += [Path(p) for p in json.loads(res.stdout).get("envs", [])]
        except (OSError, subprocess.SubprocessError, ValueError, AttributeError):
            pass
    return out


def candidates(homes: Sequence[Path] | None, deadline: float) -> list[tuple[str, Path]]:
    """(source, path) pairs: env directories and interpreter paths, in order of preference."""
    found: list[tuple[str, Path]] = []
    if sys.prefix != sys.base_prefix:
        found.append(("this wizard", Path(sys.prefix)))
    else:
        found.append(("this wizard", Path(sys.executable)))
    on_path = shutil.which("python3")
    if on_path:
        found.append(("PATH", resolve_pyenv_shim(Path(on_path))))
    if Path(SYSTEM_PYTHON).exists():
        found.append(("system", Path(SYSTEM_PYTHON)))
    for home in homes if homes is not None else _homes():
        for parent in _known_env_parents(home):
            with contextlib.suppress(OSError):
                found += [("home", Path(e.path)) for e in os.scandir(parent) if e.is_dir()]
        for base in _conda_bases(home):
            if (base / "conda-meta").is_dir():
                found.append(("conda", base))
        found += [("home", p) for p in _walk_for_venvs(home, deadline)]
    if homes is None:  # shared environments: /opt/NAME, and the venvs root makes (under /opt)
        for parent in (Path("/opt"), person.SHARED_VENV_ROOT):
            with contextlib.suppress(OSError):
                found += [("shared", Path(e.path)) for e in os.scandir(parent) if e.is_dir()]
    return found


# --- discovery ----------------------------------------------------------------------------------


def _sort_key(env: Environment) -> tuple[int, int, str]:
    # JupyterLab first, then environments pip may install into, then by kind and path.
    return (0 if env.jupyterlab_version else 1, 0 if env.pip_ok else 1, env.python)


def discover(
    *,
    homes: Sequence[Path] | None = None,
    timeout: float = 0.9,
    conda: bool = True,
) -> list[Environment]:
    """Every Python environment found within `timeout` seconds, best candidates first.

    Safe to call from a worker thread. `homes` defaults to the user's home (and SUDO_USER's).
    Interpreters that do not answer in time are left out rather than waited for.
    """
    start = time.monotonic()
    deadline = start + timeout
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="jsw-discover")
    try:
        conda_job = pool.submit(_conda_env_list, timeout * 0.8) if conda else None
        found = candidates(homes, start + timeout * 0.6)
        if conda_job is not None:
            wait([conda_job], timeout=max(0.0, deadline - time.monotonic()))
            if conda_job.done():
                found += [("conda", p) for p in conda_job.result()]
        envs: dict[str, Environment] = {}
        to_run: list[tuple[str, str]] = []
        for source, path in found:
            if path.is_dir():
                env = describe_env_dir(path, source)
                if env is not None:
                    envs.setdefault(os.path.realpath(env.prefix), env)
                continue
            prefix = env_prefix_of(path)
            if prefix is not None:
                env = describe_env_dir(prefix, source)
                if env is not None:
                    envs.setdefault(os.path.realpath(env.prefix), env)
            elif path.exists():
                to_run.append((source, str(path)))
        jobs = {}
        first: dict[str, str] = {}
        for source, python in to_run:
            first.setdefault(python, source)
        for python, source in first.items():
            left = max(0.1, deadline - time.monotonic())
            jobs[pool.submit(ask_python, python, source, left)] = source
        done, _late = wait(jobs, timeout=max(0.0, deadline - time.monotonic()))
        for job in jobs:  # in submission order, so "this wizard" and PATH win duplicates
            env = job.result() if job in done else None
            if env is not None:
                envs.setdefault(os.path.realpath(env.prefix), env)
        return sorted(envs.values(), key=_sort_key)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
