"""The background manager on the host (no systemd): apply starts JupyterLab detached; status,
restart, stop work from later wizard processes; stopping leaves no process behind (kernels run
in sessions of their own, so this is not just a process-group kill)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.cli import REPO
from tests.support.jupyter import login
from tests.support.ports import free_port, pid_alive

pytestmark = pytest.mark.system

PASSWORD = "background pw 77"


def wizard(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,  # `-m wizard` imports this checkout, wherever pytest was started
    )


def ok(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def pid_of(status_line: str) -> int:
    return int(status_line.split("pid ", 1)[1].split(",")[0])


def processes_with_config(config_dir: Path) -> list[int]:
    """Every live process started with our JUPYTER_CONFIG_DIR (server, kernels, terminals)."""
    want = f"JUPYTER_CONFIG_DIR={config_dir}".encode()
    found = []
    for p in psutil.process_iter():
        try:
            if want in Path(f"/proc/{p.pid}/environ").read_bytes().split(b"\0") and pid_alive(
                p.pid
            ):
                found.append(p.pid)
        except OSError:
            continue
    return found


def test_background_start_status_restart_stop(jlab: str, tmp_path: Path) -> None:
    cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
    root.mkdir()
    answers = tmp_path / "a.toml"
    answers.write_text(
        f'[jupyter]\npython = "{jlab}"\nconfig_dir = "{cfg}"\n'
        f'[network]\nport = {port}\nroot_dir = "{root}"\n'
        # Tests run as root: running JupyterLab as root must be acknowledged explicitly.
        '[service]\nmanager = "background"\nuser = "root"\nallow_root = true\n'
    )
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        out = ok(wizard("apply", str(answers), "--yes", "--password-stdin", stdin=PASSWORD))
        print(f"[timing] background apply: {time.monotonic() - t0:.2f}s")
        assert "healthy after" in out
        status = ok(wizard("service", "status"))
        assert "jupyterlab (background): active/running" in status, status
        pid = pid_of(status)
        proc = psutil.Process(pid)
        assert proc.terminal() is None and os.getsid(pid) == pid  # detached, own session
        assert str(Path(jlab).parent / "jupyter-lab") in " ".join(proc.cmdline())
        status_code, session = login(url, PASSWORD)
        assert status_code == 302

        # A kernel: a child in a session of its own, which `stop` must not leave behind.
        xsrf = session.cookies.get("_xsrf")
        r = session.post(f"{url}/api/kernels", json={}, headers={"X-XSRFToken": xsrf}, timeout=30)
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 30
        while len(processes_with_config(cfg)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(processes_with_config(cfg)) >= 2

        # The same answers again: nothing to do, same process.
        again = ok(wizard("apply", str(answers), "--yes", "--password-stdin", stdin=PASSWORD))
        assert "Nothing to change" in again, again
        assert pid_alive(pid)

        # The log is under the platformdirs log dir and holds Jupyter's output.
        logs = ok(wizard("service", "logs", "-n", "400"))
        assert "Jupyter Server" in logs and "is running at" in logs

        # restart: a new server, the old one and its kernel are gone.
        old = processes_with_config(cfg)
        t0 = time.monotonic()
        new_pid = pid_of(ok(wizard("service", "restart")))
        print(f"[timing] background restart: {time.monotonic() - t0:.2f}s")
        assert new_pid != pid
        assert not [p for p in old if pid_alive(p)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        assert login(url, PASSWORD)[0] == 302

        # A crash shows as failed; start brings it back.
        os.kill(new_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(new_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        r = wizard("service", "status")
        assert r.returncode == 3 and "failed" in r.stdout, r.stdout
        started = ok(wizard("service", "start"))
        assert "active/running" in started

        # stop: nothing with our config dir survives.
        t0 = time.monotonic()
        stopped = ok(wizard("service", "stop"))
        print(f"[timing] background stop: {time.monotonic() - t0:.2f}s")
        assert "inactive/dead" in stopped
        assert processes_with_config(cfg) == []
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/api", timeout=2)
        r = wizard("service", "status")
        assert r.returncode == 3 and "inactive" in r.stdout
    finally:
        wizard("service", "stop")
        for pid in processes_with_config(cfg):  # never leave a server behind, even on failure
            os.kill(pid, signal.SIGKILL)


def test_background_failed_start_rolls_back(jlab: str, tmp_path: Path) -> None:
    """A JupyterLab started by hand (here: a stand-in named jupyter-*) holds the port: the server
    cannot bind, the health gate fails with the log tail, and everything is undone."""
    cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
    root.mkdir()
    answers = tmp_path / "a.toml"
    answers.write_text(
        f'[jupyter]\npython = "{jlab}"\nconfig_dir = "{cfg}"\n'
        f'[network]\nport = {port}\nroot_dir = "{root}"\n'
        '[service]\nmanager = "background"\nuser = "root"\nallow_root = true\n'
    )
    holder = tmp_path / "jupyter-portholder"
    holder.write_text(
        f"#!{sys.executable}\nimport socket, sys, time\ns = socket.socket()\n"
        "s.bind(('127.0.0.1', int(sys.argv[1])))\ns.listen()\nprint('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    holder.chmod(0o755)
    squatter = subprocess.Popen(
        [str(holder), str(port)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert squatter.stdout is not None and squatter.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        r = wizard("apply", str(answers), "--yes")
        print(f"[timing] failed background apply incl. rollback: {time.monotonic() - t0:.2f}s")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "--- last log lines of jupyterlab ---" in r.stderr, r.stderr
        assert f"port {port} is not available" in r.stderr, r.stderr
        # The cause before the log, and who holds the port (#13: not just "crashed").
        why = r.stderr.index("why: ")
        assert why < r.stderr.index("--- last log lines"), r.stderr
        assert f"port {port} is not available" in r.stderr[why : why + 200], r.stderr
        assert "is held by jupyter-portho" in r.stderr and f"pid {squatter.pid}" in r.stderr
        assert "Rolled back" in r.stderr
        assert not (cfg / "jupyter_server_config.json").exists()
        assert processes_with_config(cfg) == []
        assert wizard("service", "status").returncode != 0  # nothing was set up
    finally:
        squatter.kill()
        squatter.wait()
        for pid in processes_with_config(cfg):
            os.kill(pid, signal.SIGKILL)


def applied_id(out: str) -> str:
    return out.split("Applied (ID ", 1)[1].split(")", 1)[0]


def answers_ok(url: str) -> bool:
    try:
        return requests.get(f"{url}/api", timeout=3).ok
    except requests.ConnectionError:
        return False


def test_background_rollback_restarts_on_the_earlier_port_then_removes_a_first_install(
    jlab: str, tmp_path: Path
) -> None:
    """apply (port 1), apply (port 2), `rollback` of the second: JupyterLab answers on port 1
    again, not on port 2. Then `rollback` of the first: nothing is set up or running."""
    cfg, root = tmp_path / "cfg", tmp_path / "nb"
    root.mkdir()
    p1, p2 = free_port(), free_port()

    def answers(port: int) -> str:
        path = tmp_path / f"a{port}.toml"
        path.write_text(
            f'[jupyter]\npython = "{jlab}"\nconfig_dir = "{cfg}"\n'
            f'[network]\nport = {port}\nroot_dir = "{root}"\n'
            '[service]\nmanager = "background"\nuser = "root"\nallow_root = true\n'
        )
        return str(path)

    state = Path(os.environ["XDG_STATE_HOME"]) / "jupyter-setup-wizard"
    try:
        first = applied_id(
            ok(wizard("apply", answers(p1), "--yes", "--password-stdin", stdin=PASSWORD))
        )
        second = applied_id(
            ok(wizard("apply", answers(p2), "--yes", "--password-stdin", stdin=PASSWORD))
        )
        assert answers_ok(f"http://127.0.0.1:{p2}") and not answers_ok(f"http://127.0.0.1:{p1}")

        t0 = time.monotonic()
        out = ok(wizard("rollback", second, "--yes"))
        print(f"[timing] background rollback incl. restart + check: {time.monotonic() - t0:.2f}s")
        assert "restarting jupyterlab" in out and f"answers on 127.0.0.1:{p1}" in out, out
        assert answers_ok(f"http://127.0.0.1:{p1}") and not answers_ok(f"http://127.0.0.1:{p2}")
        assert login(f"http://127.0.0.1:{p1}", PASSWORD)[0] == 302
        status = ok(wizard("service", "status"))
        assert "active/running" in status
        # The setup of record is the first one again (status and doctor read it).
        assert f"port = {p1}" in (state / "current-answers.toml").read_text()

        out = ok(wizard("rollback", first, "--yes"))
        assert "stop jupyterlab (it was not running before" in out, out
        assert processes_with_config(cfg) == []
        assert not answers_ok(f"http://127.0.0.1:{p1}")
        assert not (state / "background" / "jupyterlab.json").exists()
        assert not (cfg / "jupyter_server_config.json").exists()
        assert not (state / "current-answers.toml").exists()
        assert wizard("service", "status").returncode != 0  # nothing set up
    finally:
        wizard("service", "stop")
        for pid in processes_with_config(cfg):
            os.kill(pid, signal.SIGKILL)
