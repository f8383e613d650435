"""Status core: runtime dirs, socket reading, findings, JSON schema, text, exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from wizard.core.answers import Answers
from wizard.plan.service.base import ServiceState, describe
from wizard.probe import http
from wizard.probe import sockets as netstat
from wizard.probe.jupyter_paths import (
    config_dir,
    config_path,
    env_config_dir,
    read_runtime_file,
    runtime_dir,
    scan_runtime_dirs,
    user_config_dir,
)
from wizard.probe.sockets import Listener
from wizard.verify.status import collect as status
from wizard.verify.status.collect import take_snapshot
from wizard.verify.status.findings import findings_of
from wizard.verify.status.model import (
    Configured,
    Finding,
    HttpProbe,
    Server,
    ServiceStatus,
    Snapshot,
)
from wizard.verify.status.render import render_text, service_line, to_json
from wizard.verify.status.schema import SCHEMA, validate

REPO = Path(__file__).parents[2]


# --------------------------------------------------------------------------- runtime dirs


def test_runtime_dir_follows_jupyter_core_rules() -> None:
    home = "/home/ann"
    assert runtime_dir({"JUPYTER_RUNTIME_DIR": "/r"}, home) == Path("/r")
    assert runtime_dir({"JUPYTER_DATA_DIR": "/d"}, home) == Path("/d/runtime")
    assert runtime_dir({"XDG_DATA_HOME": "/x"}, home) == Path("/x/jupyter/runtime")
    assert runtime_dir({}, home) == Path("/home/ann/.local/share/jupyter/runtime")
    # Empty values count as unset, as in jupyter_core.
    assert runtime_dir({"JUPYTER_RUNTIME_DIR": "", "XDG_DATA_HOME": ""}, home) == Path(
        "/home/ann/.local/share/jupyter/runtime"
    )


def test_config_dirs_follow_jupyter_core_rules(tmp_path: Path) -> None:
    home = "/home/ann"
    assert config_dir({"JUPYTER_CONFIG_DIR": "/c"}, home) == Path("/c")
    assert config_dir({"JUPYTER_CONFIG_DIR": ""}, home) == Path("/home/ann/.jupyter")
    assert config_dir({"HOME": "/home/bob"}) == Path("/home/bob/.jupyter")
    assert config_dir() == Path(os.environ["JUPYTER_CONFIG_DIR"])
    root = user_config_dir("root")
    assert root is not None and root.name == ".jupyter"
    assert user_config_dir("no-such-user-jsw") is None
    # Inside a venv, its env dir ranks first; a plain interpreter has none.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    python = str(venv / "bin" / "python")
    assert env_config_dir(python) == venv / "etc" / "jupyter"
    assert env_config_dir("/usr/bin/python3") is None and env_config_dir("") is None
    system = ["/usr/local/etc/jupyter", "/etc/jupyter"]
    assert config_path("/home/ann/.jupyter", python) == [
        str(venv / "etc" / "jupyter"),
        "/home/ann/.jupyter",
        *system,
    ]
    assert config_path(Path("/u"), "/usr/bin/python3") == ["/u", *system]
    assert config_path("/u") == ["/u", *system]


def test_runtime_dir_of_this_process_uses_the_environment(tmp_path: Path) -> None:
    assert runtime_dir() == Path(os.environ["JUPYTER_RUNTIME_DIR"])


def _server_file(d: Path, pid: int, port: int, **extra: object) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    data = {
        "base_url": "/",
        "hostname": "localhost",
        "password": False,
        "pid": pid,
        "port": port,
        "root_dir": "/srv/nb",
        "secure": False,
        "sock": "",
        "token": "abc123",
        "url": f"http://localhost:{port}/",
        "version": "2.21.1",
        **extra,
    }
    path = d / f"jpserver-{pid}.json"
    path.write_text(json.dumps(data))
    return path


def test_runtime_files_are_read_and_broken_ones_reported(tmp_path: Path) -> None:
    d = tmp_path / "rt"
    good = _server_file(d, 4242, 8899)
    (d / "jpserver-1.json").write_text("{not json")
    (d / "kernel-1.json").write_text("{}")
    scan = scan_runtime_dirs([d, d, tmp_path / "missing"])
    assert [f.path for f in scan.files] == [str(good)]
    rf = scan.files[0]
    assert (rf.pid, rf.port, rf.version, rf.token, rf.root_dir) == (
        4242,
        8899,
        "2.21.1",
        "abc123",
        "/srv/nb",
    )
    assert [p for p, _ in scan.unreadable] == [str(d / "jpserver-1.json")]
    assert read_runtime_file(str(good)) == rf


# --------------------------------------------------------------------------- sockets


def test_decode_proc_net_addresses() -> None:
    assert netstat._decode_addr("0100007F", socket.AF_INET) == "127.0.0.1"
    assert netstat._decode_addr("00000000000000000000000001000000", socket.AF_INET6) == "::1"


@pytest.fixture
def listening_socket() -> tuple[socket.socket, socket.socket]:
    v4 = socket.socket()
    v4.bind(("127.0.0.1", 0))
    v4.listen()
    v6 = socket.socket(socket.AF_INET6)
    v6.bind(("::1", 0))
    v6.listen()
    yield v4, v6
    v4.close()
    v6.close()


def test_listening_sockets_with_owner(
    listening_socket: tuple[socket.socket, socket.socket],
) -> None:
    v4, v6 = listening_socket
    p4, p6 = v4.getsockname()[1], v6.getsockname()[1]
    found = netstat.listening({p4, p6})
    got = {(s.address, s.port) for s in found}
    assert ("127.0.0.1", p4) in got and ("::1", p6) in got
    assert all(s.uid == os.geteuid() for s in found if s.port in (p4, p6))
    # The fast path (sock_diag) and the text tables agree.
    diag = netstat._diag_listening({p4, p6}, set())
    text = netstat._proc_listening({f"{p4:04X}", f"{p6:04X}"}, set())
    assert {(s.address, s.port, s.inode, s.uid) for s in diag} == {
        (s.address, s.port, s.inode, s.uid) for s in text
    }
    owned = netstat.owners(found, (), search_all=True)
    assert {s.pid for s in owned if s.port in (p4, p6)} == {os.getpid()}
    # By inode, without naming the port.
    inodes = netstat.socket_inodes(os.getpid())
    assert inodes is not None
    by_inode = netstat.listening((), inodes)
    assert {(s.address, s.port) for s in by_inode} >= {("127.0.0.1", p4), ("::1", p6)}


def test_kernel_port_filter_keeps_exactly_the_asked_ports(
    listening_socket: tuple[socket.socket, socket.socket],
) -> None:
    v4, v6 = listening_socket
    others = [socket.socket() for _ in range(5)]
    try:
        for o in others:
            o.bind(("127.0.0.1", 0))
            o.listen()
        ports = {v4.getsockname()[1], v6.getsockname()[1], others[3].getsockname()[1], 1}
        filtered = netstat._diag_listening(ports, set(), netstat.port_filter(ports))
        unfiltered = netstat._diag_listening(ports, set())
        key = lambda s: (s.address, s.port, s.inode)  # noqa: E731
        assert sorted(filtered, key=key) == sorted(unfiltered, key=key)
        assert {s.port for s in filtered} == ports - {1}
        assert netstat._diag_listening({1}, set(), netstat.port_filter({1})) == []
    finally:
        for o in others:
            o.close()


def test_process_table_knows_us() -> None:
    table = {p.pid: p for p in netstat.process_table()}
    assert table[os.getpid()].ppid == os.getppid()
    procs = netstat.Procs()
    assert procs[os.getpid()] == table[os.getpid()]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in procs.children(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert child.pid not in netstat.Procs()


# --------------------------------------------------------------------------- snapshots


def _answers(port: int, **access: str) -> Answers:
    a = Answers().replace("network", port=port)
    return a.replace("access", **access) if access else a


def test_nothing_running_is_down(listening_socket: tuple[socket.socket, socket.socket]) -> None:
    snap = take_snapshot(_answers(1))
    assert snap.state == "down" and snap.exit_code == 3 and not snap.servers
    assert snap.configured.source == "last apply"


def test_port_held_by_another_program_names_it(
    listening_socket: tuple[socket.socket, socket.socket],
) -> None:
    port = listening_socket[0].getsockname()[1]
    snap = take_snapshot(_answers(port))
    taken = [f for f in snap.findings if f.code == "port_taken"]
    assert len(taken) == 1
    me = netstat.process_table()
    name = next(p.name for p in me if p.pid == os.getpid())
    assert f"{name} (pid {os.getpid()}" in taken[0].message
    assert taken[0].step == "network"
    assert snap.exit_code == 3  # nothing of Jupyter runs


def test_config_files_are_the_fallback_and_legacy_password_is_found(tmp_path: Path) -> None:
    cfg = Path(os.environ["JUPYTER_CONFIG_DIR"])
    cfg.mkdir(parents=True)
    (cfg / "jupyter_server_config.json").write_text('{"ServerApp": {"port": 9123}}')
    (cfg / "jupyter_server_config.py").write_text(
        "c = get_config()\nc.ServerApp.port = 9000\nc.ServerApp.password = 'sha1:aa:bb'\n"
    )
    snap = take_snapshot(None)
    assert snap.configured.source == "config files"
    assert snap.configured.port == 9123  # .json beats .py in one dir
    legacy = [f for f in snap.findings if f.code == "legacy_password"]
    assert len(legacy) == 1
    assert "jupyter_server_config.py line 3" in legacy[0].message
    assert legacy[0].step == "password"


def test_answers_default_to_the_last_apply() -> None:
    from wizard.core.record import save_current

    save_current(_answers(9555, method="direct"))
    snap = take_snapshot()
    assert (snap.configured.port, snap.configured.access_method) == (9555, "direct")


def _server(pid: int, *addrs: str, port: int = 8888, token: str = "") -> Server:
    return Server(
        pid=pid,
        port=port,
        url=f"http://localhost:{port}/",
        version="2.21.1",
        token=token,
        listening=[Listener(a, port, pid, "jupyter-lab", "ann") for a in addrs],
        http=HttpProbe(f"http://127.0.0.1:{port}/api", True, 200, "2.21.1", 2.0),
    )


def _state(name: str, active_state: str, exit_status: int | None = None) -> ServiceState:
    sub_state = {"active": "running", "failed": "failed"}[active_state]
    return ServiceState(
        "systemd-system", name, True, active_state, sub_state, None, None, 0, exit_status, True
    )


def _snap(
    method: str | None, *servers: Server, port: int = 8888, state: ServiceState | None = None
) -> Snapshot:
    cfg = Configured("last apply", port=port, access_method=method)
    listeners = [x for s in servers for x in s.listening]
    service = ServiceStatus.of(state) if state else ServiceStatus("none")
    return Snapshot(1.0, 1.0, cfg, service, list(servers), listeners)


def _codes(snap: Snapshot) -> list[str]:
    return [f.code for f in findings_of(snap, [], [], set(), {})]


@pytest.mark.parametrize(
    ("method", "addrs", "codes"),
    [
        ("ssh-tunnel", ("127.0.0.1",), []),
        ("ssh-tunnel", ("0.0.0.0",), ["bind_exposed"]),
        ("reverse-proxy", ("::",), ["bind_exposed"]),
        ("direct", ("127.0.0.1", "::1"), ["bind_loopback_only"]),
        ("router-tunnel", ("127.0.0.1",), ["bind_loopback_only"]),
        ("direct", ("0.0.0.0",), []),
        (None, ("0.0.0.0",), []),  # access method unknown: no guess
    ],
)
def test_binding_against_access_method(
    method: str | None, addrs: tuple[str, ...], codes: list[str]
) -> None:
    assert _codes(_snap(method, _server(10, *addrs))) == codes


def test_port_drift_and_service_findings() -> None:
    drifted = _snap("ssh-tunnel", _server(10, "127.0.0.1", port=8889), port=8888)
    assert _codes(drifted) == ["port_mismatch"]
    silent = _snap("ssh-tunnel", port=8888, state=_state("jupyterlab", "active"))
    assert _codes(silent) == ["service_not_listening"]
    failed = _snap(None, port=8888, state=_state("jupyterlab", "failed", exit_status=1))
    found = findings_of(failed, [], [], set(), {})
    assert [f.code for f in found] == ["service_failed"] and "exit status 1" in found[0].message


def test_unreadable_runtime_files_are_said_not_guessed() -> None:
    snap = _snap("ssh-tunnel")
    procs = {77: netstat.Proc(77, 1, "jupyter-lab")}
    found = findings_of(snap, [], [("/home/bob/rt", "Permission denied")], {77}, procs)
    assert [f.code for f in found] == ["runtime_unreadable", "runtime_unreadable"]
    assert "/home/bob/rt: not readable by" in found[0].message
    assert "pid 77" in found[1].message and "not readable" in found[1].message


def test_json_hides_the_token_unless_asked_and_matches_the_schema() -> None:
    snap = _snap("ssh-tunnel", _server(10, "127.0.0.1", token="s3cret"))
    hidden = to_json(snap)
    assert validate(hidden) == []
    assert "s3cret" not in json.dumps(hidden)
    assert hidden["servers"][0]["token_in_use"] is True
    shown = to_json(snap, show_token=True)
    assert validate(shown) == []
    assert shown["servers"][0]["url_with_token"] == "http://localhost:8888/lab?token=s3cret"
    assert "s3cret" not in render_text(snap)
    assert "token=s3cret" in render_text(snap, show_token=True)


def test_schema_validator_rejects_drift() -> None:
    data = to_json(_snap(None))
    assert validate(data) == []
    data["state"] = "fine"
    data["extra"] = 1
    del data["servers"]
    errors = validate(data)
    assert any("state" in e for e in errors)
    assert any("unexpected 'extra'" in e for e in errors)
    assert any("missing 'servers'" in e for e in errors)
    assert validate({"x": True}, {"type": "object", "properties": {"x": {"type": "integer"}}})


def test_schema_documents_every_field_the_snapshot_has() -> None:
    """Each dataclass field appears in the schema (a new field must be documented)."""
    props = SCHEMA["properties"]
    assert set(props["configured"]["properties"]) == {f for f in Configured.__dataclass_fields__}
    assert set(props["service"]["properties"]) == {*ServiceState.__dataclass_fields__, "error"}
    assert set(props["findings"]["items"]["properties"]) == set(Finding.__dataclass_fields__)


def test_service_json_is_the_state_itself_with_nulls_while_unknown() -> None:
    keys = list(SCHEMA["properties"]["service"]["properties"])
    unset = dict.fromkeys(keys)
    none = to_json(_snap(None))["service"]
    assert list(none) == keys
    assert none == {**unset, "manager": "none", "name": ""}  # installed: null, not false
    broken = _snap(None)
    broken.service = ServiceStatus("background", "jupyterlab", error="unknown: boom")
    data = to_json(broken)
    assert validate(data) == []
    assert data["service"] == {
        **unset,
        "manager": "background",
        "name": "jupyterlab",
        "error": "unknown: boom",
    }
    known = to_json(_snap(None, state=_state("jupyterlab.service", "failed", exit_status=1)))
    assert validate(known) == []
    assert list(known["service"]) == keys
    assert known["service"] == {
        "manager": "systemd-system",
        "name": "jupyterlab.service",
        "installed": True,
        "active_state": "failed",
        "sub_state": "failed",
        "main_pid": None,
        "since": None,
        "n_restarts": 0,
        "exit_status": 1,
        "enabled": True,
        "error": None,
    }


def test_service_state_is_worded_in_one_place() -> None:
    st = ServiceState(
        "systemd-system", "jupyterlab.service", True, "active", "running", 42, None, 2, 1, False
    )
    assert describe(st) == (
        "jupyterlab.service (systemd-system): active/running, pid 42, does not start at boot, "
        "2 restart(s), last exit status 1"
    )
    assert service_line(ServiceStatus.of(st)) == (
        "systemd-system jupyterlab.service: active (running), pid 42, not enabled at boot, "
        "2 restart(s), last exit status 1"
    )
    gone = ServiceState("background", "jupyterlab", False, "inactive", "dead", *[None] * 5)
    assert describe(gone) == "jupyterlab (background): not installed"
    assert service_line(ServiceStatus.of(gone)) == "background jupyterlab: not installed"
    unknown = ServiceStatus("background", "jupyterlab", error="unknown: boom")
    assert service_line(unknown) == "background jupyterlab: unknown: boom"
    none = ServiceStatus("none", "jupyterlab")
    assert service_line(none) == "none configured (JupyterLab is started by hand)"


def test_text_output_names_state_findings_and_fixes() -> None:
    snap = _snap("direct", _server(10, "127.0.0.1"))
    snap.findings = findings_of(snap, [], [], set(), {})
    text = render_text(snap)
    assert text.startswith("JupyterLab is running, with 1 finding(s)")
    assert "pid 10" in text and "HTTP ok" in text
    assert "fix: bind an address of this machine" in text and "[step: network]" in text
    assert snap.exit_code == 4


def test_status_json_command_is_lean(tmp_path: Path) -> None:
    """A whole `status --json` process: exit 3 (nothing runs), valid JSON, no Jupyter/UI imports."""
    code = (
        "import sys\n"
        "from wizard.cli import main\n"
        "rc = main(['status', '--json'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jupyter_server', 'jupyter_core', 'textual', 'requests', 'questionary'))\n"
        "print('MODULES', bad, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert r.returncode == 3, r.stderr
    assert "MODULES []" in r.stderr
    data = json.loads(r.stdout)
    assert validate(data) == []
    assert data["state"] == "down" and data["exit_code"] == 3


# --------------------------------------------------------------------------- the HTTP probe


class _Answers(threading.Thread):
    """A loopback server that answers every connection with fixed bytes (or nothing)."""

    def __init__(self, answer: bytes | None) -> None:
        super().__init__(daemon=True)
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.start()

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536))
                if self.answer is None:
                    time.sleep(2)
                    continue
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            b'HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n{"version": "2.21.1"}',
            (200, "OK", '{"version": "2.21.1"}'),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n",
            (200, "OK", "hello!!!"),
        ),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", (403, "Forbidden", "")),
    ],
)
def test_http_request(answer: bytes, expected: tuple[int, str, str]) -> None:
    """Status probes with the project's one HTTP client (wizard.probe.http.request)."""
    srv = _Answers(answer)
    try:
        got = http.request("http", "127.0.0.1", srv.port, "/base/api")
        assert (got.status, got.reason, got.body) == expected
        assert srv.requests[0].startswith(b"GET /base/api HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{srv.port}".encode() in srv.requests[0]
    finally:
        srv.close()


def test_http_request_reads_at_most_max_body() -> None:
    srv = _Answers(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
    try:
        assert http.request("http", "127.0.0.1", srv.port, "/", max_body=4).body == "0123"
    finally:
        srv.close()


def test_http_request_failures_are_errors_not_hangs() -> None:
    garbage, silent = _Answers(b"SSH-2.0-OpenSSH_9.2\r\n"), _Answers(None)
    try:
        with pytest.raises(http.NotHttpError, match="BadStatusLine"):
            http.request("http", "127.0.0.1", garbage.port, "/api")
        t0 = time.monotonic()
        with pytest.raises(OSError):
            http.request("http", "127.0.0.1", silent.port, "/api", timeout=0.3)
        assert time.monotonic() - t0 < 1.0
    finally:
        garbage.close()
        silent.close()
    server = _server(10, "127.0.0.1", port=garbage.port)
    probe = status.probe_http(server, timeout=0.3)
    assert probe is not None and not probe.ok and probe.error == "not an HTTP answer"


@pytest.mark.parametrize(
    ("answer", "ok", "version", "error"),
    [
        (
            b'HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n{"version": "2.21.1"}',
            True,
            "2.21.1",
            None,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnope",
            False,
            None,
            "answered 200 but not with Jupyter's /api JSON",
        ),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", False, None, "HTTP 403 Forbidden"),
    ],
)
def test_probe_http_reads_jupyters_api_answer(
    answer: bytes, ok: bool, version: str | None, error: str | None
) -> None:
    srv = _Answers(answer)
    try:
        server = _server(10, "127.0.0.1", port=srv.port)
        server.base_url = "/base/"
        probe = status.probe_http(server, timeout=2.0)
    finally:
        srv.close()
    assert probe is not None
    assert probe.url == f"http://127.0.0.1:{srv.port}/base/api"
    assert (probe.ok, probe.version, probe.error) == (ok, version, error)
    assert probe.status == int(answer.split()[1]) and probe.latency_ms is not None
    assert srv.requests[0].startswith(b"GET /base/api HTTP/1.1\r\n")
    assert b"Accept: application/json" in srv.requests[0]


def test_not_running_is_a_finding_with_the_way_to_start_it() -> None:
    """#13: "NOT running" next to "everything agrees" said nothing to do; now it says how."""
    snap = _snap("ssh-tunnel")
    found = findings_of(snap, [], [], set(), {})
    assert [f.code for f in found] == ["not_running"]
    assert "Service step" in found[0].fix and found[0].step == "service"
