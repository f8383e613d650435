"""direct and router-tunnel end to end, with a second test host (network namespace + veth).

The namespace is "the other computer on the LAN" (for router-tunnel: the router's tunnel
client). Only its veth link and loopback are ever contacted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.jupyter import run_jupyter
from tests.support.netns import HttpGetError, TestHost
from tests.support.ports import free_port
from tests.system.test_access_common import ROOT, apply, check_line, doctor, write_answers

pytestmark = pytest.mark.system

PASSWORD = "lan party 2024"

# Jupyter's login flow, run inside the namespace (no proxies: only the veth link exists there).
_LOGIN = """
import sys
from tests.support.jupyter import login
status, session = login(sys.argv[1], sys.argv[2])
print(status, session.get(sys.argv[1] + "/api/contents", timeout=10).status_code if status == 302 else 0)
"""


def login_from(host: TestHost, url: str, password: str) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    r = host.run([sys.executable, "-c", _LOGIN, url, password], env=env, timeout=60)
    status, contents = r.stdout.split()
    return int(status), int(contents)


@pytest.mark.parametrize("method", ["direct", "router-tunnel"])
def test_other_host_reaches_and_logs_in(method: str, jlab: str, tmp_path: Path) -> None:
    with TestHost() as host:
        cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
        root.mkdir()
        access = {"method": method}
        if method == "router-tunnel":
            access["lan_ip"] = host.host_addr
        answers = write_answers(tmp_path / "a.toml", jlab, cfg, root,
                                network={"ip": host.host_addr, "port": port}, access=access)  # fmt: skip
        apply(answers, PASSWORD + "\n")
        url = f"http://{host.host_addr}:{port}"
        with run_jupyter(jlab, cfg, tmp_path / "srv"):
            assert login_from(host, url, PASSWORD) == (302, 200)
            assert login_from(host, url, "not the password")[0] == 401
            r = doctor(answers)
            assert r.returncode == 0, r.stdout + r.stderr
            assert f"{url}/  [private LAN]" in r.stdout
            if method == "router-tunnel":
                assert f"mapping whose target is {url}/" in r.stdout
                assert "One person" in r.stdout

        # The same answers, but Jupyter started with a loopback binding: unreachable, and why.
        with run_jupyter(jlab, cfg, tmp_path / "srv2", extra_args=("--ServerApp.ip=127.0.0.1",)):
            assert not host.tcp_connect(host.host_addr, port)
            with pytest.raises(HttpGetError):
                host.http_get(f"{url}/api", timeout=3)
            r = doctor(answers)
            assert r.returncode == 1
            line = check_line(r.stdout, "listening")
            assert line.startswith("✗")
            assert "other computers cannot reach a loopback address" in line
            assert f"fix: set network.ip = '{host.host_addr}'" in line
