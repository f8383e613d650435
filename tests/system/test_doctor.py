"""doctor: each check failing on a real broken setup, then passing once it is fixed.

Real JupyterLab servers started from the config dir the wizard wrote (broken ones get one
command-line override, the way a hand-started or stale server differs from its config), a
second test host in a network namespace, a real nftables rule and a real nginx.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.jupyter import run_jupyter
from tests.support.netns import HttpGetError, TestHost
from tests.support.nginx import NginxServer
from tests.support.ports import free_port
from tests.system.test_access_common import apply, check_line, doctor, write_answers
from tests.system.test_access_reverse_proxy import PASSWORD as PROXY_JUPYTER_PW
from tests.system.test_access_reverse_proxy import PROXY_PASSWORD, proxy_answers

pytestmark = pytest.mark.system

PASSWORD = "doctor who 1963"


@pytest.fixture
def host() -> Iterator[TestHost]:
    with TestHost() as h:
        yield h


def setup(tmp_path: Path, jlab: str, method: str, ip: str, **access: object) -> Path:
    cfg, root = tmp_path / "cfg", tmp_path / "nb"
    root.mkdir()
    answers = write_answers(tmp_path / "a.toml", jlab, cfg, root,
                            network={"ip": ip, "port": free_port()},
                            access={"method": method, **access})  # fmt: skip
    apply(answers, PASSWORD + "\n")
    return answers


def port_of(answers: Path) -> int:
    import tomllib

    return int(tomllib.loads(answers.read_text())["network"]["port"])


def failing(answers: Path, name: str, **kw: object) -> str:
    r = doctor(answers, **kw)  # type: ignore[arg-type]
    assert r.returncode == 1, r.stdout + r.stderr
    line = check_line(r.stdout, name)
    assert line.startswith("✗ "), r.stdout
    assert "\n    fix: " in line, line
    return line


def passing(answers: Path, name: str, **kw: object) -> str:
    r = doctor(answers, **kw)  # type: ignore[arg-type]
    line = check_line(r.stdout, name)
    assert line.startswith("✓ "), r.stdout
    assert r.returncode == 0, r.stdout + r.stderr
    return line


def test_service_check(jlab: str, tmp_path: Path) -> None:
    answers = setup(tmp_path, jlab, "ssh-tunnel", "127.0.0.1")
    line = failing(answers, "service")
    assert "no Jupyter runs on port" in line
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv"):
        assert "jupyter-lab" in passing(answers, "service")


def test_listening_more_than_the_method_needs(jlab: str, tmp_path: Path, host: TestHost) -> None:
    answers = setup(tmp_path, jlab, "ssh-tunnel", "127.0.0.1")
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s1",
                     extra_args=(f"--ServerApp.ip={host.host_addr}",)):  # fmt: skip
        line = failing(answers, "listening")
        assert f"listens on {host.host_addr}:" in line and "more than ssh-tunnel needs" in line
        assert "and not on 127.0.0.1" in line
        assert "fix: set network.ip = '127.0.0.1'" in line
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s2"):
        passing(answers, "listening")


def test_configured_vs_real_port(jlab: str, tmp_path: Path) -> None:
    answers = setup(tmp_path, jlab, "ssh-tunnel", "127.0.0.1")
    other = free_port()
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s1",
                     extra_args=(f"--ServerApp.port={other}",)):  # fmt: skip
        line = failing(answers, "port")
        # Other Jupyter servers on this machine may be listed too; ours must be among them.
        assert f"configured port is {port_of(answers)}, but Jupyter listens on" in line
        assert str(other) in line
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s2"):
        passing(answers, "port")


def test_non_local_host_header_403(jlab: str, tmp_path: Path, host: TestHost) -> None:
    answers = setup(tmp_path, jlab, "direct", host.host_addr)
    url = f"http://{host.host_addr}:{port_of(answers)}/api"
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s1",
                     extra_args=("--ServerApp.allow_remote_access=False",)):  # fmt: skip
        assert host.http_get(url).status == 403  # what the other computer sees
        line = failing(answers, "host header")
        assert "fix: set ServerApp.allow_remote_access = True" in line
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s2"):
        assert host.http_get(url).status == 200
        passing(answers, "host header")


def test_advertised_urls(jlab: str, tmp_path: Path, host: TestHost) -> None:
    answers = setup(tmp_path, jlab, "direct", host.host_addr)
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s1",
                     extra_args=("--ServerApp.base_url=/elsewhere/",)):  # fmt: skip
        line = failing(answers, "advertised URLs")
        assert f"{host.host_addr}:{port_of(answers)}/api answered 404" in line
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "s2"):
        line = passing(answers, "advertised URLs")
        assert f"http://{host.host_addr}:{port_of(answers)}/" in line


def nft(*args: str) -> None:
    subprocess.run(["nft", *args], check=True, capture_output=True, text=True, timeout=30)


def test_firewall_rule_blocking_the_port(jlab: str, tmp_path: Path, host: TestHost) -> None:
    answers = setup(tmp_path, jlab, "direct", host.host_addr)
    port = port_of(answers)
    table = f"jsw_doctor_{os.getpid()}"
    with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv"):
        passing(answers, "firewall")
        # Only traffic arriving over the test host's veth is dropped.
        nft("add", "table", "inet", table)
        try:
            nft("add", "chain", "inet", table, "input",
                "{ type filter hook input priority 0 ; policy accept ; }")  # fmt: skip
            nft("add", "rule", "inet", table, "input", "iifname", host.host_if, "tcp", "dport",
                str(port), "drop")  # fmt: skip
            with pytest.raises(HttpGetError):
                host.http_get(f"http://{host.host_addr}:{port}/api", timeout=3)
            line = failing(answers, "firewall")
            assert f"table inet {table} input: tcp dport {port} drop" in line
            assert f"fix: sudo nft delete rule inet {table} input handle" in line
            # From this machine itself the URL still answers: only the firewall check tells.
            check = check_line(doctor(answers).stdout, "advertised URLs")
            assert check.startswith("✓")
        finally:
            nft("delete", "table", "inet", table)
        assert host.http_get(f"http://{host.host_addr}:{port}/api").status == 200
        passing(answers, "firewall")


def test_proxy_websocket_upgrade(jlab: str, tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    with NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx:
        answers = proxy_answers(tmp_path, jlab, nginx, free_port())
        secrets = f"{PROXY_JUPYTER_PW}\n{PROXY_PASSWORD}\n"
        apply(answers, secrets, "--proxy-password-stdin")
        site = tmp_path / "sites" / "jupyter.conf"
        good = site.read_text()
        live = {"stdin": secrets, "extra": ("--password-stdin", "--proxy-password-stdin")}
        with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv"):
            passing(answers, "proxy websocket", **live)
            # A hand-edited site that drops the Connection: upgrade header (looks fine to grep).
            site.write_text(good.replace("Connection $jsw_connection_upgrade", 'Connection ""'))
            nginx.reload(nginx.conf_text)
            line = failing(answers, "proxy websocket", **live)
            assert "not 101" in line
            # Without the Upgrade header at all: the static check names what is missing.
            site.write_text(good.replace("proxy_set_header Upgrade $http_upgrade;", ""))
            nginx.reload(nginx.conf_text)
            line = failing(answers, "proxy websocket")
            assert "lacks: proxy_set_header Upgrade $http_upgrade" in line
            site.write_text(good)
            nginx.reload(nginx.conf_text)
            passing(answers, "proxy websocket", **live)
