"""A real JupyterLab for tests: a cached venv, a server started from a config dir, HTTP login.

The venv is built once per machine (it takes ~25 s) under JSW_TEST_CACHE or ~/.cache/jsw-test,
with a lock so parallel test runs do not build it twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.ports import HarnessError, stop_process, wait_for_port


def cache_dir() -> Path:
    d = Path(os.environ.get("JSW_TEST_CACHE", Path.home() / ".cache" / "jsw-test"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def jlab_python() -> str:
    """The interpreter of a venv with JupyterLab (built on first use)."""
    venv = cache_dir() / "jlab"
    python = venv / "bin" / "python"
    with open(cache_dir() / "jlab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "bin" / "jupyter-lab").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "jupyterlab"], check=True, timeout=900
            )
    return str(python)


SHARED_CACHE = Path("/var/tmp/jsw-test-shared")  # what a test's second user must be able to run


def shared_jlab_python() -> str:
    """The interpreter of a venv with JupyterLab that every user can run: Debian's Python (the
    wizard's own may live in root's closed home), under a world-readable directory."""
    SHARED_CACHE.mkdir(mode=0o755, exist_ok=True)
    SHARED_CACHE.chmod(0o755)
    venv = SHARED_CACHE / "jlab"
    python = venv / "bin" / "python"
    with open(cache_dir() / "jlab-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "jupyterlab"], check=True, timeout=900
            )
            (venv / ".complete").touch()
    return str(python)


@dataclass
class RunningJupyter:
    process: subprocess.Popen[str]
    info: dict[str, object]  # the server's jpserver-PID.json
    log_path: Path

    @property
    def port(self) -> int:
        return int(self.info["port"])  # type: ignore[call-overload]

    @property
    def url(self) -> str:
        return str(self.info["url"]).rstrip("/")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def run_jupyter(
    python: str,
    config_dir: Path,
    workdir: Path,
    *,
    extra_args: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> Iterator[RunningJupyter]:
    """Start jupyter-lab with JUPYTER_CONFIG_DIR=config_dir; yield once its runtime file exists.

    Tests run as root here, so --allow-root is passed on the command line (not in the config
    under test). The port and everything else come from the config dir being tested.
    """
    runtime = workdir / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "jupyter.log"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("JUPYTER_TOKEN", None)
    argv = [str(Path(python).parent / "jupyter-lab"), "--no-browser"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*argv, *extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
            text=True,
            start_new_session=True,
        )
    try:
        info = _wait_runtime_file(proc, runtime, log_path, timeout)
        # The runtime file can land a moment before the socket accepts: wait for both.
        server = RunningJupyter(proc, info, log_path)
        host = urllib.parse.urlsplit(server.url).hostname or "127.0.0.1"
        wait_for_port(host, server.port, timeout, process=proc, log=log_path)
        yield server
    finally:
        stop_process(proc)


def _wait_runtime_file(
    proc: subprocess.Popen[str], runtime: Path, log_path: Path, timeout: float
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    path = runtime / f"jpserver-{proc.pid}.json"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(
                f"jupyter-lab exited with {proc.returncode}:\n{log_path.read_text()}"
            )
        if path.exists():
            with contextlib.suppress(ValueError):
                info: dict[str, object] = json.loads(path.read_text())
                return info
        time.sleep(0.1)
    raise HarnessError(f"jupyter-lab did not start in {timeout}s:\n{log_path.read_text()}")


def login(base_url: str, password: str, **kwargs: object) -> tuple[int, requests.Session]:
    """Jupyter's own login flow: GET /login for the _xsrf cookie, POST the form.

    Returns the POST's status (302 on success, 401 on a wrong password) and the session.
    """
    s = requests.Session()
    base = base_url.rstrip("/")
    r = s.get(f"{base}/login", timeout=10, **kwargs)  # type: ignore[arg-type]
    r.raise_for_status()
    xsrf = s.cookies.get("_xsrf")
    if not xsrf:
        raise HarnessError(f"no _xsrf cookie from {base}/login")
    r = s.post(
        f"{base}/login",
        data={"password": password, "_xsrf": xsrf, "next": "/lab"},
        allow_redirects=False,
        timeout=10,
        **kwargs,  # type: ignore[arg-type]
    )
    return r.status_code, s
