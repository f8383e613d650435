"""RunAs: the one way root runs a child as another user (their ids, groups, home); owner_of:
whom, asked before each run. The owner tests need root (as the suite runs in CI)."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from wizard.core.fileops import UnsafePath
from wizard.core.run_as import RunAs, owner_of


def test_env_is_the_users_own_without_roots_dirs() -> None:
    who = RunAs("alice", 1234, 1234, (1234,), "/home/alice")
    env = who.env({"PATH": "/usr/bin", "HOME": "/root", "XDG_CONFIG_HOME": "/root/.config",
                   "XDG_RUNTIME_DIR": "/run/user/0", "IPYTHONDIR": "/root/.ipython",
                   "PIP_CACHE_DIR": "/root/.cache/pip", "USER": "root",
                   "AWS_SECRET_ACCESS_KEY": "root's", "SSH_AUTH_SOCK": "/tmp/ssh-x/agent.1",
                   "PIP_INDEX_URL": "http://127.0.0.1:1/simple", "LC_ALL": "C.UTF-8"})  # fmt: skip
    assert env == {"PATH": "/usr/bin", "HOME": "/home/alice", "USER": "alice", "LOGNAME": "alice",
                   "PIP_INDEX_URL": "http://127.0.0.1:1/simple", "LC_ALL": "C.UTF-8"}  # fmt: skip


def test_popen_kwargs_carry_every_id() -> None:
    who = RunAs("alice", 1234, 1300, (1300, 27), "/home/alice")
    assert who.popen_kwargs() == {
        "user": 1234,
        "group": 1300,
        "extra_groups": [1300, 27],
        "umask": 0o022,
        "cwd": "/",
    }  # fmt: skip  (no such home)
    assert who.popen_kwargs(cwd="/srv/nb")["cwd"] == "/srv/nb"


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


def _nobody_dir() -> Path:
    """A directory of nobody's, reachable by nobody (pytest's tmp dirs are root's, 0700)."""
    d = Path(tempfile.mkdtemp(prefix="jsw-runas-", dir="/var/tmp"))
    d.chmod(0o755)
    owned = d / "home"
    owned.mkdir()
    nobody = pwd.getpwnam("nobody")
    os.chown(owned, nobody.pw_uid, nobody.pw_gid)
    return owned


def _recorder(where: Path) -> Path:
    """A "python" that records who ran it, and answers like the probe's script."""
    (where / "bin").mkdir(exist_ok=True)
    prog = where / "bin" / "python3"
    prog.write_text(f"#!/bin/sh\nid -u > {where}/ran-as\necho '{{}}'\n")
    prog.chmod(0o755)
    return prog


@pytest.fixture
def owned() -> Iterator[Path]:
    d = _nobody_dir()
    yield d
    shutil.rmtree(d.parent)


def test_root_runs_another_users_program_as_that_user(owned: Path) -> None:
    """Every way the wizard runs a program of an environment: the probe's script, the
    package snapshot, a streamed command. Never as root."""
    from wizard.plan.actions import ApplyContext, run_streaming
    from wizard.probe.interpreter import run_json_script

    prog = _recorder(owned)
    nobody = str(pwd.getpwnam("nobody").pw_uid)
    assert run_json_script(str(prog), "", timeout=10) == {}
    assert (owned / "ran-as").read_text().strip() == nobody
    (owned / "ran-as").unlink()
    ctx = ApplyContext(journal=None, log=lambda line: None)  # type: ignore[arg-type]
    run_streaming([str(prog)], ctx, env=None, timeout=10)
    assert (owned / "ran-as").read_text().strip() == nobody


def test_a_root_owned_env_in_another_users_dir_is_theirs(owned: Path) -> None:
    env = owned / "envs" / "torch"
    (env / "bin").mkdir(parents=True)
    os.chown(owned / "envs", 0, 0)  # root's env, in nobody's directory: nobody can swap it
    who = owner_of(env / "bin" / "python")
    assert who is not None and who.name == "nobody"


def test_a_path_of_two_users_is_refused(owned: Path) -> None:
    other = pwd.getpwnam("daemon")
    theirs = owned.parent / "daemon-python"
    theirs.mkdir()
    os.chown(theirs, other.pw_uid, other.pw_gid)
    (theirs / "python3").write_text("#!/bin/sh\n")
    link = owned / "python3"
    link.symlink_to(theirs / "python3")
    os.lchown(link, 0, 0)
    with pytest.raises(UnsafePath, match="daemon, nobody"):
        owner_of(link)


def test_an_install_refuses_an_environment_that_changed_hands_since_the_plan(owned: Path) -> None:
    from wizard.plan.steps.install_actions import InstallSpec, PipInstall

    python = owned / "venv" / "bin" / "python"
    planned_as_roots = InstallSpec(str(python), "ipykernel", upgrade=False, previous=None,
                                   fresh=False, lab_bin="", as_user=None)  # fmt: skip
    with pytest.raises(RuntimeError, match="belongs to nobody now, not root as planned"):
        PipInstall(planned_as_roots).runner()
    nobody = RunAs.of_uid(pwd.getpwnam("nobody").pw_uid)
    as_planned = PipInstall(replace(planned_as_roots, as_user=nobody)).runner()
    assert as_planned is not None and as_planned.uid == nobody.uid
