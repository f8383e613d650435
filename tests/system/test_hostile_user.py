"""Root applies for another user, and that user is hostile: planted links, a swap race while
real applies run, a planted state dir. Each asserts a root-owned victim stays untouched (bytes,
owner, mode) and nothing root-only became readable to that user.

The hostile user is `daemon` (every Debian has it), working in a home-like directory it owns;
the wizard runs as root on its behalf as under `sudo` (SUDO_USER).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_wizard as wizard
from tests.support.jupyter import shared_jlab_python
from tests.support.ports import free_port

pytestmark = pytest.mark.system

HOSTILE = "daemon"
# Valid Jupyter config, so a wizard that followed a link would read and merge it.
SECRET = b'{"ServerApp": {"certfile": "/root/only-root-may-know-this.pem"}}\n'
SECRET_TEXT = b"only-root-may-know-this"


def fingerprint(path: Path) -> tuple[bytes, int, int, int]:
    st = os.lstat(path)
    return path.read_bytes(), st.st_uid, st.st_gid, st.st_mode


class Space:
    """A directory tree the hostile user owns (its 'home'), and a victim only root may read."""

    def __init__(self, base: Path, python: str) -> None:
        pw = pwd.getpwnam(HOSTILE)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.home = base / "home"
        self.home.mkdir()
        os.chown(self.home, self.uid, self.gid)
        self.cfg = self.home / ".jupyter"
        self.victim_dir = base / "root-only"
        self.victim_dir.mkdir(mode=0o700)
        self.victim = self.victim_dir / "jupyter_server_config.json"
        self.victim.write_bytes(SECRET)
        self.victim.chmod(0o600)
        self.python = python
        self.answers = base / "answers.toml"
        self.state = base / "state"  # root's own: XDG_STATE_HOME, as tests keep state apart

    def as_user(self, *argv: str) -> None:
        subprocess.run(list(argv), check=True, user=self.uid, group=self.gid, timeout=30)

    def write_answers(self, port: int) -> Path:
        self.answers.write_text(
            textwrap.dedent(f"""\
                [jupyter]
                python = "{self.python}"
                config_dir = "{self.cfg}"
                [network]
                port = {port}
                root_dir = "{self.home}"
                """)
        )
        return self.answers

    def env(self) -> dict[str, str]:
        return {"SUDO_USER": HOSTILE, "XDG_STATE_HOME": str(self.state)}

    def apply(self, port: int | None = None) -> subprocess.CompletedProcess[str]:
        answers = self.write_answers(port or free_port())
        return wizard("apply", str(answers), "--yes", env=self.env())

    def journal_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.state.rglob("*") if p.is_file())


@pytest.fixture
def space() -> Iterator[Space]:
    # Not under pytest's tmp dir: the hostile user must be able to reach its own "home". And a
    # JupyterLab that user can run: with no service manager the apply starts it once as them.
    base = Path(tempfile.mkdtemp(prefix="jsw-hostile-", dir="/var/tmp"))
    base.chmod(0o755)
    try:
        yield Space(base, shared_jlab_python())
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_setup_works_for_the_user_when_nobody_interferes(space: Space) -> None:
    r = space.apply()
    assert r.returncode == 0, r.stderr
    cfg = space.cfg / "jupyter_server_config.json"
    st = cfg.stat()
    # the user's config is theirs, made so before it was renamed into place
    assert (st.st_uid, st.st_gid) == (space.uid, space.gid)
    assert (space.cfg.stat().st_uid, space.cfg.stat().st_gid) == (space.uid, space.gid)


def test_planted_config_link_is_refused_and_the_victim_untouched(space: Space) -> None:
    before = fingerprint(space.victim)
    space.as_user("mkdir", str(space.cfg))
    space.as_user("ln", "-s", str(space.victim), str(space.cfg / "jupyter_server_config.json"))
    r = space.apply()
    assert r.returncode == 2, r.stdout + r.stderr
    assert "symbolic link" in r.stderr and "jupyter_server_config.json" in r.stderr
    assert fingerprint(space.victim) == before
    assert (space.cfg / "jupyter_server_config.json").is_symlink()  # left as it was
    assert SECRET_TEXT not in space.journal_bytes()
    assert SECRET_TEXT.decode() not in r.stdout + r.stderr


def test_planted_config_dir_link_is_refused(space: Space) -> None:
    before = fingerprint(space.victim)
    space.as_user("ln", "-s", str(space.victim_dir), str(space.cfg))
    r = space.apply()
    assert r.returncode == 2, r.stdout + r.stderr
    assert "symbolic link" in r.stderr
    assert fingerprint(space.victim) == before
    assert sorted(os.listdir(space.victim_dir)) == ["jupyter_server_config.json"]
    assert SECRET_TEXT not in space.journal_bytes()


RACER = textwrap.dedent("""\
    import os, sys, time
    cfg, victim, seconds, stop = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    d = os.path.dirname(cfg)
    end = time.monotonic() + seconds
    n = 0
    real = d + ".real"
    while time.monotonic() < end and not os.path.exists(stop):
        # swap whatever root just wrote (and any temp file of its) for a link to the victim
        try:
            for name in os.listdir(d):
                p = os.path.join(d, name)
                if not os.path.islink(p):
                    tmp = os.path.join(d, f".swap-{n}")
                    os.symlink(victim, tmp)
                    os.rename(tmp, p)
                    n += 1
        except OSError:
            pass
        # and the config dir itself for a link to the victim's directory, for a moment
        try:
            os.rename(d, real)
            os.symlink(os.path.dirname(victim), d)
            n += 1
            time.sleep(0.001)
            os.unlink(d)
            os.rename(real, d)
        except OSError:
            pass
    print(n)
