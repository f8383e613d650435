"""RunAs: the one way root runs a child as another user (their ids, groups, home)."""

from __future__ import annotations

import os
import pwd

from wizard.core.run_as import RunAs


def test_env_is_the_users_own_without_roots_dirs() -> None:
    who = RunAs("alice", 1234, 1234, (1234,), "/home/alice")
    env = who.env({"PATH": "/usr/bin", "HOME": "/root", "XDG_CONFIG_HOME": "/root/.config",
                   "XDG_RUNTIME_DIR": "/run/user/0", "IPYTHONDIR": "/root/.ipython",
                   "PIP_CACHE_DIR": "/root/.cache/pip", "USER": "root"})  # fmt: skip
    assert env == {"PATH": "/usr/bin", "HOME": "/home/alice", "USER": "alice", "LOGNAME": "alice"}


def test_popen_kwargs_carry_every_id() -> None:
    who = RunAs("alice", 1234, 1300, (1300, 27), "/home/alice")
    assert who.popen_kwargs() == {"user": 1234, "group": 1300, "extra_groups": [1300, 27],
                                  "umask": 0o022}  # fmt: skip


def test_for_owner_is_none_for_ourselves_and_root() -> None:
    assert RunAs.for_owner(None) is None
    assert RunAs.for_owner((0, 0)) is None
    nobody = pwd.getpwnam("nobody")
    if os.geteuid() != 0:  # only root runs anything as another user
        assert RunAs.for_owner((nobody.pw_uid, nobody.pw_gid)) is None
        return
    who = RunAs.for_owner((nobody.pw_uid, 4242))
    assert who is not None
    assert (who.name, who.uid, who.gid, who.home) == ("nobody", nobody.pw_uid, 4242, nobody.pw_dir)
    assert 4242 in who.groups
    ghost = RunAs.for_owner((54321, 54321))  # no passwd entry: still not root, no groups
    assert ghost is not None and (ghost.uid, ghost.groups, ghost.home) == (54321, (), "/")
