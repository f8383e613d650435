"""The kernelspecs a Jupyter finds on its kernel path (jupyter_paths.kernel_dirs), read from disk.

A kernelspec is a directory `<kernels dir>/NAME/` holding `kernel.json` (argv, display_name,
language, env, metadata) and maybe logos. A name found in two directories is the first one's:
the later one is `shadowed`. Read through core/fileops: as root, a service user's data dir is
theirs to swap things in, so no link is followed and nothing but a small regular file is read.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wizard.core.fileops import UnsafePath, directory, read_file
from wizard.core.i18n import _

# metadata key marking the kernelspecs the wizard wrote (and so may rewrite or remove)
OURS_KEY = "jupyter_setup_wizard"
_SPEC_MAX = 256 * 1024  # a real kernel.json is a few hundred bytes


@dataclass(frozen=True)
class KernelSpec:
    name: str
    dir: Path
    display_name: str = ""
    argv: tuple[str, ...] = ()
    language: str = ""
    env: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # the regular files in its directory
    others: tuple[str, ...] = ()  # anything else in it (directories, links)
    error: str = ""  # why kernel.json could not be read; then the other fields are empty
    shadowed: bool = False  # a kernelspec of the same name earlier on the path wins

    @property
    def ours(self) -> bool:
        return isinstance(self.metadata.get(OURS_KEY), dict)

    @property
    def interpreter(self) -> str:
        """What runs: argv[0] ("python" means the server's own interpreter, jupyter_client's rule)."""
        return self.argv[0] if self.argv else ""


def scan_kernelspecs(dirs: list[Path]) -> list[KernelSpec]:
    """Every kernelspec on the path `dirs` (highest priority first), in that order."""
    out: list[KernelSpec] = []
    seen: set[str] = set()
    for d in dict.fromkeys(dirs):
        for name in _entries(d):
            spec = read_kernelspec(d / name)
            if spec is None:
                continue
            out.append(spec if name not in seen else replace(spec, shadowed=True))
            seen.add(name)
    return out


def _entries(d: Path) -> list[str]:
    try:
        with directory(d) as dfd:
            return sorted(os.listdir(dfd))
    except (OSError, UnsafePath):
        return []


def read_kernelspec(path: Path) -> KernelSpec | None:
    """The kernelspec in directory `path`; None when it is no kernelspec directory at all."""
    files: list[str] = []
    others: list[str] = []
    try:
        with directory(path) as dfd:
            for name in sorted(os.listdir(dfd)):
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                (files if stat.S_ISREG(st.st_mode) else others).append(name)
    except (OSError, UnsafePath):
        return None  # not a directory (or one we will not walk into as root)
    if "kernel.json" not in files and "kernel.json" not in others:
        return None
    base = KernelSpec(path.name, path, files=tuple(files), others=tuple(others))
    try:
        raw = read_file(path / "kernel.json", limit=_SPEC_MAX)
        data: Any = json.loads(raw or b"")
    except UnsafePath as exc:
        return replace(base, error=str(exc))
    except (OSError, ValueError) as exc:
        return replace(base, error=_("kernel.json cannot be read: {error}").format(error=exc))
    argv = data.get("argv") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return replace(base, error=_("kernel.json has no argv (a list of strings)"))
    env = data.get("env") or {}
    metadata = data.get("metadata") or {}
    return KernelSpec(
        name=path.name,
        dir=path,
        display_name=str(data.get("display_name") or path.name),
        argv=tuple(argv),
        language=str(data.get("language") or ""),
        env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
        metadata=metadata if isinstance(metadata, dict) else {},
        files=tuple(files),
        others=tuple(others),
    )


@dataclass(frozen=True)
class KernelFacts:
    """What the kernels step works from: whose server it is, where it looks, what is there."""

    user: str  # whom JupyterLab runs as
    data_dir: Path  # their Jupyter data dir: the wizard's kernelspecs go into its kernels/
    dirs: list[Path]  # the server's kernel path, highest priority first
    specs: list[KernelSpec]
    lab_python: str  # the interpreter a kernelspec's bare "python" stands for

    @property
    def kernels_dir(self) -> Path:
        return self.data_dir / "kernels"

    def seen(self) -> list[KernelSpec]:
        """The kernelspecs the server offers (no shadowed ones)."""
        return [s for s in self.specs if not s.shadowed]
