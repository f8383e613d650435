"""Files the wizard reads and writes for a plan: atomic, with the right mode and owner, and as
root never turned against root.

As root, the wizard writes into other users' directories (a service user's ~/.jupyter) and into
root-owned ones (/etc/systemd/system). A user can swap anything in their own directories at any
instant, so every operation here goes through directory fds opened one component at a time
from / without following a link (`open_dir`), files are opened with O_NOFOLLOW, owner and mode
are set on the open fd before the rename, and a path never passes from one user's directory
into another's. A normal user's own symlinks (dotfiles) are theirs to keep: only root is strict.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from wizard.core.errors import WizardError
from wizard.core.i18n import _

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class UnsafePath(WizardError):
    """A path another user could redirect (a link, a foreign owner): nothing was done there."""

    exit_code = 2


def strict() -> bool:
    return os.geteuid() == 0


def open_dir(path: Path) -> int:
    """An fd of the directory `path`; the caller closes it. As root: no link is followed and the
    path goes from root's directories into at most one other user's. FileNotFoundError if a
    component is missing."""
    if not strict():
        return os.open(path, _DIR_FLAGS)
    path = Path(os.path.abspath(path))
    fd = os.open("/", _DIR_FLAGS)
    owner = 0
    walked = Path("/")
    try:
        for part in path.parts[1:]:
            walked = walked / part
            try:
                nfd = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                    raise _link_refused(walked) from exc
                raise
            os.close(fd)
            fd = nfd
            uid = os.fstat(fd).st_uid
            if uid != 0:
                if owner not in (0, uid):
                    raise UnsafePath(
                        _(
                            "{path} belongs to uid {uid} but lies inside a directory of uid "
                            "{owner}: refusing to work through two users' directories as root"
                        ).format(path=walked, uid=uid, owner=owner)
                    )
                owner = uid
        return fd
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def directory(path: Path) -> Iterator[int]:
    fd = open_dir(path)
    try:
        yield fd
    finally:
        os.close(fd)


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _link_refused(path: Path) -> UnsafePath:
    return UnsafePath(
        _(
            "{path} is a symbolic link: as root the wizard does not follow links where it reads "
            "and writes (another user could point them anywhere); use the real path "
            "{real}, or remove the link"
        ).format(path=path, real=os.path.realpath(path))
    )


def file_stat(path: Path) -> os.stat_result | None:
    """The file's own stat (a link is not followed as root); None when it does not exist."""
    try:
        with directory(path.parent) as dfd:
            return os.stat(path.name, dir_fd=dfd, follow_symlinks=not strict())
    except (FileNotFoundError, NotADirectoryError):
        return None


def foreign_component(path: Path) -> tuple[Path, int] | None:
    """The first existing component of `path` that belongs to a user other than root (and its
    uid): where, as root, that user could swap things under us. None: root's all the way."""
    for p in (*reversed(path.parents), path):
        try:
            uid = os.lstat(p).st_uid
        except OSError:
            break
        if uid != 0:
            return p, uid
    return None


def read_file(path: Path, *, limit: int = 64 * 1024 * 1024) -> bytes | None:
    """The bytes of a regular file, None when it does not exist. As root a link or anything but
    a regular file is refused (UnsafePath), never read through; nor is a file over `limit`
    bytes (a FIFO or a huge file must not hang or exhaust whoever reads it)."""
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | (os.O_NOFOLLOW if strict() else 0)
    try:
        with directory(path.parent) as dfd:
            try:
                fd = os.open(path.name, flags, dir_fd=dfd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise _link_refused(path) from exc
                raise
    except (FileNotFoundError, NotADirectoryError):
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if stat.S_ISREG(st.st_mode):
            raise UnsafePath(_("{path} is too large; move it away").format(path=path))
        raise UnsafePath(
            _("{path} exists but is not a regular file; move it away").format(path=path)
        )
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit + 1)


def read_text(path: Path, *, limit: int = 1024 * 1024) -> str | None:
    """A small text file of someone else's, read as read_file does (as root never through a
    link, never a FIFO, at most `limit` bytes); None when it is not there or not that."""
    try:
        data = read_file(path, limit=limit)
        return None if data is None else data.decode("utf-8", errors="replace")
    except (OSError, UnsafePath):
        return None


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


def make_dirs(path: Path, mode: int = 0o755, owner: tuple[int, int] | None = None) -> list[Path]:
    """mkdir -p that returns the directories it created (outermost first). As root each new one
    is owned by `owner`, else like its parent (set on its fd, before anything goes inside)."""
    missing: list[Path] = []
    p = path
    while file_stat(p) is None and p != p.parent:
        missing.append(p)
        p = p.parent
    created: list[Path] = []
    for d in reversed(missing):
        with directory(d.parent) as pfd:
            os.mkdir(d.name, mode, dir_fd=pfd)
            created.append(d)
            if os.geteuid() == 0:
                st = os.fstat(pfd)
                fd = os.open(d.name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=pfd)
                try:
                    os.fchown(fd, *(owner or (st.st_uid, st.st_gid)))
                finally:
                    os.close(fd)
    return created


def atomic_write(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Write a temp file in the same directory (O_EXCL, never through a link), set mode and
    owner on its fd, fsync, rename over `path`: readers see old or new, never half, and what a
    user swaps in meanwhile is replaced, never written through."""
    import secrets  # here: it loads OpenSSL's hashes, which reading a file never needs

    with directory(path.parent) as dfd:
        tmp = f".{path.name}.{secrets.token_hex(4)}.tmp"
        fd = os.open(
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=dfd,
        )
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
            os.rename(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        os.fsync(dfd)
        _remove_stale_temps(dfd, path.name)


def _stale(dfd: int, name: str) -> list[str]:
    pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{8}}\.tmp")
    return [entry for entry in os.listdir(dfd) if pattern.fullmatch(entry)]


def _remove_stale_temps(dfd: int, name: str) -> None:
    for entry in _stale(dfd, name):
        with contextlib.suppress(OSError):
            os.unlink(entry, dir_fd=dfd)


def stale_temps(path: Path) -> list[Path]:
    """Temp files of `path` that a write killed mid-way left beside it."""
    try:
        with directory(path.parent) as dfd:
            return [path.parent / entry for entry in _stale(dfd, path.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def remove_stale_temps(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), directory(path.parent) as dfd:
        _remove_stale_temps(dfd, path.name)


def remove_file(path: Path) -> None:
    """Remove a file (a link itself, never its target); nothing if it is not there."""
    try:
        with directory(path.parent) as dfd:
            os.unlink(path.name, dir_fd=dfd)
    except (FileNotFoundError, NotADirectoryError):
        pass


def remove_dir(path: Path) -> None:
    """rmdir: raises OSError when it is not empty (or gone)."""
    with directory(path.parent) as dfd:
        os.rmdir(path.name, dir_fd=dfd)
