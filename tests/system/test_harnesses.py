"""Self-tests of the real-component harnesses in tests/support.

Every server here binds to loopback or to a veth address of a namespace the test creates;
HTTP clients are built without proxy handlers so no request can leave the machine.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.netns import HttpGetError, TestHost
from tests.support.nginx import NginxServer, self_signed_cert
from tests.support.ports import HarnessError, free_port, pid_alive, port_is_open, wait_for_port
from tests.support.sshd import LoopbackSshd
from tests.support.tmux import TmuxSession

pytestmark = pytest.mark.system


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b"hello from backend"

    def do_GET(self) -> None:
        payload = self.body + b" path=" + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep pytest output clean


@contextlib.contextmanager
def http_backend(host: str = "127.0.0.1") -> Iterator[int]:
    """A threaded http.server on ``host``:<free port>; yields the port."""
    server = http.server.ThreadingHTTPServer((host, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def local_get(url: str, *, cafile: Path | None = None, timeout: float = 10.0) -> tuple[int, str]:
    """GET from the root namespace with proxies disabled (env proxies must never be used)."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if cafile is not None:
        handlers.append(
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(cafile)))
        )
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


# -- ports -----------------------------------------------------------------------------------


def test_free_port_and_wait_for_port() -> None:
    port = free_port()
    assert not port_is_open("127.0.0.1", port)
    with pytest.raises(HarnessError, match="timed out"):
        wait_for_port("127.0.0.1", port, timeout=0.3)
    with http_backend() as backend_port:
        assert wait_for_port("127.0.0.1", backend_port, timeout=5) < 5


# -- sshd ------------------------------------------------------------------------------------


def test_sshd_login_runs_command() -> None:
    with LoopbackSshd() as sshd:
        result = sshd.run("echo ok")
        assert result.stdout.strip() == "ok"
        assert result.returncode == 0
        assert "Accepted publickey" in sshd.log()
        assert sshd.known_hosts.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")
        pid_file = sshd.server_dir / "sshd.pid"
        sshd_pid = int(pid_file.read_text())
        tmp = sshd.server_dir.parent
    assert not tmp.exists()
    assert not Path(f"/proc/{sshd_pid}").exists()


def test_sshd_forward_reaches_loopback_http_server() -> None:
    with LoopbackSshd() as sshd, http_backend() as backend_port:
        with sshd.forward(None, backend_port) as local_port:
            assert local_port != backend_port
            status, body = local_get(f"http://127.0.0.1:{local_port}/via-tunnel")
            assert status == 200
            assert body == "hello from backend path=/via-tunnel"
        # The forward is torn down with the block.
        assert not port_is_open("127.0.0.1", local_port)


