"""Losing the terminal: the tmux server killed, or the SSH connection dropped, at the Welcome
screen and in the middle of an apply. Within 5 s no process of the wizard's is left (found by
the process tree we started, snapshotted before the loss), none spun a core on the way (counted
for those not reaped yet: their zombies keep the totals), and an apply cut off mid-way is journaled applied or rolled back, never left `applying`.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import run_wizard
from tests.support.ports import (
    descendants,
    free_port,
    kill_pids,
    pid_alive,
    port_is_open,
    wait_until,
)
from tests.support.sshd import LoopbackSshd
from tests.support.tmux import TmuxSession
from tests.system.test_tui_terminal import PYTHON, REPO, _wizard_env
from wizard.core.passwords import hash_password

pytestmark = pytest.mark.system

GONE_WITHIN = 5.0  # seconds


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _wait_all_gone(pids: list[int]) -> float:
    """Seconds until every pid has ended (zombies count as ended); fails after GONE_WITHIN."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < GONE_WITHIN:
        if not any(pid_alive(p) for p in pids):
            return time.monotonic() - t0
        time.sleep(0.05)
    left = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:120] for p in pids
            if pid_alive(p)}  # fmt: skip
    pytest.fail(f"still running {GONE_WITHIN} s after the terminal went away: {left}")


def _wizard_pids(root: int) -> list[int]:
    """The wizard's processes under `root` (a process we started): its whole tree, taken while
    intact (orphans are re-parented once the terminal's processes die)."""
    tree = descendants(root)
    assert tree, "the wizard is not running"
    return tree


def _prepare(tmp_path: Path, jlab: str, port: int = 0) -> dict[str, str]:
    """A setup of record (background service, a password hash), so Ctrl+R reaches Review
    at once and A applies: starting JupyterLab and waiting for it is the apply's long part."""
    (tmp_path / "home").mkdir()
    (tmp_path / "nb").mkdir()
    env = _wizard_env(tmp_path)
    record = tmp_path / "state" / "jupyter-setup-wizard" / "current-answers.toml"
    record.parent.mkdir(parents=True, mode=0o700)
    record.write_text(
        "[jupyter]\n"
        f"python = {json.dumps(jlab)}\n"
        f"config_dir = {json.dumps(str(tmp_path / 'jupyter-config'))}\n"
        "[network]\n"
        f"port = {port or free_port()}\n"
        f"root_dir = {json.dumps(str(tmp_path / 'nb'))}\n"
        "[password]\n"
        f"hashed_password = {json.dumps(hash_password('Terminal-Gone-42'))}\n"
        "[service]\n"
        'manager = "background"\n'
        'name = "jsw-terminal-loss"\n'
        "allow_root = true\n"  # the tests run as root, with no sudo user
    )
    return env


def _journal_statuses(tmp_path: Path) -> list[str]:
    applies = tmp_path / "state" / "jupyter-setup-wizard" / "applies"
    return [json.loads(j.read_text())["status"] for j in sorted(applies.glob("*/journal.json"))]


def _undo(env: dict[str, str], tmp_path: Path) -> None:
    """Stop what an apply that went through (or was cut off) started: its JupyterLab."""
    if {"applied", "applying"} & set(_journal_statuses(tmp_path)):
        r = run_wizard("rollback", "--yes", env=env)
        assert r.returncode == 0, r.stderr


# -- tmux: the terminal emulator (the tmux server) killed ---------------------------------------


def _lose_tmux(tmux: TmuxSession) -> list[int]:
    assert tmux.pane_pid is not None
    pids = [tmux.pane_pid, *_wizard_pids(tmux.pane_pid)]
    tmux.kill_server()
    return pids


def _lose_ssh(tmux: TmuxSession, sshd: LoopbackSshd) -> list[int]:
    """The connection drops: the ssh client dies without a word (sshd sees the socket close);
    the terminal the client ran in stays."""
    pids = _wizard_pids(sshd.pid)
    assert tmux.pane_pid is not None
    (client,) = descendants(tmux.pane_pid)
    os.kill(client, signal.SIGKILL)
    return pids


# How the wizard is started in the pane: plainly (the hangup's SIGHUP reaches it), or in a new
# session (setsid), which no SIGHUP reaches: its terminal only reads end-of-file, as under sudo's
# own pty or su. That is where a bare Textual app spins a core.
LAUNCH = {"tmux": [PYTHON, "-m", "wizard"], "tmux-setsid": ["setsid", "-w", PYTHON, "-m", "wizard"]}


