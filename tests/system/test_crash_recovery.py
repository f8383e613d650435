"""An apply killed at any instant, two applies at once, a full disk: every file stays old or
new, the next command names an interrupted apply, and its rollback restores the files byte for
byte and the service's state. Real processes, real files, a real JupyterLab for the service."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import REPO
from tests.support.cli import run_wizard as wizard
from tests.support.ports import free_port

pytestmark = pytest.mark.system

OLD_PY = b"c.ServerApp.port = 1234\nc.ServerApp.password = 'sha1:aa:bb'\n"
OLD_JSON = b'{\n  "ServerApp": {"token": "abc"}\n}\n'
TRIALS = 20
BACKGROUND_TRIALS = 4


TEMP = re.compile(r"\.(.+)\.[0-9a-f]{8}\.tmp")  # an atomic write's temp file, mid-write


def files(cfg: Path) -> dict[str, bytes]:
    """The files Jupyter reads (a temp file a killed write left is not one of them)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(cfg.iterdir())
        if p.is_file() and not TEMP.fullmatch(p.name)
    }


def temps(cfg: Path) -> list[str]:
    return [p.name for p in cfg.iterdir() if TEMP.fullmatch(p.name)]


def write_answers(tmp: Path, python: str, cfg: Path, port: int, manager: str = "none") -> Path:
    answers = tmp / "answers.toml"
    answers.write_text(
        f'[jupyter]\npython = "{python}"\nconfig_dir = "{cfg}"\n'
        f'[network]\nport = {port}\nroot_dir = "{tmp}"\n'
        f'[service]\nmanager = "{manager}"\nname = "jsw-crash-{port}"\n'
        # the tests run as root: the service too, acknowledged
        + ("allow_root = true\n" if manager != "none" else "")
    )
    return answers


