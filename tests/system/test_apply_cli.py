"""`jupyter-setup-wizard apply` on real files with a real JupyterLab interpreter: bad input,
idempotence, rollback and secrets kept out of every file."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.support.cli import REPO
from tests.support.cli import run_wizard as wizard
from tests.support.ports import free_port

pytestmark = pytest.mark.system

PASSWORD = "Plaintext-Never-Written-7"


def tree_state(*dirs: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if p.is_file():
                out[str(p)] = (p.read_bytes(), p.stat().st_mode & 0o7777)
    return out


class Setup:
    def __init__(self, tmp: Path, python: str) -> None:
        self.tmp = tmp
        self.cfg = tmp / "cfg"
        self.root = tmp / "nb"
        self.root.mkdir()
        self.python = python
        self.answers = tmp / "answers.toml"
        self.port = free_port()

    def write(self, method: str = "ssh-tunnel", **network: object) -> Path:
        net = {"port": self.port, "root_dir": str(self.root), **network}
        lines = [
            "[jupyter]",
            f'python = "{self.python}"',
            f'config_dir = "{self.cfg}"',
            "[network]",
        ]
        lines += [f"{k} = {json.dumps(v)}" for k, v in net.items()]
        lines += ["[access]", f'method = "{method}"']
        self.answers.write_text("\n".join(lines) + "\n")
        return self.answers

    @property
    def state_dir(self) -> Path:
        return Path(os.environ["XDG_STATE_HOME"])


@pytest.fixture
def setup(tmp_path: Path, jlab: str) -> Setup:
    return Setup(tmp_path, jlab)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_apply_twice_then_rollback(setup: Setup) -> None:
    setup.cfg.mkdir()
    original = b'{\n  "LabApp": {"collaborative": false},\n  "ServerApp": {"token": "abc"}\n}\n'
    (setup.cfg / "jupyter_server_config.json").write_bytes(original)
    os.chmod(setup.cfg / "jupyter_server_config.json", 0o644)

    first = wizard("apply", str(setup.write()), "--yes", "--password-stdin", stdin=PASSWORD)
    assert first.returncode == 0, first.stderr
    cfg = setup.cfg / "jupyter_server_config.json"
    data = json.loads(cfg.read_text())
    assert data["LabApp"] == {"collaborative": False}  # unknown keys kept
    assert "token" not in data["ServerApp"]  # legacy ServerApp.token migrated away
    assert data["ServerApp"]["port_retries"] == 0
    assert data["ServerApp"]["allow_remote_access"] is False
    assert data["PasswordIdentityProvider"]["hashed_password"].startswith("argon2:$argon2id$")
    assert cfg.stat().st_mode & 0o777 == 0o600

    second = wizard("apply", str(setup.answers), "--yes", "--password-stdin", stdin=PASSWORD)
    assert second.returncode == 0, second.stderr
    assert "Nothing to change" in second.stdout

    history = wizard("history")
    assert history.stdout.count("applied") == 1

    rb = wizard("rollback", "--yes")
    assert rb.returncode == 0, rb.stderr
    assert cfg.read_bytes() == original
    assert cfg.stat().st_mode & 0o777 == 0o644


def test_dry_run_changes_nothing_and_hides_hashes(setup: Setup) -> None:
    r = wizard("apply", str(setup.write()), "--dry-run", "--password-stdin", stdin=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert '"hashed_password": "<password hash>"' in r.stdout
    assert "argon2:$" not in r.stdout
    assert not setup.cfg.exists()


def test_plaintext_password_is_written_nowhere(setup: Setup, busy_port: int) -> None:
    ok = wizard("apply", str(setup.write()), "--yes", "--password-stdin", stdin=PASSWORD)
    assert ok.returncode == 0, ok.stderr
    # a failed apply too: make the config file unwritable mid-way by asking for a busy port
    failed = wizard(
        "apply", str(setup.write(port=busy_port)), "--yes", "--password-stdin", stdin=PASSWORD
    )
    assert failed.returncode == 2
    searched = 0
    for d in (setup.cfg, setup.state_dir, setup.tmp):
        for p in d.rglob("*"):
            if p.is_file():
                searched += 1
                assert PASSWORD.encode() not in p.read_bytes(), p
    assert searched >= 4
    for out in (ok.stdout, ok.stderr, failed.stdout, failed.stderr):
        assert PASSWORD not in out


def test_a_directory_where_the_config_file_goes(setup: Setup) -> None:
    setup.cfg.mkdir()
    (setup.cfg / "jupyter_server_config.py").write_text("c.ServerApp.port = 1234\n")
    (setup.cfg / "jupyter_server_config.json").mkdir()
    before = tree_state(setup.cfg)
    r = wizard("apply", str(setup.write()), "--yes")
    assert r.returncode == 2, r.stderr
    assert "jupyter_server_config.json exists but is not a regular file" in r.stderr
    assert tree_state(setup.cfg) == before


BAD_INPUTS = [
    ("ip", {"ip": "300.1.1.1"}, "network.ip: '300.1.1.1' is not an IP address"),
    (
        "ip-not-here",
        {"ip": "203.0.113.77"},
        "network.ip: 203.0.113.77 is not an address of this machine",
    ),
    ("ip-star", {"ip": "*"}, "legacy spelling"),
    ("port-0", {"port": 0}, "network.port: 0 is not a port"),
    ("port-70000", {"port": 70000}, "network.port: 70000 is not a port"),
    ("base-url", {"base_url": "jupyter"}, "network.base_url"),
    (
        "root-dir",
        {"root_dir": "/does/not/exist"},
        "network.root_dir: /does/not/exist is not an existing directory",
    ),
    (
        "beyond-loopback-no-password",
        {"ip": "0.0.0.0", "method": "direct"},
        "beyond loopback) needs a password",
    ),
    ("tunnel-beyond-loopback", {"ip": "0.0.0.0"}, "ssh-tunnel reaches Jupyter on loopback"),
]


@pytest.mark.parametrize(("case", "network", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_network_input(
    setup: Setup, case: str, network: dict[str, object], message: str
) -> None:
    setup.cfg.mkdir()
    (setup.cfg / "jupyter_server_config.json").write_text('{"LabApp": {}}\n')
    before = tree_state(setup.cfg)
    r = wizard("apply", str(setup.write(**network)), "--yes")
    assert r.returncode == 2, r.stdout
    assert message in r.stderr
    assert tree_state(setup.cfg) == before


def test_busy_port_names_the_process(setup: Setup, busy_port: int) -> None:
    r = wizard("apply", str(setup.write(port=busy_port)), "--yes")
    assert r.returncode == 2
    import psutil

    assert f"port {busy_port} is in use by {psutil.Process().name()}" in r.stderr
    assert f"pid {os.getpid()}" in r.stderr
    assert not setup.cfg.exists()


def test_unparsable_config_is_never_overwritten(setup: Setup) -> None:
    setup.cfg.mkdir()
    broken = setup.cfg / "jupyter_server_config.json"
    broken.write_bytes(b'{"ServerApp": {"port": 1,}\n')
    before = tree_state(setup.cfg)
    r = wizard("apply", str(setup.write()), "--yes", "--password-stdin", stdin=PASSWORD)
    assert r.returncode == 2
    assert "not valid JSON" in r.stderr and str(broken) in r.stderr
    assert tree_state(setup.cfg) == before


@pytest.fixture
def read_only_config_dir(setup: Setup) -> Iterator[Path]:
    """The config dir on a read-only mount: unwritable even for root, as on a locked-down host."""
    setup.cfg.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "jswtest", str(setup.cfg)], check=True)
    try:
        (setup.cfg / "jupyter_server_config.json").write_text('{"LabApp": {}}\n')
        subprocess.run(["mount", "-o", "remount,ro", str(setup.cfg)], check=True)
        yield setup.cfg
    finally:
        subprocess.run(["umount", str(setup.cfg)], check=True)


def test_unwritable_config_dir(setup: Setup, read_only_config_dir: Path) -> None:
    before = tree_state(read_only_config_dir)
    r = wizard("apply", str(setup.write()), "--yes", "--password-stdin", stdin=PASSWORD)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"cannot write {read_only_config_dir}/jupyter_server_config.json" in r.stderr
    assert "is not writable by this user" in r.stderr
    assert tree_state(read_only_config_dir) == before


def test_missing_interpreter(setup: Setup) -> None:
    setup.python = str(setup.tmp / "no-such-python")
    r = wizard("apply", str(setup.write()), "--yes")
    assert r.returncode == 2
    assert "jupyter.python:" in r.stderr and "does not exist" in r.stderr


@pytest.mark.parametrize(
    ("installer", "sig"), [("uv", "SIGTERM"), ("pip", "SIGTERM"), ("pip", "SIGHUP")]
)
def test_signal_mid_install_rolls_back(installer: str, sig: str, setup: Setup) -> None:
    """`kill`, or a hangup (the SSH connection dropped), during a slow install: the installer
    is stopped, the new venv and config are gone (exit 130)."""
    import signal
    import time

    venv = setup.tmp / "venv"
    setup.write()
    with setup.answers.open("a") as fh:
        fh.write(
            f'[install]\naction = "create-venv"\nvenv_path = "{venv}"\ninstaller = "{installer}"\n'
        )
    text = setup.answers.read_text().replace(f'python = "{setup.python}"\n', "")
    setup.answers.write_text(text)
    with socket.socket() as index:  # a package index that accepts connections and never answers
        index.bind(("127.0.0.1", 0))
        index.listen()
        env = {
            **os.environ,
            "PIP_CONFIG_FILE": "/dev/null",
            "PIP_INDEX_URL": f"http://127.0.0.1:{index.getsockname()[1]}/simple",
            "PIP_TIMEOUT": "120",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "wizard", "apply", str(setup.answers), "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO,  # `-m wizard` imports this checkout, wherever pytest was started
        )
        deadline = time.monotonic() + 90
        while not (venv / "bin" / "python").exists() or not _installer_running(venv):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout
            time.sleep(0.1)
        proc.send_signal(getattr(signal, sig))
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Rolled back" in out
    assert not venv.exists()
    assert not setup.cfg.exists()
    assert not _installer_running(venv)


def _installer_running(venv: Path) -> bool:
    """pip (`VENV/bin/python -m pip ...`) or uv (`uv pip install --python VENV/bin/python ...`)."""
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "pip" in cmd and any(arg.startswith(str(venv)) for arg in cmd):
            return True
    return False


def test_jupyter_setup_wizard_subcommand(jlab: str) -> None:
    """`jupyter setup-wizard` finds the console script the way jupyter finds its subcommands."""
    scripts = Path(sys.executable).parent
    assert (scripts / "jupyter-setup-wizard").exists(), "the package is not installed in this venv"
    r = subprocess.run(
        [str(Path(jlab).parent / "jupyter"), "setup-wizard", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        # the console script is the shared venv's editable install, which may point at another
        # checkout: PYTHONPATH makes it run this checkout's `wizard.cli:main`
        env={**os.environ, "PATH": f"{scripts}:{os.environ['PATH']}", "PYTHONPATH": str(REPO)},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("jupyter-setup-wizard ")


def _apply_in_a_pty(setup: Setup, answer: str) -> tuple[int | None, str]:
    """`apply` without --yes in a real terminal, the password on stdin (a file, not the pty)."""
    secret = setup.tmp / "password"
    secret.write_text(PASSWORD)
    cmd = (
        f"exec {shlex.quote(sys.executable)} -m wizard apply {shlex.quote(str(setup.write()))}"
        f" --password-stdin < {shlex.quote(str(secret))}"
    )
    child = pexpect.spawn("/bin/sh", ["-c", cmd], cwd=str(REPO), encoding="utf-8", timeout=120)
    try:
        child.expect(r"Apply \d+ change\(s\)\? \[y/N\] ")
        child.send(answer + "\r")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    return child.exitstatus, (child.before or "")


def test_apply_asks_on_the_terminal_yes(setup: Setup) -> None:
    code, out = _apply_in_a_pty(setup, "y")
    assert code == 0, out
    assert "Applied (ID" in out and PASSWORD not in out
    assert (setup.cfg / "jupyter_server_config.json").exists()


def test_apply_asks_on_the_terminal_no(setup: Setup) -> None:
    code, out = _apply_in_a_pty(setup, "n")
    assert code == 0, out
    assert "Nothing changed." in out and "Applied" not in out
    assert not setup.cfg.exists() and not setup.state_dir.joinpath("jupyter-setup-wizard").exists()


def test_apply_without_any_terminal_says_so(setup: Setup) -> None:
    """Only a process with no controlling terminal at all is told to pass --yes."""
    r = subprocess.run(
        [sys.executable, "-m", "wizard", "apply", str(setup.write()), "--password-stdin"],
        input=PASSWORD,
        capture_output=True,
        text=True,
        cwd=REPO,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
        timeout=120,
    )
    assert r.returncode == 2
    assert "error: input: no terminal to ask on: pass --yes" in r.stderr
    assert not setup.cfg.exists()