""")


def test_swap_race_during_real_applies_never_reaches_the_victim(space: Space) -> None:
    """The user swaps files for links to the victim as fast as it can while root applies
    (bounded: 8 applies, the racer stops on its own)."""
    before = fingerprint(space.victim)
    space.as_user("mkdir", str(space.cfg))
    seconds = 60.0
    stop = space.victim_dir.parent / "stop-racing"
    racer = subprocess.Popen(
        [
            "/usr/bin/python3",  # Debian's: the hostile user cannot run the test venv's
            "-c",
            RACER,
            str(space.cfg / "jupyter_server_config.json"),
            str(space.victim),
            str(seconds),
            str(stop),
        ],
        user=space.uid,
        group=space.gid,
        stdout=subprocess.PIPE,
        text=True,
    )
    results = []
    try:
        deadline = time.monotonic() + seconds - 5
        for _ in range(8):
            if time.monotonic() > deadline:
                break
            results.append(space.apply().returncode)
    finally:
        stop.touch()
        out, _ = racer.communicate(timeout=seconds)
    assert results and all(rc in (0, 1, 2) for rc in results), results
    assert int(out.strip() or 0) > 0, "the racer never swapped anything"
    assert fingerprint(space.victim) == before
    # nothing of root's reached the user's space: every regular file there is the user's own
    # or a config the wizard wrote, owned by the user
    for p in space.home.rglob("*"):
        if p.is_symlink():
            continue
        assert p.stat().st_uid == space.uid, p
        assert SECRET_TEXT not in (p.read_bytes() if p.is_file() else b"")
    assert SECRET_TEXT not in space.journal_bytes()


def test_planted_state_dir_is_refused(space: Space) -> None:
    """A state dir the user could write (sudo -E kept their XDG_STATE_HOME): root's rollback
    must not read a journal planted there."""
    planted = space.home / "state"
    space.as_user("mkdir", "-p", str(planted / "jupyter-setup-wizard" / "applies" / "x"))
    journal = {
        "id": "x",
        "dir": "",
        "created": 0,
        "title": "planted",
        "status": "applied",
        "files": [{"path": str(space.victim), "existed": False}],
    }
    target = planted / "jupyter-setup-wizard" / "applies" / "x" / "journal.json"
    subprocess.run(
        ["sh", "-c", f"cat > {target}"],
        input=json.dumps(journal),
        text=True,
        check=True,
        user=space.uid,
        group=space.gid,
    )
    before = fingerprint(space.victim)
    for args in (("rollback", "--yes"), ("history",)):
        r = wizard(*args, env={"SUDO_USER": HOSTILE, "XDG_STATE_HOME": str(planted)})
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "refusing to use it" in r.stderr
    assert fingerprint(space.victim) == before


def test_planted_link_for_the_self_signed_pair_creates_nothing_for_root(space: Space) -> None:
    """direct access with a self-signed pair in the user's ~/.jupyter/tls: a dangling link
    there must not make root create (and hand over) a file where it points."""
    aim = space.victim_dir.parent / "made-by-root.sh"
    space.as_user("mkdir", "-p", str(space.cfg / "tls"))
    space.as_user("ln", "-s", str(aim), str(space.cfg / "tls" / "cert.pem"))
    answers = space.write_answers(free_port())
    with answers.open("a") as fh:
        fh.write('ip = "0.0.0.0"\n[access]\nmethod = "direct"\nself_signed = true\n')
    r = wizard(
        "apply", str(answers), "--yes", "--password-stdin", stdin="Hostile-Test-Pass-1",
        env=space.env(),
    )  # fmt: skip
    assert r.returncode != 0, r.stdout + r.stderr
    assert not os.path.lexists(aim)
    assert (space.cfg / "tls" / "cert.pem").is_symlink()  # left as it was


def test_no_venv_made_by_root_in_the_users_directory(space: Space) -> None:
    """A venv root makes and later removes (rollback) in a directory the user owns could be
    steered anywhere by swapping a parent: refused, with the way forward."""
    answers = space.write_answers(free_port())
    text = answers.read_text().replace(f'python = "{space.python}"\n', "")
    answers.write_text(
        text + f'[install]\naction = "create-venv"\nvenv_path = "{space.home}/venv"\n'
    )
    r = wizard("apply", str(answers), "--dry-run", env=space.env())
    assert r.returncode == 2, r.stdout + r.stderr
    assert "install.venv_path" in r.stderr and f"run the wizard as {HOSTILE}" in r.stderr
    assert not (space.home / "venv").exists()
