"""One apply or rollback at a time per state dir, and the applies a crash left behind.

The lock is an flock on a file in the state dir holding the holder's pid and command: the
kernel drops it when that process dies however it dies, so a stale lock is simply free. A
journal still `applying` while nobody holds the lock was interrupted (SIGKILL, power loss):
every later command names it, and `rollback` undoes what it had done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

from wizard.apply.journal import Journal, list_journals
from wizard.core.errors import WizardError
from wizard.core.i18n import _, ngettext
from wizard.core.paths import private_dir, state_dir, state_dir_mode

LOCK = "apply.lock"


class Busy(WizardError):
    """Another apply or rollback holds the lock: nothing was changed."""

    exit_code = 1


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)


@contextlib.contextmanager
def exclusive(what: str) -> Iterator[None]:
    """Hold the state dir's apply lock for `what`, or raise Busy naming the holder."""
    try:
        fd = _open(private_dir(state_dir(), state_dir_mode()) / LOCK)
    except OSError as exc:
        raise _unusable(exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or _("another process")
            raise Busy(
                _(
                    "another apply is running ({holder}); wait for it to finish, then try again"
                ).format(holder=holder)
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {what}\n".encode(), 0)
            os.fsync(fd)
        except OSError as exc:  # a full disk: before anything changes
            raise _unusable(exc) from exc
        yield
    finally:
        os.close(fd)  # releases the lock


def _unusable(exc: OSError) -> Busy:
    return Busy(
        _("cannot take the apply lock in {path} ({error}); nothing was changed").format(
            path=state_dir(), error=exc.strerror
        )
    )


def holder() -> str | None:
    """Who holds the lock now (None: nobody)."""
    path = state_dir() / LOCK
    try:
        fd = _open(path) if path.exists() else -1
    except OSError:
        return None
    if fd < 0:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 4096, 0).decode(errors="replace").strip() or _("another process")
    finally:
        os.close(fd)
    return None


def command_line() -> str:
    return shlex.join(["jupyter-setup-wizard", *sys.argv[1:]])


def interrupted(root: Path | None = None) -> list[Journal]:
    """Applies that were still running when their process died (oldest first)."""
    applying = [j for j in list_journals(root) if j.status == "applying"]
    return applying if applying and holder() is None else []


def interrupted_text(j: Journal) -> str:
    n = len(j.steps)
    done = ngettext(
        "after {count} completed change(s)", "after {count} completed change(s)", n
    ).format(count=n)
    doing = _(", while: {action}").format(action=j.running) if j.running else ""
    return _(
        "apply {id} ({title}) was interrupted {done}{doing}. Undo what it did with: {command}"
    ).format(
        id=j.id,
        title=j.title,
        done=done,
        doing=doing,
        command=f"jupyter-setup-wizard rollback {j.id}",
    )
