"""A second "machine" for network tests: a network namespace wired to the root one by a veth.

``TestHost`` is the other computer on the LAN: it can reach what the server exposes on the
host-side veth address, and nothing else. It has no default route, so nothing run inside it
can reach any address beyond its own /30 link and its own loopback (whose 127.0.0.1 is NOT the
root namespace's). Needs root and iproute2. Stdlib only.

Addresses are /30s of 10.231.0.0/16 handed out under a file lock, so parallel test processes
never collide; names carry the owner pid, so leftovers of a killed run are swept on next use.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import pytest

from tests.support.ports import HarnessError, kill_pids, pid_alive, stop_process, wait_until

NETWORK = ipaddress.IPv4Network("10.231.0.0/16")
SLOTS = NETWORK.num_addresses // 4
LOCK_PATH = Path("/run/jsw-testhost.lock")
NS_PREFIX = "jswt"
_NS_NAME = re.compile(rf"^{NS_PREFIX}-(\d+)-(\d+)$")

# Runs inside the namespace. No proxy handler: an inherited http_proxy must never be used.
_HTTP_GET = r"""
import json, ssl, sys, urllib.error, urllib.request
url, timeout, cafile = sys.argv[1], float(sys.argv[2]), sys.argv[3] or None
handlers = [urllib.request.ProxyHandler({})]
if cafile:
    handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cafile)))
opener = urllib.request.build_opener(*handlers)
try:
    with opener.open(url, timeout=timeout) as r:
        out = {"status": r.status, "body": r.read().decode("utf-8", "replace")}
except urllib.error.HTTPError as e:
    out = {"status": e.code, "body": e.read().decode("utf-8", "replace")}
except Exception as e:
    out = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps(out))
"""

_TCP_CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("open")
except OSError as e:
    print(f"closed {e}")
"""


class HttpResult(NamedTuple):
    status: int
    body: str


