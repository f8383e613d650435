"""Who the wizard works for under sudo, their SSH session, and the state dir nobody else
controls. Run as root, like the wizard under sudo (the test machines are root)."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.core.answers import Answers
from wizard.core.paths import UnsafeStateDir, checked, private_dir
from wizard.plan.service import step as service
from wizard.probe import person

OTHER = "daemon"  # a non-root account every Debian has


def test_under_sudo_you_are_the_sudo_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", OTHER)
    who = person.person()
    pw = pwd.getpwnam(OTHER)
    assert (who.name, who.uid, who.home, who.via_sudo) == (OTHER, pw.pw_uid, pw.pw_dir, True)
    monkeypatch.delenv("SUDO_USER")
    assert person.person().name == "root" and not person.person().via_sudo


def test_under_sudo_the_defaults_are_the_sudo_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", OTHER)
    home = pwd.getpwnam(OTHER).pw_dir
    from wizard.plan.steps.network import default_root_dir

    assert default_root_dir() == home
    for manager in ("none", "systemd-system", "background"):
        a = Answers().replace("service", manager=manager)
        assert service.default_config_dir(a) == f"{home}/.jupyter", manager
    # an explicit service user is that user's, an explicit config dir stays as given
    a = Answers().replace("service", manager="systemd-system", user="nobody")
    assert service.default_config_dir(a) == f"{pwd.getpwnam('nobody').pw_dir}/.jupyter"
    a = Answers().replace("jupyter", config_dir="/srv/cfg")
    assert service.default_config_dir(a) is None


def _ssh_connection_seen_by_child(outer_env: dict[str, str]) -> str:
    """A process tree like sshd -> login shell (holds SSH_CONNECTION) -> sudo -> the wizard
    (env_reset dropped it): the shell is a new session's leader, as a login shell is."""
    child = (
        f"env -u SSH_CONNECTION SUDO_USER={OTHER} {sys.executable} -c "
        "'from wizard.probe.person import ssh_connection; print(ssh_connection())'"
    )
    r = subprocess.run(
        ["setsid", "--wait", "sh", "-c", child],
        env={**os.environ, **outer_env},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_ssh_session_recovered_from_the_login_shell_above_sudo() -> None:
    env = {"SSH_CONNECTION": "10.0.0.9 51234 192.0.2.10 2222"}
    assert _ssh_connection_seen_by_child(env) == "10.0.0.9 51234 192.0.2.10 2222"


def test_no_ssh_session_above_the_session_leader() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SSH_CONNECTION"}
    env.pop("SSH_CONNECTION", None)
    # Only the tree under the new session is read: nothing there has SSH_CONNECTION.
    r = subprocess.run(
        [
            "setsid",
            "--wait",
            "sh",
            "-c",
            f"SUDO_USER={OTHER} {sys.executable} -c "
            "'from wizard.probe.person import ssh_connection; print(ssh_connection())'",
        ],
        env={**env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert r.stdout.strip() == "None", r.stderr


def test_a_state_dir_another_user_owns_is_refused(tmp_path: Path) -> None:
    pw = pwd.getpwnam(OTHER)
    planted = tmp_path / "planted"
    planted.mkdir()
    os.chown(planted, pw.pw_uid, pw.pw_gid)
    with pytest.raises(UnsafeStateDir, match="belongs to uid"):
        checked(planted / "jupyter-setup-wizard")
    # through a symlink the other user controls
    link = tmp_path / "link"
    link.symlink_to(planted)
    with pytest.raises(UnsafeStateDir):
        checked(link)


def test_a_state_dir_others_can_write_is_refused_unless_sticky(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    with pytest.raises(UnsafeStateDir, match="writable by others"):
        checked(open_dir / "state")
    open_dir.chmod(0o1777)  # like /tmp: others cannot replace what is ours
    assert checked(open_dir / "state") == open_dir / "state"


def test_private_dir_makes_it_with_the_mode(tmp_path: Path) -> None:
    d = private_dir(tmp_path / "a" / "b")
    assert d.is_dir() and (d.stat().st_mode & 0o777) == 0o700
