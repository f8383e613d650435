"""Status against real JupyterLab servers: seen, down after a kill, a squatter named, two at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.jupyter import RunningJupyter, run_jupyter
from tests.support.ports import free_port, stop_process, wait_for_port
from wizard.core.answers import Answers
from wizard.core.record import save_current
from wizard.verify.status.collect import take_snapshot
from wizard.verify.status.schema import validate

pytestmark = pytest.mark.system
REPO = Path(__file__).parents[2]


def config_dir(tmp_path: Path, name: str, port: int) -> Path:
    cfg = tmp_path / name
    cfg.mkdir()
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"port": port, "port_retries": 0, "ip": "127.0.0.1"}})
    )
    return cfg


def answers_for(cfg: Path, port: int) -> Answers:
    return (
        Answers()
        .replace("network", port=port, ip="127.0.0.1")
        .replace("jupyter", config_dir=str(cfg))
    )


@pytest.fixture
def server(
    jlab: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningJupyter, Answers]]:
    """A real JupyterLab whose runtime dir is this user's (as for a person running status)."""
    port = free_port()
    cfg = config_dir(tmp_path, "cfg", port)
    work = tmp_path / "srv"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(work / "runtime"))
    with run_jupyter(jlab, cfg, work) as srv:
        yield srv, answers_for(cfg, port)


def wizard_status(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", "status", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_snapshot_shows_a_real_server_then_says_down_after_kill(
    server: tuple[RunningJupyter, Answers],
) -> None:
    srv, answers = server
    snap = take_snapshot(answers)
    assert snap.state == "healthy", snap.findings
    assert snap.exit_code == 0
    [s] = snap.servers
    assert s.pid == srv.process.pid
    assert s.port == srv.port
    assert s.version == srv.info["version"]
    assert s.http is not None and s.http.ok and s.http.version == srv.info["version"]
    assert s.http.latency_ms is not None and s.http.latency_ms < 1000
    assert [(x.address, x.port, x.pid) for x in s.listening] == [
        ("127.0.0.1", srv.port, srv.process.pid)
    ]
    assert s.listening[0].process == "jupyter-lab"
    assert s.token and s.token == srv.info["token"]
    assert s.uptime_s is not None and s.rss_bytes and s.rss_bytes > 10 * 2**20

    # SIGKILL: the runtime file stays behind, and must not fool the snapshot.
    srv.process.send_signal(signal.SIGKILL)
    srv.process.wait(timeout=10)
    snap = take_snapshot(answers)
    assert snap.state == "down" and snap.exit_code == 3
    assert not snap.servers and not snap.listeners
    assert any("stale runtime file" in n for n in snap.notes)


def test_status_json_of_a_real_server_matches_the_schema(
    server: tuple[RunningJupyter, Answers],
) -> None:
    srv, answers = server
    save_current(answers)
    r = wizard_status("--json")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert validate(data) == []
    [s] = data["servers"]
    assert (s["pid"], s["port"], s["http"]["ok"]) == (srv.process.pid, srv.port, True)
    assert s["token_in_use"] is True and s["token"] is None
    assert srv.info["token"] not in r.stdout  # only on request

    r = wizard_status("--json", "--show-token")
    data = json.loads(r.stdout)
    assert validate(data) == []
    assert data["servers"][0]["token"] == srv.info["token"]
    assert data["servers"][0]["url_with_token"].endswith(f"?token={srv.info['token']}")

    r = wizard_status("--once")
    assert r.returncode == 0
    assert r.stdout.startswith("JupyterLab is running and healthy")
    assert f"pid {srv.process.pid}" in r.stdout and srv.info["token"] not in r.stdout


def test_port_taken_by_another_program_names_it(tmp_path: Path) -> None:
    """A program that is not Jupyter holds the configured port: the finding names it."""
    port = free_port()
    squatter = tmp_path / "squatter"  # its process name (comm) comes from this file name
    squatter.symlink_to(sys.executable)
    proc = subprocess.Popen(
        [
            str(squatter),
            "-c",
            "import socket, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "time.sleep(120)\n",
        ],
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, process=proc)
        save_current(Answers().replace("network", port=port))
        snap = take_snapshot()
        taken = [f for f in snap.findings if f.code == "port_taken"]
        assert len(taken) == 1, snap.findings
        assert f"squatter (pid {proc.pid}" in taken[0].message
        assert snap.exit_code == 3

        r = wizard_status("--json")
        assert r.returncode == 3
        data = json.loads(r.stdout)
        assert validate(data) == []
        assert data["listeners"] == [
            {
                "address": "127.0.0.1",
                "port": port,
                "pid": proc.pid,
                "process": "squatter",
                "user": data["listeners"][0]["user"],
            }
        ]
        assert [f["code"] for f in data["findings"]] == ["port_taken", "not_running"]
        r = wizard_status("--once")
        assert f"port {port} is held by squatter (pid {proc.pid}" in r.stdout
    finally:
        stop_process(proc)


