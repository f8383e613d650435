"""The wizard in a real terminal: tmux over a real SSH login to a loopback sshd, and --plain in a pty.

Driven the way people use it: keys in, screen read back, and the setup checked on disk.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.support.jupyter import login, run_jupyter
from tests.support.ports import free_port
from tests.support.sshd import LoopbackSshd
from tests.support.tmux import TmuxSession
from wizard.core.passwords import verify_password

pytestmark = pytest.mark.system

REPO = Path(__file__).parents[2]
PYTHON = sys.executable  # the dev venv's interpreter, which has the wizard's dependencies
PASSWORD = "Sunny-Meadow-Walk-7"


def _wizard_env(tmp_path: Path) -> dict[str, str]:
    return {
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm",  # plain xterm, as over a bare SSH login
        "NO_COLOR": "1",
        "PYTHONPATH": str(REPO),
    }


def _check_setup(tmp_path: Path, port: int) -> None:
    path = tmp_path / "jupyter-config" / "jupyter_server_config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = json.loads(path.read_text())
    assert cfg["ServerApp"]["port"] == port
    assert cfg["ServerApp"]["ip"] == "127.0.0.1"
    assert verify_password(cfg["PasswordIdentityProvider"]["hashed_password"], PASSWORD)
    assert (tmp_path / "state" / "jupyter-setup-wizard" / "current-answers.toml").exists()


def _settle() -> None:
    # A new screen takes a moment to mount and focus its first field; a person never types
    # within those milliseconds, and keys sent earlier would race the screen switch.
    time.sleep(0.4)


def test_tui_over_ssh_in_tmux_full_setup(tmp_path: Path, jlab: str) -> None:
    (tmp_path / "home").mkdir()
    port = free_port()
    env = _wizard_env(tmp_path)
    remote = (
        f"cd {shlex.quote(str(REPO))} && env "
        + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        + f" {shlex.quote(PYTHON)} -m wizard"
    )
    with LoopbackSshd() as sshd, TmuxSession() as tmux:
        tmux.new_session(
            ["ssh", "-tt", *sshd.ssh_base_argv(), sshd.destination, "--", remote],
            width=80,
            height=24,
        )
        tmux.wait_for_text("Set up", timeout=20)
        screen = tmux.wait_for_text("Binding      127.0.0.1:8888", timeout=20)  # probe filled in
        assert "Reachable" in screen and "f1 Help" in screen
        tmux.send_keys("Enter")
        tmux.wait_for_text("Install: where JupyterLab runs")
        _settle()
        # Discovery done: no environment here has JupyterLab, so a new venv is suggested.
        tmux.wait_for_text("the new venv's own", timeout=20)
        _settle()
        tmux.send_keys("Home")  # what to do (first, focused): Keep an environment
        tmux.wait_for_text("Environments found")
        _settle()  # Keep's fields are mounted under the list: Tab before that lands elsewhere
        tmux.send_keys("Tab", "Tab")  # the list of environments -> the interpreter field
        tmux.type_text(jlab)
        tmux.send_keys("C-n")
        tmux.wait_for_text("Kernels: the environments you compute in")
        _settle()
        tmux.send_keys("C-n")  # as offered: the server's own kernel only
        tmux.wait_for_text("Password: who may log in")
        _settle()
        tmux.type_text(PASSWORD)
        tmux.send_keys("Enter")
        tmux.type_text(PASSWORD)
        tmux.send_keys("Enter")
        tmux.wait_for_text("Network: where JupyterLab listens")
        _settle()
        tmux.send_keys("Tab")
        tmux.type_text(str(port))
        tmux.wait_for_text(f"│ {port}\n")  # in the port field, under "Port"
        tmux.send_keys("C-n")
        tmux.wait_for_text("Service: keep JupyterLab running")
        _settle()
        tmux.send_keys("C-n")
        tmux.wait_for_text("Access: reach JupyterLab")
        _settle()
        tmux.send_keys("C-n")
        screen = tmux.wait_for_text("Press A to apply", timeout=30)
        assert PASSWORD not in screen
        tmux.send_keys("a")
        screen = tmux.wait_for_text("Applied (ID", timeout=60)
        assert "✓" in screen
        tmux.send_keys("q")
        assert tmux.wait_for_exit(timeout=20) == 0
    _check_setup(tmp_path, port)
    with run_jupyter(jlab, tmp_path / "jupyter-config", tmp_path / "run") as server:
        assert login(server.url, PASSWORD)[0] == 302


def test_plain_mode_full_setup_in_a_pty(tmp_path: Path, jlab: str) -> None:
    (tmp_path / "home").mkdir()
    port = free_port()
    env = {**os.environ, **_wizard_env(tmp_path), "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        PYTHON,
        ["-m", "wizard", "--plain"],
        env=env,
        cwd=str(REPO),
        encoding="utf-8",
        timeout=30,
        dimensions=(30, 100),
    )
    try:
        child.expect("Python environment for JupyterLab")
        child.send("\x1b[A")  # up from the first entry wraps to "Another interpreter"
        child.expect("Another interpreter")
        child.send("\r")
        child.expect("Interpreter path")
        child.sendline(jlab)
        child.expect("What to do")
        child.send("\r")  # Keep (the default once another environment is picked)
        child.expect("Offer these as kernels")
        child.send("\r")  # none ticked: the server's own kernel only
        child.expect("New Jupyter password")
        child.sendline(PASSWORD)
        child.expect("same password again")
        child.sendline("not the same")
        child.expect("the two entries differ")
        child.expect("New Jupyter password")
        child.sendline(PASSWORD)
        child.expect("same password again")
        child.sendline(PASSWORD)
        child.expect("Listen address")
        child.send("\r")
        child.expect("Port")
        child.send("\x7f" * 6 + "80x\r")  # the core validator refuses it inline
        child.expect("is not a number")
        child.send("\x7f" * 3 + f"{port}\r")
        child.expect("Root directory")
        child.send("\r")
        child.expect("Base URL")
        child.send("\r")
        child.expect("Keep JupyterLab running")
        child.send("\r")
        child.expect("Reach JupyterLab")
        child.send("\r")
        for prompt in ("Local port", "SSH user", "SSH host", "SSH port"):  # empty = detected
            child.expect(prompt)
            child.send("\r")
        child.expect("Review")
        child.expect(r"Apply (\d+) change")
        child.send("y")
        child.expect("Applied")
        child.expect("ssh -N -L")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert PASSWORD not in (child.before or "")
    _check_setup(tmp_path, port)
