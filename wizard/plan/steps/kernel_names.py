"""Kernel names and display names: derived from the environment, stable, never colliding.

`conda-torch` / "Python 3.11 (torch)", `venv-myproject` / "Python 3.12 (myproject)",
`python3.11` / "Python 3.11 (system)". A name the wizard gave an interpreter before is kept
(its kernelspec says which interpreter it is for); a name another kernelspec on the server's
path already has, or that two chosen environments would share, gets a suffix made from the
interpreter's path, so the same machine gives the same names on every run.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterable
from pathlib import Path

from wizard.probe.environments import Environment
from wizard.probe.kernelspecs import OURS_KEY, KernelSpec

# Names of an environment directory that say nothing about it: the project above says more.
_ANONYMOUS = {".venv", "venv", "env", ".env", "virtualenv", ".virtualenv"}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return slug[:60] or "env"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def conda_name(prefix: Path) -> str | None:
    """What conda calls the env: "base" (the installation itself: it has conda), its name (one
    under an envs/ dir), or None: one made with `conda create -p PATH`, known by its path."""
    if (prefix / "condabin").is_dir() or (prefix / "bin" / "conda").exists():
        return "base"
    return prefix.name if prefix.parent.name == "envs" else None


def label(env: Environment) -> str:
    """What the environment is called in its display name: its own name, or what it is."""
    prefix = Path(env.prefix)
    if env.kind == "conda":
        name = conda_name(prefix)
        return "conda base" if name == "base" else (name or prefix.name)
    if env.kind in ("venv", "uv", "pipx"):
        return prefix.parent.name if prefix.name in _ANONYMOUS else prefix.name
    if ".pyenv" in prefix.parts:
        return f"pyenv {prefix.name}"
    return "system"


def base_name(env: Environment) -> str:
    prefix = Path(env.prefix)
    if env.kind == "conda":
        return "conda-" + _slug(conda_name(prefix) or prefix.name)
    if env.kind in ("venv", "uv", "pipx"):
        return "venv-" + _slug(label(env))
    if ".pyenv" in prefix.parts:
        return "pyenv-" + _slug(prefix.name)
    return "python" + _slug(_minor(env.python_version))


def display_name(env: Environment) -> str:
    return f"Python {_minor(env.python_version)} ({label(env)})"


def registered_for(spec: KernelSpec) -> str:
    """The interpreter a kernelspec of the wizard's was written for ("" when not ours)."""
    mine = spec.metadata.get(OURS_KEY)
    return str(mine.get("python", "")) if isinstance(mine, dict) else ""


def same_interpreter(a: str, b: str) -> bool:
    """Do two interpreter paths run the same environment? Environments compare by prefix (a
    venv's python links to its base Python, which must not make them one), others by file."""
    if not a or not b:
        return False
    pa, pb = Path(a).parent.parent, Path(b).parent.parent
    if _is_env(pa) or _is_env(pb):
        return os.path.abspath(pa) == os.path.abspath(pb)
    return os.path.realpath(a) == os.path.realpath(b)


def _is_env(prefix: Path) -> bool:
    return (prefix / "pyvenv.cfg").is_file() or (prefix / "conda-meta").is_dir()


def _free(name: str, python: str, used: set[str]) -> str:
    """`name`, else with a short hash of the interpreter (stable across runs), else a longer
    one, else a counter: never a name in `used` (someone else's kernelspec included)."""
    digest = hashlib.sha256(python.encode()).hexdigest()
    first = [name, f"{name}-{digest[:6]}", f"{name}-{digest[:12]}"]
    counted = (f"{name}-{digest[:12]}-{n}" for n in itertools.count(2))
    return next(c for c in itertools.chain(first, counted) if c not in used)


def assign_names(envs: Iterable[Environment], specs: Iterable[KernelSpec]) -> dict[str, str]:
    """interpreter -> kernel name for each environment to register."""
    specs = list(specs)
    names: dict[str, str] = {}
    taken: set[str] = set()
    for env in sorted(envs, key=lambda e: e.python):
        kept = next((s.name for s in specs if registered_for(s) == env.python), None)
        if kept is not None and kept not in taken:
            names[env.python] = kept
            taken.add(kept)
    for env in sorted(envs, key=lambda e: e.python):
        if env.python in names:
            continue
        others = {s.name for s in specs if registered_for(s) != env.python}
        name = _free(base_name(env), env.python, taken | others)
        names[env.python] = name
        taken.add(name)
    return names