def test_sshd_rejects_a_key_it_does_not_know(tmp_path: Path) -> None:
    other_key = tmp_path / "other"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)],
        check=True,
        capture_output=True,
    )
    with LoopbackSshd() as sshd:
        argv = sshd.ssh_base_argv()
        argv[argv.index(str(sshd.client_key))] = str(other_key)
        denied = subprocess.run(
            ["ssh", *argv, sshd.destination, "--", "echo ok"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        assert denied.returncode == 255
        assert "Permission denied" in denied.stderr


# -- nginx -----------------------------------------------------------------------------------


def _proxy_conf(listen_port: int, backend_port: int, extra: str = "") -> str:
    return f"""
server {{
    listen 127.0.0.1:{listen_port}{extra};
    location / {{
        proxy_pass http://127.0.0.1:{backend_port};
    }}
    location = /direct {{
        return 200 "direct answer";
    }}
}}
"""


def test_nginx_proxies_to_backend_and_reloads() -> None:
    port = free_port()
    with http_backend() as backend_port, NginxServer(_proxy_conf(port, backend_port)) as nginx:
        assert nginx.test().returncode == 0
        assert local_get(f"http://127.0.0.1:{port}/x") == (200, "hello from backend path=/x")
        assert local_get(f"http://127.0.0.1:{port}/direct") == (200, "direct answer")
        nginx.reload(_proxy_conf(port, backend_port).replace("direct answer", "reloaded"))
        assert local_get(f"http://127.0.0.1:{port}/direct") == (200, "reloaded")
        assert "GET /x" in nginx.access_log_text()
        prefix = nginx.prefix
        master = nginx.master_pid
        assert master is not None
    assert not prefix.exists()
    assert not Path(f"/proc/{master}").exists()
    assert not port_is_open("127.0.0.1", port)


def test_nginx_https_with_self_signed_cert(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path, "127.0.0.1", sans=["localhost"])
    port = free_port()
    ssl_lines = f" ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key}"
    with http_backend() as backend_port, NginxServer(_proxy_conf(port, backend_port, ssl_lines)):
        status, body = local_get(f"https://127.0.0.1:{port}/secure", cafile=cert)
        assert (status, body) == (200, "hello from backend path=/secure")
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            local_get(f"https://127.0.0.1:{port}/secure")


def test_nginx_full_config_is_accepted() -> None:
    port = free_port()
    conf = f"""
worker_processes 2;
events {{ worker_connections 64; }}
http {{
    server {{ listen 127.0.0.1:{port}; return 204; }}
}}
"""
    with NginxServer(conf, ports=[port]) as nginx:
        assert local_get(f"http://127.0.0.1:{port}/")[0] == 204
        assert nginx.conf_path.read_text().count("worker_processes") == 1


def test_nginx_broken_config_fails_test_and_start() -> None:
    conf = f"server {{ listen 127.0.0.1:{free_port()}; no_such_directive on; }}"
    with NginxServer(conf, autostart=False) as nginx:
        result = nginx.test()
        assert result.returncode != 0
        assert 'unknown directive "no_such_directive"' in result.stderr
        with pytest.raises(HarnessError, match="no_such_directive"):
            nginx.start()
        with pytest.raises(HarnessError, match="not running"):
            nginx.reload()


# -- netns -----------------------------------------------------------------------------------


def test_testhost_reaches_host_veth_address_but_not_root_loopback() -> None:
    with TestHost() as host, TestHost() as other:
        assert host.name != other.name
        assert host.host_addr != other.host_addr
        assert ipaddress.ip_address(host.peer_addr) in ipaddress.ip_network("10.231.0.0/16")
        assert host.run(["ip", "-o", "-4", "addr", "show", "lo"]).stdout.count("127.0.0.1") == 1
        with http_backend(host.host_addr) as lan_port, http_backend("127.0.0.1") as lo_port:
            status, body = host.http_get(f"http://{host.host_addr}:{lan_port}/lan")
            assert (status, body) == (200, "hello from backend path=/lan")
            # The namespace's 127.0.0.1 is its own loopback: the root-namespace server is invisible.
            with pytest.raises(HttpGetError, match="refused"):
                host.http_get(f"http://127.0.0.1:{lo_port}/", timeout=3)
            with pytest.raises(HttpGetError, match="refused"):
                host.http_get(f"http://{host.host_addr}:{lo_port}/", timeout=3)
            assert host.tcp_connect(host.host_addr, lan_port)
            assert not host.tcp_connect(host.host_addr, lo_port)
        name, host_if = host.name, host.host_if
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert name not in listed
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert f" {host_if}@" not in links and f" {host_if}:" not in links


def test_testhost_cleanup_kills_background_processes() -> None:
    with TestHost() as host:
        proc = host.popen(["sleep", "300"])
        # A daemonized process the harness never saw must be killed too.
        orphan = int(host.run(["sh", "-c", "sleep 301 >/dev/null 2>&1 & echo $!"]).stdout)
        assert proc.poll() is None
        assert pid_alive(orphan)
    assert proc.poll() is not None
    assert not pid_alive(orphan)


# -- tmux ------------------------------------------------------------------------------------

_PROMPT_PROGRAM = """
import os, sys
size = os.get_terminal_size()
print(f"size={size.columns}x{size.lines} term={os.environ['TERM']} greet={os.environ['GREETING']}")
name = input("name? ")
print(f"{os.environ['GREETING']}, {name}!")
sys.exit(3)
"""


def test_tmux_answers_a_prompt_and_captures_the_screen() -> None:
    with TmuxSession() as tmux:
        tmux.new_session(
            [sys.executable, "-c", _PROMPT_PROGRAM], width=90, height=20, env={"GREETING": "hi"}
        )
        screen = tmux.wait_for_text("name? ", timeout=10)
        assert "size=90x20" in screen
        assert re.search(r"term=\S*256color greet=hi", screen)
        tmux.send_keys("Ada Lovelace", literal=True)
        tmux.send_keys("Enter")
        screen = tmux.wait_for_text(re.compile(r"hi, Ada Lovelace!"), timeout=10)
        assert "name? Ada Lovelace" in screen
        assert tmux.wait_for_exit(timeout=10) == 3
        # The pane outlives the program, so its last screen stays readable.
        assert "hi, Ada Lovelace!" in tmux.capture()
        started = time.monotonic()
        with pytest.raises(HarnessError, match=r"exited \(3\)"):
            tmux.wait_for_text("never shown", timeout=30)
        assert time.monotonic() - started < 5  # a finished program fails fast
        pane_pid = tmux.pane_pid
        assert pane_pid is not None
    assert not pid_alive(pane_pid)


def test_tmux_timeout_reports_last_screen_and_kill_cleans_up() -> None:
    tmux = TmuxSession()
    try:
        # A program that ignores SIGHUP, which is all kill-server sends it.
        tmux.new_session(
            [
                sys.executable,
                "-c",
                "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
                "print('waiting here', flush=True); time.sleep(300)",
            ]
        )
        with pytest.raises(HarnessError, match=r"(?s)never shown.*last screen.*waiting here"):
            tmux.wait_for_text("never shown", timeout=1)
        pane_pid = tmux.pane_pid
        assert pane_pid is not None and pid_alive(pane_pid)
    finally:
        tmux.kill()
    assert not pid_alive(pane_pid)
    listed = subprocess.run(
        ["tmux", "-L", tmux.name, "list-sessions"], capture_output=True, text=True
    )
    assert listed.returncode != 0
    assert not tmux.socket_path.exists()
