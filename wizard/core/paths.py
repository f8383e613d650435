"""Where the wizard keeps its own state (journals with backups, the setup of record, logs), and
the check that nobody else can plant or change anything there.

As root the state lives in /var/lib/jupyter-setup-wizard, never under a home directory that
`sudo -E` or `env_keep += HOME` may have kept: a journal planted there would make root's
rollback write the planter's content anywhere. XDG_STATE_HOME, set explicitly, still wins
(tests, containers), and whatever the place, `checked()` refuses it unless only root and the
running user can change it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from wizard.core.errors import WizardError
from wizard.core.i18n import _

APP_NAME = "jupyter-setup-wizard"
SYSTEM_STATE_DIR = Path("/var/lib") / APP_NAME


class UnsafeStateDir(WizardError):
    """The state dir could be changed by another user: nothing was read or written there."""

    exit_code = 2


def state_dir() -> Path:
    if os.geteuid() == 0:
        xdg = os.environ.get("XDG_STATE_HOME")
        return Path(xdg) / APP_NAME if xdg else SYSTEM_STATE_DIR
    return Path(platformdirs.user_state_dir(APP_NAME))


def journal_root() -> Path:
    return state_dir() / "applies"


def log_dir() -> Path:
    return state_dir() / "log" if os.geteuid() == 0 else Path(platformdirs.user_log_dir(APP_NAME))


def state_dir_mode() -> int:
    """Root's state dir is readable (the setup of record tells its user what was set up; it
    holds no secret); its journals, logs and pid files stay private. A user's is 0700."""
    return 0o755 if os.geteuid() == 0 else 0o700


def checked(path: Path) -> Path:
    """`path` if no other user could have planted it or could swap anything along it: every
    existing component (the symlinks and what they point to) belongs to root or to us, and
    none is writable by others unless it is sticky (like /tmp). Raises UnsafeStateDir."""
    euid = os.geteuid()
    trusted = {0, euid}
    for given in (path, Path(os.path.realpath(path))):
        for p in (given, *given.parents):
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise UnsafeStateDir(
                    _("state dir {path}: cannot check {item}: {error}").format(
                        path=path, item=p, error=exc.strerror
                    )
                ) from exc
            if st.st_uid not in trusted:
                raise UnsafeStateDir(
                    _(
                        "state dir {path}: {item} belongs to uid {uid}, not to you or root; "
                        "refusing to use it (another user could plant journals there). "
                        "Move it away, or run without sudo -E / a kept HOME."
                    ).format(path=path, item=p, uid=st.st_uid)
                )
            writable_by_others = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            if (
                not stat.S_ISLNK(st.st_mode)
                and writable_by_others
                and not st.st_mode & stat.S_ISVTX
            ):
                raise UnsafeStateDir(
                    _(
                        "state dir {path}: {item} is writable by others (mode {mode}); "
                        "refusing to use it"
                    ).format(path=path, item=p, mode=f"{stat.S_IMODE(st.st_mode):04o}")
                )
    return path


def private_dir(path: Path, mode: int = 0o700) -> Path:
    """mkdir -p a directory of the state dir with `mode`, after checking where it is."""
    from wizard.core.fileops import directory, make_dirs

    checked(path)
    root = state_dir()
    if path != root and root in path.parents:
        private_dir(root, state_dir_mode())
    make_dirs(path, mode)  # as root: never through a link (wizard.core.fileops)
    with directory(path) as fd:
        os.fchmod(fd, mode)
    return checked(path)