def _start(tmux: TmuxSession, sshd: LoopbackSshd, env: dict[str, str], via: str) -> None:
    if via == "ssh":
        tmux.new_session(_ssh_argv(sshd, env), width=80, height=24)
    else:
        tmux.new_session(LAUNCH[via], width=80, height=24, env=env, cwd=REPO)
    tmux.wait_for_text("Reconfigure", timeout=20)
    time.sleep(0.6)  # the probe fills in


def _ssh_argv(sshd: LoopbackSshd, env: dict[str, str], *args: str) -> list[str]:
    remote = (
        f"cd {shlex.quote(str(REPO))} && exec env "
        + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        + f" {shlex.quote(PYTHON)} -m wizard {shlex.join(args)}"
    )
    return ["ssh", "-tt", *sshd.ssh_base_argv(), sshd.destination, "--", remote]


def _lost(tmux: TmuxSession, lose: Callable[[], list[int]], what: str) -> None:
    pids = lose()
    cpu = {p: _cpu_seconds(p) for p in pids}
    try:
        took = _wait_all_gone(pids)
    finally:  # a failed run leaves nothing spinning behind it (they may be setsid'd orphans)
        kill_pids(pids)
    spent = sum(max(0.0, _cpu_seconds(p) - cpu[p]) for p in pids)  # 0 for the reaped ones
    print(f"{what}: every wizard process gone in {took:.2f} s, {spent:.2f} s of CPU on the way")
    assert spent < 2.0  # never a spinning core on the way out


@pytest.mark.parametrize("via", [*LAUNCH, "ssh"])
def test_terminal_lost_at_welcome(tmp_path: Path, jlab: str, via: str) -> None:
    env = _prepare(tmp_path, jlab)
    with LoopbackSshd() as sshd, TmuxSession() as tmux:
        _start(tmux, sshd, env, via)
        lose = (lambda: _lose_ssh(tmux, sshd)) if via == "ssh" else (lambda: _lose_tmux(tmux))
        _lost(tmux, lose, f"{via} lost at Welcome")
    assert _journal_statuses(tmp_path) == []


@pytest.mark.parametrize("via", [*LAUNCH, "ssh"])
def test_terminal_lost_mid_apply(tmp_path: Path, jlab: str, via: str) -> None:
    port = free_port()
    env = _prepare(tmp_path, jlab, port)
    try:
        with LoopbackSshd() as sshd, TmuxSession() as tmux:
            _start(tmux, sshd, env, via)
            tmux.send_keys("C-r")
            tmux.wait_for_text("Press A to apply", timeout=30)
            tmux.send_keys("a")
            tmux.wait_for_text("Applying the plan", timeout=20)
            wait_until(lambda: _journal_statuses(tmp_path) == ["applying"] or None, timeout=20,
                       what="the apply to be under way")  # fmt: skip
            lose = (lambda: _lose_ssh(tmux, sshd)) if via == "ssh" else (lambda: _lose_tmux(tmux))
            _lost(tmux, lose, f"{via} lost mid-apply")
        statuses = _journal_statuses(tmp_path)
        print(f"journal after the loss: {statuses}")
        assert len(statuses) == 1 and statuses[0] in ("applied", "rolled-back"), statuses
        if statuses == ["rolled-back"]:  # the JupyterLab it had started is stopped again
            assert not port_is_open("127.0.0.1", port)
    finally:
        _undo(env, tmp_path)


@pytest.mark.parametrize("via", [*LAUNCH, "ssh"])
def test_status_view_ends_with_its_terminal(tmp_path: Path, jlab: str, via: str) -> None:
    """`status`'s live view, refreshing every second, ends the same way."""
    env = _prepare(tmp_path, jlab)
    with LoopbackSshd() as sshd, TmuxSession() as tmux:
        if via == "ssh":
            tmux.new_session(_ssh_argv(sshd, env, "status"), width=80, height=24)
        else:
            tmux.new_session([*LAUNCH[via], "status"], width=80, height=24, env=env, cwd=REPO)
        tmux.wait_for_text("jsw-terminal-loss", timeout=20)
        time.sleep(1.5)  # a refresh or two
        lose = (lambda: _lose_ssh(tmux, sshd)) if via == "ssh" else (lambda: _lose_tmux(tmux))
        _lost(tmux, lose, f"{via} lost under status")
