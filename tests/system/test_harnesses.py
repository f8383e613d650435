"""Self-tests of the real-component harnesses in tests/support.

Every server here binds to loopback or to a veth address of a namespace the test creates;
HTTP clients are built without proxy handlers so no request can leave the machine.
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import HarnessError, free_port, port_is_open, wait_for_port
from tests.support.sshd import LoopbackSshd

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