def start_apply(answers: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wizard", "apply", str(answers), "--yes"],
        cwd=REPO,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def journal_states(state: Path) -> list[str]:
    import json

    return [
        json.loads(j.read_text())["status"]
        for j in sorted((state / "jupyter-setup-wizard" / "applies").glob("*/journal.json"))
    ]


def kill_at_random(
    proc: subprocess.Popen[str], rng: random.Random, state: Path, most: float
) -> float:
    """SIGKILL the apply (and all it started) at a random instant after its journal appears:
    the apply itself takes milliseconds to seconds, the process around it much longer."""
    applies = state / "jupyter-setup-wizard" / "applies"
    t0 = time.monotonic()
    while not any(applies.glob("*/journal.json")) and proc.poll() is None:
        if time.monotonic() - t0 > 60:
            break
        time.sleep(0.001)
    delay = rng.uniform(0.0, most)
    try:
        proc.wait(delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the apply and anything it started, at once
    proc.wait()
    return delay


def test_sigkill_at_random_points_leaves_a_state_the_next_run_explains_and_undoes(
    tmp_path: Path, jlab: str
) -> None:
    seed = int(os.environ.get("JSW_CRASH_SEED", time.time_ns() % 10**6))
    print(f"[crash] seed {seed} (JSW_CRASH_SEED={seed} repeats it)")
    rng = random.Random(seed)
    outcomes: dict[str, int] = {}
    deadline = time.monotonic() + 240
    for trial in range(TRIALS):
        assert time.monotonic() < deadline, f"trials took too long (seed {seed})"
        base = tmp_path / f"t{trial}"
        cfg, state = base / "cfg", base / "state"
        cfg.mkdir(parents=True)
        (cfg / "jupyter_server_config.py").write_bytes(OLD_PY)
        (cfg / "jupyter_server_config.json").write_bytes(OLD_JSON)
        before = files(cfg)
        env = {"XDG_STATE_HOME": str(state)}
        answers = write_answers(base, jlab, cfg, free_port())
        proc = start_apply(answers, env)
        delay = kill_at_random(proc, rng, state, 0.05)
        where = f"trial {trial}, seed {seed}, killed after {delay:.2f}s"
        after = files(cfg)
        # atomic writes: each file is the old one or a whole new one, never torn
        for name, data in after.items():
            if name in before and data != before[name]:
                assert data.endswith(b"\n") and len(data) > 10, where
        states = journal_states(state)
        outcome = states[-1] if states else "not started"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        nxt = wizard("history", env=env)
        if outcome == "applying":
            assert "was interrupted" in nxt.stderr and "rollback" in nxt.stderr, where
        else:
            assert "was interrupted" not in nxt.stderr, where
        if outcome in ("applying", "applied"):
            r = wizard("rollback", "--yes", env=env)
            assert r.returncode == 0, f"{where}\n{r.stdout}\n{r.stderr}"
            assert files(cfg) == before, where  # byte for byte
            assert temps(cfg) == [], where  # and what a killed write left is gone
            assert "was interrupted" not in wizard("history", env=env).stderr, where
        else:
            assert files(cfg) == before, where
    print(f"[crash] outcomes over {TRIALS} trials: {outcomes}")
    assert outcomes.get("applying", 0) >= 1, f"no kill landed inside an apply (seed {seed})"


@contextlib.contextmanager
def background_space(tmp: Path, python: str) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    cfg, state = tmp / "cfg", tmp / "state"
    cfg.mkdir(parents=True)
    env = {"XDG_STATE_HOME": str(state)}
    try:
        yield cfg, state, env
    finally:  # whatever a trial left running is stopped through the wizard's own pid file
        wizard("service", "stop", env=env)


def listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigkill_during_a_service_apply_is_undone_with_the_service(
    tmp_path: Path, jlab: str
) -> None:
    """The kill lands while JupyterLab is being started by the background manager: the
    rollback of the interrupted apply stops what it started and restores the files."""
    seed = int(os.environ.get("JSW_CRASH_SEED", time.time_ns() % 10**6))
    print(f"[crash] seed {seed}")
    rng = random.Random(seed)
    interrupted = 0
    for trial in range(BACKGROUND_TRIALS):
        with background_space(tmp_path / f"b{trial}", jlab) as (cfg, state, env):
            port = free_port()
            answers = write_answers(tmp_path / f"b{trial}", jlab, cfg, port, "background")
            proc = start_apply(answers, env)
            kill_at_random(proc, rng, state, 3.0)
            where = f"trial {trial}, seed {seed}"
            states = journal_states(state)
            if states and states[-1] == "applying":
                interrupted += 1
                r = wizard("rollback", "--yes", env=env)
                assert r.returncode == 0, f"{where}\n{r.stdout}\n{r.stderr}"
                # it had no config before (JupyterLab itself may leave its `migrated` marker)
                assert "jupyter_server_config.json" not in files(cfg), where
                time.sleep(0.5)
                assert not listening(port), f"{where}: the JupyterLab it started still runs"
    print(f"[crash] {interrupted} of {BACKGROUND_TRIALS} kills landed inside a service apply")


def test_two_applies_at_once_the_second_is_refused_naming_the_first(
    tmp_path: Path, jlab: str
) -> None:
    with background_space(tmp_path, jlab) as (cfg, state, env):
        port = free_port()
        first = start_apply(write_answers(tmp_path, jlab, cfg, port, "background"), env)
        lock = state / "jupyter-setup-wizard" / "apply.lock"
        for _ in range(200):  # until the first holds the lock
            if lock.exists() and lock.read_text().startswith("pid "):
                break
            time.sleep(0.05)
        other = tmp_path / "other"
        other.mkdir()
        second = wizard(
            "apply", str(write_answers(other, jlab, cfg, free_port())), "--yes", env=env
        )
        out, _ = first.communicate(timeout=180)
        assert first.returncode == 0, out
        assert second.returncode == 1, second.stdout + second.stderr
        assert f"another apply is running (pid {first.pid}" in second.stderr
        assert journal_states(state) == ["applied"]  # never both, never interleaved


@contextlib.contextmanager
def full_tmpfs(path: Path) -> Iterator[Path]:
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(path)], check=True)
    try:
        with contextlib.suppress(OSError), open(path / "filler", "wb") as fh:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_full_state_dir_is_a_clean_error_before_anything_changes(
    tmp_path: Path, jlab: str
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_server_config.json").write_bytes(OLD_JSON)
    before = files(cfg)
    with full_tmpfs(tmp_path / "state") as state:
        r = wizard(
            "apply",
            str(write_answers(tmp_path, jlab, cfg, free_port())),
            "--yes",
            env={"XDG_STATE_HOME": str(state)},
        )
    assert r.returncode in (1, 2), r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stderr.startswith("error: ")
    assert "No space left" in r.stderr or "nothing was changed" in r.stderr
    assert files(cfg) == before


def test_a_full_config_dir_rolls_back_without_claiming_what_it_never_did(
    tmp_path: Path, jlab: str
) -> None:
    with full_tmpfs(tmp_path / "cfg") as cfg:
        before = files(cfg)
        r = wizard(
            "apply", str(write_answers(tmp_path, jlab, cfg, free_port())), "--yes",
            env={"XDG_STATE_HOME": str(tmp_path / "state")},
        )  # fmt: skip
        after = files(cfg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "No space left" in r.stderr
    assert "could NOT undo" not in r.stdout + r.stderr
    assert after == before
