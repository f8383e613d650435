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

from wizard.core.fileops import UnsafePath
from wizard.core.i18n import _


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

    def popen_kwargs(self, cwd: str | None = None) -> dict[str, Any]:
        """For subprocess.Popen/run: the identity the child takes before it execs, and a working
        directory it may enter (`cwd`, else their home, else /): ours may be closed to them
        (root's home under sudo), and Python's own start-up asks for it."""
        if cwd is None:
            cwd = self.home if os.path.isdir(self.home) else "/"
        return {"user": self.uid, "group": self.gid, "extra_groups": list(self.groups),
                "umask": 0o022, "cwd": cwd}  # fmt: skip

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """`base` (default: ours) cut down to what a program of this user's needs (PATH, the
        locale, proxies, the PIP_/UV_/JUPYTER_ settings the wizard passes on) and made theirs:
        their HOME, so caches, config, IPython and Jupyter dirs are theirs. Nothing else of
        root's (a credential in a variable under sudo -E, root's XDG dirs) reaches them."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if _passed_on(k)}
        env.update(HOME=self.home, USER=self.name, LOGNAME=self.name)
        return env


_PASSED_ON = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
              "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
              "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
_PASSED_ON_PREFIXES = ("LC_", "PIP_", "UV_", "JUPYTER_")


def _passed_on(key: str) -> bool:
    if key == "PIP_CACHE_DIR":
        return False  # root's, which this user may not write
    return key in _PASSED_ON or key.startswith(_PASSED_ON_PREFIXES)


def owner_of(program: Path) -> RunAs | None:
    """Whom to run `program` (an interpreter, a script in an environment) as: as root, the user
    who could change what it runs, i.e. the owner of any directory or link on its path or on
    the path its links lead to, when that is not root; None: ourselves (not root, or root's
    all the way). Asked just before each run: who owns what can change after a plan. Two
    different such users: UnsafePath (each could change what the other runs)."""
    if os.geteuid() != 0:
        return None
    uids: set[int] = set()
    for path in (program, Path(os.path.realpath(program))):
        for part in (*reversed(path.parents), path):
            try:
                uid = os.lstat(part).st_uid
            except OSError:
                break  # not there (yet): the rest cannot be either
            if uid != 0:
                uids.add(uid)
    if len(uids) > 1:
        names = ", ".join(sorted(RunAs.of_uid(u).name for u in uids))
        raise UnsafePath(
            _(
                "{program}: directories or links on its path belong to different users "
                "({names}); as root the wizard runs it as none of them"
            ).format(program=program, names=names)
        )
    return RunAs.of_uid(uids.pop()) if uids else None


def as_its_owner(program: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """subprocess.run keyword arguments that run `program` as owner_of says (with `env`,
    default ours, made that user's); as ourselves: just `env`. UnsafePath as owner_of."""
    who = owner_of(Path(program))
    if who is None:
        return {"env": None if env is None else dict(env)}
    return {"env": who.env(env), **who.popen_kwargs()}
