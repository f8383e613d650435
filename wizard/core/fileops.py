"""Atomic file writes with the right mode and owner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def owner_for_new(path: Path) -> tuple[int, int] | None:
    """As root, a new file belongs to whoever owns its directory (a user's ~/.jupyter stays theirs)."""
    if os.geteuid() != 0:
        return None
    st = nearest_existing(path.parent).stat()
    return st.st_uid, st.st_gid


def make_dirs(path: Path, mode: int = 0o755) -> list[Path]:
    """mkdir -p that returns the directories it created (outermost first), owned like their parent."""
    created: list[Path] = []
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        owner = owner_for_new(d)
        d.mkdir(mode=mode)
        if owner:
            os.chown(d, *owner)
        created.append(d)
    return created


def atomic_write(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Write via a temp file in the same directory and rename: readers see old or new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, *owner)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