class HttpGetError(HarnessError):
    """The request from inside the namespace got no HTTP answer (refused, timeout, TLS, ...)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )
    if check and result.returncode != 0:
        raise HarnessError(f"ip {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


class TestHost:
    """A namespace ``jswt-<slot>-<pid>`` with a veth pair to the root namespace.

    ``host_addr`` is the root-namespace end (where the code under test must listen to be
    reachable), ``peer_addr`` the namespace end (the client's source address).
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, *, setup_timeout: float = 10.0) -> None:
        if shutil.which("ip") is None:
            raise HarnessError("ip not found: apt-get install iproute2")
        self.setup_timeout = setup_timeout
        self.name = ""
        self.host_if = ""
        self.peer_if = ""
        self.host_addr = ""
        self.peer_addr = ""
        self.prefixlen = 30
        self.startup_seconds = 0.0
        self._procs: list[subprocess.Popen[Any]] = []

    # -- lifecycle -------------------------------------------------------------------------

    def create(self) -> TestHost:
        """Create namespace and veth, address and bring up both ends and ``lo``."""
        if self.name:
            raise HarnessError(f"namespace {self.name} already created")
        t0 = time.monotonic()
        LOCK_PATH.parent.mkdir(parents=True, exist_ok=True)
        with LOCK_PATH.open("a") as lock:
            # The lock covers pick-and-claim, so concurrent pytest processes get distinct slots.
            fcntl.flock(lock, fcntl.LOCK_EX)
            _sweep_stale()
            slot = _pick_slot()
            base = NETWORK.network_address + 4 * slot
            self.name = f"{NS_PREFIX}-{slot}-{os.getpid()}"
            self.host_if, self.peer_if = f"{NS_PREFIX}{slot}h", f"{NS_PREFIX}{slot}p"
            self.host_addr, self.peer_addr = str(base + 1), str(base + 2)
            try:
                _ip("netns", "add", self.name)
                _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if,
                    "netns", self.name)  # fmt: skip
                _ip("addr", "add", f"{self.host_addr}/{self.prefixlen}", "dev", self.host_if)
            except BaseException:
                self.destroy()
                raise
        try:
            # IPv6 off on the link: no router solicitations or other chatter from the test host.
            _disable_ipv6(Path("/proc/sys/net/ipv6/conf") / self.host_if)
            self.run(
                ["sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{self.peer_if}/disable_ipv6"],
                check=False,
            )
            _ip("-n", self.name, "addr", "add", f"{self.peer_addr}/{self.prefixlen}", "dev",
                self.peer_if)  # fmt: skip
            _ip("-n", self.name, "link", "set", "lo", "up")
            _ip("-n", self.name, "link", "set", self.peer_if, "up")
            _ip("link", "set", self.host_if, "up")
            wait_until(
                lambda: "LOWER_UP" in _ip("-o", "link", "show", self.host_if).stdout or None,
                timeout=self.setup_timeout,
                what=f"veth {self.host_if} to come up",
                log=lambda: _ip("-d", "link", "show", self.host_if, check=False).stdout,
            )
        except BaseException:
            self.destroy()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def destroy(self) -> None:
        """Kill everything running inside, delete veth and namespace. Idempotent."""
        if not self.name:
            return
        for proc in self._procs:
            stop_process(proc)
        self._procs.clear()
        pids = _ip("netns", "pids", self.name, check=False).stdout.split()
        kill_pids([int(p) for p in pids if p.isdigit()])
        # Deleting one end of a veth deletes both; do it explicitly rather than relying on
        # namespace teardown, which is deferred while anything still holds the namespace.
        _ip("link", "del", self.host_if, check=False)
        _ip("netns", "del", self.name, check=False)
        leftovers = []
        if _ip("link", "show", self.host_if, check=False).returncode == 0:
            leftovers.append(f"link {self.host_if}")
        if self.name in _netns_names():
            leftovers.append(f"netns {self.name}")
        self.name = ""
        if leftovers:
            raise HarnessError(f"TestHost cleanup left {', '.join(leftovers)} behind")

    def __enter__(self) -> TestHost:
        return self.create()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()

    # -- running things inside -------------------------------------------------------------

    def argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` prefixed so that it runs inside the namespace."""
        self._require()
        return ["ip", "netns", "exec", self.name, *argv]

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        check: bool = True,
        input: str | None = None,  # noqa: A002 - mirrors subprocess.run
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace; text output captured."""
        full = self.argv(argv)
        try:
            result = subprocess.run(
                full,
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=dict(env) if env is not None else None,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"{full} timed out after {timeout}s") from exc
        if check and result.returncode != 0:
            raise HarnessError(
                f"{full} exited {result.returncode}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}"
            )
        return result

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``argv`` inside the namespace in the background; stopped by destroy()."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("start_new_session", True)
        proc: subprocess.Popen[Any] = subprocess.Popen(self.argv(argv), **kwargs)
        self._procs.append(proc)
        return proc

    def http_get(
        self, url: str, *, timeout: float = 10.0, cafile: Path | None = None
    ) -> HttpResult:
        """GET ``url`` from inside the namespace (proxies ignored).

        Any HTTP status is returned; no HTTP answer at all raises HttpGetError.
        """
        result = self.run(
            [sys.executable, "-c", _HTTP_GET, url, str(timeout), str(cafile or "")],
            timeout=timeout + 15,
        )
        data = json.loads(result.stdout)
        if "error" in data:
            raise HttpGetError(f"GET {url} from {self.name} failed: {data['error']}")
        return HttpResult(int(data["status"]), str(data["body"]))

    def tcp_connect(self, host: str, port: int, *, timeout: float = 3.0) -> bool:
        """True if a TCP connection from inside the namespace to ``host:port`` succeeds."""
        result = self.run(
            [sys.executable, "-c", _TCP_CONNECT, host, str(port), str(timeout)],
            timeout=timeout + 15,
        )
        return result.stdout.strip() == "open"

    def _require(self) -> None:
        if not self.name:
            raise HarnessError("TestHost is not created")


def _netns_names() -> list[str]:
    # "ip netns list" prints "name (id: N)" once the namespace has an id.
    return [line.split()[0] for line in _ip("netns", "list").stdout.splitlines() if line.strip()]


def _disable_ipv6(conf_dir: Path) -> None:
    with contextlib.suppress(OSError):  # IPv6 may be absent altogether: nothing to silence
        (conf_dir / "disable_ipv6").write_text("1")


def _sweep_stale() -> None:
    """Delete namespaces (and their veths) whose owning process is gone."""
    for name in _netns_names():
        match = _NS_NAME.match(name)
        if match and not pid_alive(int(match.group(2))):
            _ip("link", "del", f"{NS_PREFIX}{match.group(1)}h", check=False)
            _ip("netns", "del", name, check=False)


def _pick_slot() -> int:
    used_addrs = _ip("-o", "-4", "addr", "show").stdout
    used_slots = {
        (int(ipaddress.IPv4Address(a)) - int(NETWORK.network_address)) // 4
        for a in re.findall(r"inet (10\.231\.\d+\.\d+)", used_addrs)
    }
    used_slots |= {int(m.group(1)) for n in _netns_names() if (m := _NS_NAME.match(n))}
    links = _ip("-o", "link", "show").stdout
    # Start at a pid-derived slot so parallel runs rarely even have to probe.
    start = (os.getpid() * 8) % SLOTS
    for i in range(SLOTS):
        slot = (start + i) % SLOTS
        if slot not in used_slots and f" {NS_PREFIX}{slot}h" not in links:
            return slot
    raise HarnessError("no free /30 left in 10.231.0.0/16")


@pytest.fixture
def netns_host() -> Iterator[TestHost]:
    """A created TestHost, destroyed after the test; import it into a conftest to use it."""
    with TestHost() as host:
        yield host
