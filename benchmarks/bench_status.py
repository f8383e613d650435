"""Speed figures of issue 5 (status), printed, not asserted.

    .venv/bin/python benchmarks/bench_status.py [--runs N] [--cpu-seconds S]

1. One snapshot (median of N) with a real JupyterLab running and 2,000 extra listening loopback
   sockets open in this process; psutil.net_connections() alongside, for scale. Goal <= 50 ms.
2. `jupyter-setup-wizard status --json` as a whole cold process (median), against
   `jupyter server list` measured in the same run. Goal <= 0.35 s and <= 1/4 of it.
3. The live screen (`jupyter-setup-wizard status` in a pseudo-terminal), idle on that healthy
   server: the process's CPU time over S seconds (default 30). Goal <= 3 % of one core.

Everything runs in a private temp dir (XDG dirs, Jupyter config and runtime dirs); only loopback.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EXTRA_SOCKETS = 2000


def isolate(tmp: Path) -> None:
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(tmp / "xdg" / var.lower())
    os.environ["JUPYTER_CONFIG_DIR"] = str(tmp / "cfg")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(tmp / "srv" / "runtime")
    os.environ.pop("JUPYTER_TOKEN", None)


def open_sockets(n: int) -> list[socket.socket]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    out = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        out.append(s)
    return out


def timed(fn: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return times


def ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:6.1f} ms   p90 {xs[int(len(xs) * 0.9) - 1] * 1000:6.1f} ms"


def bench_snapshot(runs: int) -> float:
    import psutil

    from wizard.verify.status.collect import Sampler, take_snapshot

    sampler = Sampler()
    snap = take_snapshot(sampler=sampler)
    assert snap.state == "healthy", f"the benchmark server is not healthy: {snap.findings}"
    live = timed(lambda: take_snapshot(sampler=sampler), runs)
    cold = timed(lambda: take_snapshot(), runs)
    conns = timed(lambda: psutil.net_connections(kind="tcp"), max(5, runs // 5))
    print(f"1. snapshot, live screen (shared Sampler): {ms(live)}")
    print(f"   snapshot, one-shot:                     {ms(cold)}")
    print(f"   for scale, psutil.net_connections():    {ms(conns)}")
    return statistics.median(live)


def bench_cold_process(runs: int, jlab_bin: Path) -> tuple[float, float]:
    status = [str(REPO / ".venv" / "bin" / "jupyter-setup-wizard"), "status", "--json"]
    if not Path(status[0]).exists():
        status = [sys.executable, "-m", "wizard", "status", "--json"]

    def run_status() -> None:
        r = subprocess.run(status, capture_output=True, cwd=REPO)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()

    def run_list() -> None:
        r = subprocess.run([str(jlab_bin / "jupyter"), "server", "list"], capture_output=True)
        assert r.returncode == 0, r.stderr.decode()

    run_status()
    run_list()  # warm the page cache for both
    ours = timed(run_status, runs)
    theirs = timed(run_list, max(3, runs // 2))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"2. status --json, cold process:            {ms(ours)}")
    print(f"   jupyter server list, same run:          {ms(theirs)}")
    print(f"   ratio: {a / b:.3f} (goal <= 0.25)")
    return a, b


def bench_live_screen(seconds: float) -> float:
    import psutil

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wizard", "status", "--interval", "1"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    received = [0]

    def drain() -> None:  # a terminal that never reads would stall the app
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            received[0] += len(data)

    threading.Thread(target=drain, daemon=True).start()
    try:
        p = psutil.Process(proc.pid)
        time.sleep(5)  # start-up and first snapshots are not "idle"
        if proc.poll() is not None:
            raise SystemExit(f"the status screen exited with {proc.returncode}")
        t0, c0 = time.monotonic(), sum(p.cpu_times()[:2])
        time.sleep(seconds)
        t1, c1 = time.monotonic(), sum(p.cpu_times()[:2])
        pct = 100 * (c1 - c0) / (t1 - t0)
        print(
            f"3. live screen idle on a healthy server:   {pct:5.2f} % of one core over "
            f"{t1 - t0:.0f} s ({c1 - c0:.2f} s CPU; {received[0] // 1024} KiB drawn)"
        )
        return pct
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(master)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--cpu-seconds", type=float, default=30.0)
    args = ap.parse_args()

    from tests.support.jupyter import jlab_python, run_jupyter
    from tests.support.ports import free_port

    python = jlab_python()
    with tempfile.TemporaryDirectory(prefix="jsw-bench-") as d:
        tmp = Path(d)
        isolate(tmp)
        port = free_port()
        cfg = tmp / "cfg"
        cfg.mkdir()
        (cfg / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"port": port, "port_retries": 0, "ip": "127.0.0.1"}})
        )
        from wizard.core.answers import Answers
        from wizard.core.record import save_current

        save_current(
            Answers().replace("network", port=port).replace("jupyter", config_dir=str(cfg))
        )
        with run_jupyter(python, cfg, tmp / "srv") as srv:
            socks = open_sockets(EXTRA_SOCKETS)
            print(
                f"JupyterLab pid {srv.process.pid} on 127.0.0.1:{port}; "
                f"{len(socks)} extra listening loopback sockets; {os.cpu_count()} CPUs\n"
            )
            snap = bench_snapshot(args.runs)
            ours, theirs = bench_cold_process(max(5, args.runs // 3), Path(python).parent)
            cpu = bench_live_screen(args.cpu_seconds)
            for s in socks:
                s.close()
    print()
    print(
        f"snapshot {snap * 1000:.1f} ms (goal 50) | status --json {ours:.3f} s (goal 0.35, "
        f"and {ours / theirs:.2f} of jupyter server list, goal 0.25) | live screen {cpu:.2f} % (goal 3)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