def test_two_servers_on_different_ports_are_both_listed(
    jlab: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p1, p2 = free_port(), free_port()
    while p2 == p1:
        p2 = free_port()
    shared = tmp_path / "w1" / "runtime"  # one user, one runtime dir, as in real life
    shared.mkdir(parents=True)
    (tmp_path / "w2").mkdir()
    (tmp_path / "w2" / "runtime").symlink_to(shared)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(shared))
    c1, c2 = config_dir(tmp_path, "c1", p1), config_dir(tmp_path, "c2", p2)
    with (
        run_jupyter(jlab, c1, tmp_path / "w1") as s1,
        run_jupyter(jlab, c2, tmp_path / "w2") as s2,
    ):
        snap = take_snapshot(answers_for(c1, p1))
        got = {s.pid: s for s in snap.servers}
        assert set(got) == {s1.process.pid, s2.process.pid}
        for srv, port in ((s1, p1), (s2, p2)):
            s = got[srv.process.pid]
            assert s.port == port and s.url == srv.info["url"]
            assert [x.port for x in s.listening] == [port]
            assert s.http is not None and s.http.ok
        assert snap.state == "healthy", snap.findings


def test_server_moved_off_its_port_is_a_finding(
    jlab: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configured 8888-style port busy, Jupyter's default port_retries moved it: port drift."""
    wanted, actual = free_port(), free_port()
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"port": actual, "port_retries": 0, "ip": "127.0.0.1"}})
    )
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "srv" / "runtime"))
    with run_jupyter(jlab, cfg, tmp_path / "srv") as srv:
        snap = take_snapshot(answers_for(cfg, wanted))
        assert [f.code for f in snap.findings] == ["port_mismatch"]
        assert f"listens on port {actual}" in snap.findings[0].message
        assert snap.exit_code == 4
        assert snap.servers[0].pid == srv.process.pid


def test_runtime_files_unreadable_to_the_caller_are_reported(
    server: tuple[RunningJupyter, Answers],
) -> None:
    """A caller who cannot read the server's runtime dir is told so, not shown a guess.

    The dir becomes another user's (0700) and status runs as root without the capabilities
    that bypass file permissions: to the kernel that is "another user's runtime files".
    """
    srv, answers = server
    save_current(answers)
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    os.chown(runtime, 65534, 65534)
    runtime.chmod(0o700)
    drop = "-dac_override,-dac_read_search"
    r = subprocess.run(
        [
            "setpriv",
            f"--bounding-set={drop}",
            f"--inh-caps={drop}",
            sys.executable,
            "-m",
            "wizard",
            "status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert r.returncode == 4, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert validate(data) == []
    [unreadable] = [f for f in data["findings"] if f["code"] == "runtime_unreadable"]
    assert unreadable["message"].startswith(f"{runtime}: not readable by root (Permission denied)")
    # The server is still seen on its port, with what cannot be known left empty.
    [s] = data["servers"]
    assert (s["pid"], s["runtime_file"], s["url"], s["token_in_use"]) == (
        srv.process.pid,
        None,
        "",
        False,
    )
    assert s["http"]["ok"] is True


def test_https_server_is_probed_over_https(
    jlab: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.nginx import self_signed_cert

    cert, key = self_signed_cert(tmp_path / "tls")
    port = free_port()
    cfg = config_dir(tmp_path, "cfg", port)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "srv" / "runtime"))
    args = (f"--ServerApp.certfile={cert}", f"--ServerApp.keyfile={key}")
    with run_jupyter(jlab, cfg, tmp_path / "srv", extra_args=args) as srv:
        snap = take_snapshot(answers_for(cfg, port))
        [s] = snap.servers
        assert s.secure and s.url.startswith("https://")
        assert s.http is not None and s.http.url.startswith(f"https://127.0.0.1:{port}/")
        assert s.http.ok and s.http.version == srv.info["version"], s.http


def test_status_command_in_a_real_terminal(
    server: tuple[RunningJupyter, Answers], tmp_path: Path
) -> None:
    """`jupyter-setup-wizard status` at 80x24 under tmux: live view, token on request, q quits."""
    from tests.support.tmux import TmuxSession

    srv, answers = server
    save_current(answers)
    env = {
        k: os.environ[k] for k in ("XDG_STATE_HOME", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR")
    }
    with TmuxSession() as tmux:
        tmux.new_session(
            [sys.executable, "-m", "wizard", "status", "--interval", "0.5"],
            width=80,
            height=24,
            env=env,
            cwd=REPO,
        )
        tmux.wait_for_text("JupyterLab is running and healthy", timeout=20)
        tmux.wait_for_text(f"pid {srv.process.pid}")
        token = str(srv.info["token"])
        assert token not in tmux.capture()
        tmux.send_keys("u")
        tmux.wait_for_text(token[:20])
        tmux.send_keys("q")
        tmux.wait_for_exit(timeout=10)
        # tmux may mark the pane dead a moment before it records the status (harness gives -1).
        deadline = time.monotonic() + 5
        while tmux.exit_status() == -1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tmux.exit_status() == 0
