"""Running a command as another user: root never runs code another user can change.

An environment in a user's home (a venv, a conda env) is that user's to change: its `python`
and `pip` run as root would run whatever they put there as root. So as root such commands run
as the environment's owner, with their uid, gids, home and a umask of their own, and every
file they make is theirs, within their own rights.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunAs:
    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str

    @classmethod
    def of_uid(cls, uid: int) -> RunAs:
        try:
            pw = pwd.getpwuid(uid)
        except KeyError:  # no passwd entry: no groups, no home, still not root
            return cls(str(uid), uid, uid, (), "/")
        return cls.of(pw)

    @classmethod
    def of(cls, pw: pwd.struct_passwd, gid: int | None = None) -> RunAs:
        gid = pw.pw_gid if gid is None else gid
        groups = tuple(os.getgrouplist(pw.pw_name, gid))
        return cls(pw.pw_name, pw.pw_uid, gid, groups, pw.pw_dir)

    @classmethod
    def for_owner(cls, owner: tuple[int, int] | None) -> RunAs | None:
        """Whom to run as for (uid, gid) `owner`: None when that is ourselves (not root, no
        owner, or root's own)."""
        if owner is None or os.geteuid() != 0 or owner[0] == 0:
            return None
        try:
            return cls.of(pwd.getpwuid(owner[0]), owner[1])
        except KeyError:
            return cls(str(owner[0]), owner[0], owner[1], (), "/")

    def popen_kwargs(self) -> dict[str, Any]:
        """For subprocess.Popen/run: the identity the child takes before it execs."""
        return {"user": self.uid, "group": self.gid, "extra_groups": list(self.groups),
                "umask": 0o022}  # fmt: skip

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """`base` (default: ours) as this user's: their HOME (so caches, config, IPython and
        Jupyter dirs are theirs), without root's XDG, IPython and pip cache dirs."""
        env = {
            k: v
            for k, v in (os.environ if base is None else base).items()
            if not k.startswith(("XDG_", "IPYTHON")) and k != "PIP_CACHE_DIR"
        }
        env.update(HOME=self.home, USER=self.name, LOGNAME=self.name)
        return env


def owner_of(python: Path) -> RunAs | None:
    """Whom to run an interpreter as: as root, the user who could change what it runs (the
    owner of the interpreter, the link to it or its environment, when that is not root);
    None: ourselves (not root, or root's own all the way). A missing path: None."""
    if os.geteuid() != 0:
        return None
    for p in (python, python.parent.parent, Path(os.path.realpath(python))):
        try:
            uid = os.lstat(p).st_uid
        except OSError:
            continue
        if uid != 0:
            return RunAs.of_uid(uid)
    return None
