"""Where to look for Python environments, and the search itself: `discover()` returns every
environment found within a deadline, best candidates first (environments.py says what each is).

Cheap by design (the TUI calls it from a worker; it must finish well under a second): venvs
and conda envs are read from disk, and only interpreters that are not environments are asked
by running them, in parallel, with a deadline. Nothing here changes anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from wizard.probe import person
from wizard.probe.environments import (
    SYSTEM_PYTHON,
    Environment,
    ask_python,
    default_venv_path,
    describe_env_dir,
    env_prefix_of,
    resolve_pyenv_shim,
)

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
