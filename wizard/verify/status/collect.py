"""One cheap snapshot of everything that says whether JupyterLab is up, where, and if not, why.

`take_snapshot()` joins the service state, the runtime files of running servers, their
processes and listening sockets, an HTTP probe of each, and the configuration of the last apply
(or Jupyter's config files), and turns every disagreement into a finding with its fix.
It imports neither jupyter_server nor jupyter_core and never runs `jupyter`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from wizard.probe import sockets as netstat
from wizard.probe.jupyter_paths import (
    RuntimeFile,
    config_dir,
    config_path,
    process_runtime_dir,
    runtime_dir,
    scan_runtime_dirs,
    user_config_dir,
    user_runtime_dir,
)

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.jupyter_config import ConfigFile, Setting

SCHEMA_VERSION = 1
EXIT_HEALTHY, EXIT_DOWN, EXIT_FINDINGS = 0, 3, 4
DEFAULT_PORT = 8888
# Access methods that reach Jupyter over the LAN, and those that need loopback only.
LAN_METHODS = ("direct", "router-tunnel")
LOOPBACK_METHODS = ("ssh-tunnel", "reverse-proxy")


@dataclass
class Configured:
    """What the machine is configured as: the last apply's answers or Jupyter's config files."""

    source: str  # "last apply" | "config files" | "defaults"
    port: int = DEFAULT_PORT
    ip: str = "localhost"
    access_method: str | None = None  # unknown unless the wizard applied it
    config_dir: str = ""
    service_manager: str = "none"
    service_name: str = ""
    service_user: str = ""


@dataclass
class ServiceStatus:
    manager: str  # "none" when no service manager is configured
    name: str = ""
    installed: bool | None = None
    active_state: str | None = None  # systemd ActiveState: active, inactive, failed, ...
    sub_state: str | None = None
    main_pid: int | None = None
    since: float | None = None  # Unix time of the last state change
    n_restarts: int | None = None
    exit_status: int | None = None
    enabled: bool | None = None
    error: str | None = None  # why the state is unknown


@dataclass
class Listener:
    address: str
    port: int
    pid: int | None  # None: another user's socket and we are not root
    process: str | None
    user: str | None

    def describe(self) -> str:
        if self.pid is None:
            who = f"user {self.user}" if self.user else "another user"
            return f"a process of {who} (run as root to see which)"
        return f"{self.process or '?'} (pid {self.pid}, user {self.user or '?'})"


@dataclass
class HttpProbe:
    url: str
    ok: bool
    status: int | None = None
    version: str | None = None
    latency_ms: float | None = None
    error: str | None = None


@dataclass
class Server:
    """A running Jupyter server: its runtime file joined with its process and sockets."""

    pid: int
    port: int
    url: str = ""
    base_url: str = "/"
    hostname: str = ""
    root_dir: str = ""
    version: str = ""
    secure: bool = False
    token: str = field(default="", repr=False)  # shown only on request
    legacy_password: bool = False
    runtime_file: str | None = None  # None: process found, runtime file not readable or missing
    user: str | None = None
    started_at: float | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    kernels: int = 0
    listening: list[Listener] = field(default_factory=list)
    http: HttpProbe | None = None

    @property
    def token_in_use(self) -> bool:
        return bool(self.token)

    @property
    def url_with_token(self) -> str:
        if not self.token:
            return self.url
        return f"{self.url.rstrip('/')}/lab?token={self.token}"


@dataclass
class Finding:
    code: str
    severity: str  # "error" | "warning"
    message: str
    fix: str
    step: str | None = None  # the wizard step that fixes it: network, password, service, access


@dataclass
class Snapshot:
    taken_at: float
    duration_ms: float
    configured: Configured
    service: ServiceStatus
    servers: list[Server] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return bool(self.servers)

    @property
    def state(self) -> str:
        if not self.running:
            return "down"
        return "degraded" if self.findings else "healthy"

    @property
    def exit_code(self) -> int:
        return {"healthy": EXIT_HEALTHY, "down": EXIT_DOWN}.get(self.state, EXIT_FINDINGS)


# --------------------------------------------------------------------------- configuration

_UNSET: Any = object()


def configured_from(answers: Answers | None) -> tuple[Configured, list[ConfigFile]]:
    """The configuration to compare against, and the Jupyter config files it was read from."""
    from wizard.probe.jupyter_config import scan_config_dirs

    if answers is not None:
        cfg = Configured(
            source="last apply",
            port=answers.network.port,
            ip=answers.network.ip,
            access_method=answers.access.method,
            service_manager=answers.service.manager,
            service_name=answers.service.name,
            service_user=answers.service.user,
        )
        python = answers.jupyter.python
        cfg.config_dir = answers.jupyter.config_dir or _user_config_dir(cfg)
    else:
        cfg, python = Configured(source="defaults"), ""
        cfg.config_dir = _user_config_dir(cfg)
    files = scan_config_dirs(config_path(cfg.config_dir, python))
    if answers is None:
        port = _effective(files, ("port",))
        ip = _effective(files, ("ip",))
        if port is not None and isinstance(port.value, int):
            cfg.port, cfg.source = port.value, "config files"
        if ip is not None and isinstance(ip.value, str):
            cfg.ip, cfg.source = ip.value, "config files"
    return cfg, files


def _user_config_dir(cfg: Configured) -> str:
    """The service user's config dir when root looks at a service, else this user's."""
    if cfg.service_manager != "none" and cfg.service_user and os.geteuid() == 0:
        theirs = user_config_dir(cfg.service_user)
        if theirs is not None:
            return str(theirs)
    return str(config_dir())


# Per dir, the file Jupyter loads last wins: lab over server over jupyter_config, .json over .py.
_FILE_RANK = {
    f"{stem}{ext}": i
    for i, (stem, ext) in enumerate(
        (s, e)
        for s in ("jupyter_lab_config", "jupyter_server_config", "jupyter_config")
        for e in (".json", ".py")
    )
}


def _effective(files: list[ConfigFile], traits: Iterable[str]) -> Setting | None:
    ordered = _ordered_by_dir(files)
    for trait in traits:
        for cls in ("ServerApp", "NotebookApp"):
            for cf in ordered:
                s = cf.get(cls, trait)
                if s is not None and s.literal:
                    return s
    return None


def _ordered_by_dir(files: list[ConfigFile]) -> list[ConfigFile]:
    # scan_config_dirs returns dirs in priority order; sort within each dir only.
    dir_rank: dict[Path, int] = {}
    for cf in files:
        dir_rank.setdefault(cf.path.parent, len(dir_rank))
    return sorted(
        (cf for cf in files if cf.path.name in _FILE_RANK),
        key=lambda cf: (dir_rank[cf.path.parent], _FILE_RANK[cf.path.name]),
    )


def legacy_password_settings(files: list[ConfigFile]) -> list[tuple[ConfigFile, Setting]]:
    """Legacy password keys Jupyter Server honours (they beat PasswordIdentityProvider)."""
    found = []
    for cf in _ordered_by_dir(files):
        for cls in ("ServerApp", "NotebookApp"):
            s = cf.get(cls, "password")
            if s is not None and (not s.literal or s.value):
                found.append((cf, s))
    return found


# --------------------------------------------------------------------------- service


def service_status(cfg: Configured, answers: Answers | None) -> ServiceStatus:
    if answers is None or cfg.service_manager == "none":
        return ServiceStatus(manager=cfg.service_manager, name=cfg.service_name)
    from wizard.plan.service import managers as services

    try:
        st = services.controller(answers.service, config_dir=cfg.config_dir).state()
    except Exception as exc:  # a broken manager must not break status
        return ServiceStatus(cfg.service_manager, cfg.service_name, error=f"unknown: {exc}")
    return ServiceStatus(
        manager=str(getattr(st, "manager", cfg.service_manager)),
        name=str(getattr(st, "name", cfg.service_name)),
        installed=_opt(bool, getattr(st, "installed", None)),
        active_state=_opt(str, getattr(st, "active_state", None)),
        sub_state=_opt(str, getattr(st, "sub_state", None)),
        main_pid=_opt(int, getattr(st, "main_pid", None)) or None,
        since=_opt(float, getattr(st, "since", None)) or None,
        n_restarts=_opt(int, getattr(st, "n_restarts", None)),
        exit_status=_opt(int, getattr(st, "exit_status", None)),
        enabled=_opt(bool, getattr(st, "enabled", None)),
    )


def _opt(kind: Callable[[Any], Any], value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- sampling


class Sampler:
    """State kept between snapshots (CPU % needs two readings). One per live screen."""

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self._cpu_read: set[int] = set()

    def process(self, pid: int) -> psutil.Process:
        p = self._procs.get(pid)
        if p is None:
            p = self._procs[pid] = psutil.Process(pid)
        return p

    def cpu_percent(self, pid: int, started_at: float) -> float:
        """Since the previous snapshot; on the first look, the average over the process's life."""
        proc = self.process(pid)
        recent = proc.cpu_percent(None)
        if pid in self._cpu_read:
            return recent
        self._cpu_read.add(pid)
        t = proc.cpu_times()
        life = max(time.time() - started_at, 1e-3)
        return round(100 * (t.user + t.system) / life, 1)

    def forget_except(self, pids: set[int]) -> None:
        for pid in list(self._procs):
            if pid not in pids:
                del self._procs[pid]
        self._cpu_read &= pids


def _is_server_name(name: str) -> bool:
    # jupyter-lab, jupyter-server, jupyter-notebook (comm is cut at 15 chars); not ourselves.
    return name.startswith("jupyter-") and not name.startswith("jupyter-setup")


# --------------------------------------------------------------------------- snapshot


def take_snapshot(
    answers: Answers | None = _UNSET,
    *,
    runtime_dirs: Iterable[str | Path] = (),
    http: bool = True,
    http_timeout: float = 1.0,
    sampler: Sampler | None = None,
) -> Snapshot:
    """Everything status shows, in one call. `answers` defaults to the last apply's."""
    t0 = time.perf_counter()
    if answers is _UNSET:
        answers = _load_current_cached()
    cfg, files = configured_from(answers)
    service = service_status(cfg, answers)
    snap = Snapshot(time.time(), 0.0, cfg, service)
    sampler = sampler or Sampler()

    procs = netstat.Procs()
    # "Mine": the service's process, Jupyter processes of the service user, the runtime files of
    # this user (like `jupyter server list`) and whatever Jupyter listens on the configured port.
    # Other users' personal servers on a shared machine are not this setup's business.
    candidates: set[int] = set()
    if service.main_pid and service.main_pid in procs:
        candidates.add(service.main_pid)
    service_uid = _uid_of(cfg.service_user) if cfg.service_manager != "none" else None
    if service_uid is not None:
        candidates |= {
            pid
            for p in netstat.process_table()
            if _is_server_name(p.name) and netstat.pid_uid(pid := p.pid) == service_uid
        }

    dirs = [runtime_dir(), *(Path(d) for d in runtime_dirs)]
    if cfg.service_manager != "none" and (d := user_runtime_dir(cfg.service_user or "-")):
        dirs.append(d)
    hidden: set[int] = set()  # server processes whose environment (runtime dir) we cannot read
    dirs += _process_dirs(candidates, hidden)
    scan = scan_runtime_dirs(dirs)
    live = _live_files(scan.files, procs, sampler, snap.notes)

    # Sockets: by inode for every known server, by port for the configured and runtime ports.
    owner: dict[int, int] = {}
    for pid in candidates | set(live):
        for inode in netstat.socket_inodes(pid) or ():
            owner[inode] = pid
    ports = {cfg.port, *(rf.port for rf in live.values() if rf.port)}
    # Servers with a runtime file are found by port (the kernel filters); others by inode.
    by_inode = {inode for inode, pid in owner.items() if pid not in live}
    sockets = [
        netstat.Socket(s.address, s.port, s.inode, s.uid, owner.get(s.inode, s.pid))
        for s in netstat.listening(ports, by_inode)
    ]
    if any(s.pid is None and s.port == cfg.port for s in sockets):
        sockets = netstat.owners(sockets, (), search_all=True)
        # A Jupyter found on the configured port: read its runtime dir too.
        found = {
            s.pid
            for s in sockets
            if s.port == cfg.port
            and s.pid is not None
            and s.pid not in candidates | set(live)
            and s.pid in procs
            and _is_server_name(procs[s.pid].name)
        }
        if found:
            candidates |= found
            more = scan_runtime_dirs(_process_dirs(found, hidden))
            scan.unreadable += more.unreadable
            live.update(_live_files(more.files, procs, sampler, snap.notes))
            for pid in found:  # its other ports (e.g. after a port drift)
                mine = netstat.socket_inodes(pid) or set()
                sockets += [
                    netstat.Socket(s.address, s.port, s.inode, s.uid, pid)
                    for s in netstat.listening((), mine)
                    if s.port != cfg.port
                ]

    listeners = [_listener(s, procs) for s in sockets]
    snap.listeners = sorted(listeners, key=lambda x: (x.port, x.address))

    server_pids = set(live) | {pid for pid in candidates if any(s.pid == pid for s in sockets)}
    for pid in sorted(server_pids):
        server = _server(pid, live.get(pid), procs, sampler)
        server.listening = [x for x in snap.listeners if x.pid == pid]
        if http:
            server.http = probe_http(server, timeout=http_timeout)
        snap.servers.append(server)
    sampler.forget_except(server_pids)

    snap.findings = _findings(snap, files, scan.unreadable, hidden - set(live), procs)
    snap.duration_ms = (time.perf_counter() - t0) * 1000
    return snap


_current_cache: list[Any] = [None, None]  # [(path, mtime_ns, size), answers]


def _load_current_cached() -> Answers | None:
    """The last apply's answers, parsed again only when the file changes (status runs each second)."""
    from wizard.core.record import current_answers_path, load_current

    path = current_answers_path()
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if _current_cache[0] != key:
        _current_cache[:] = [key, load_current()]
    answers: Answers | None = _current_cache[1]
    return answers


def _uid_of(user: str) -> int | None:
    if not user:
        return None
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _process_dirs(pids: Iterable[int], hidden: set[int]) -> list[Path]:
    out = []
    for pid in sorted(pids):
        d = process_runtime_dir(pid)
        if d is None:
            hidden.add(pid)
        else:
            out.append(d)
    return out


def _live_files(
    files: list[RuntimeFile], procs: netstat.Procs, sampler: Sampler, notes: list[str]
) -> dict[int, RuntimeFile]:
    live: dict[int, RuntimeFile] = {}
    for rf in files:
        if rf.pid in procs and _started_before(rf, sampler):
            live.setdefault(rf.pid, rf)
        elif rf.pid not in procs:
            notes.append(f"stale runtime file {rf.path} (process {rf.pid} is gone)")
    return live


def _started_before(rf: RuntimeFile, sampler: Sampler) -> bool:
    """Guard against a recycled pid: the process must be older than its runtime file."""
    try:
        return sampler.process(rf.pid).create_time() <= rf.mtime + 1
    except psutil.Error:
        return False


def _listener(s: netstat.Socket, procs: netstat.Procs) -> Listener:
    uid = s.uid if s.pid is None else (netstat.pid_uid(s.pid) if s.uid is None else s.uid)
    proc = procs.get(s.pid) if s.pid is not None else None
    name = proc.name if proc else None
    return Listener(s.address, s.port, s.pid, name, netstat.user_name(uid))


def _server(pid: int, rf: RuntimeFile | None, procs: netstat.Procs, sampler: Sampler) -> Server:
    if rf is not None:
        server = Server(
            pid=pid,
            port=rf.port,
            url=rf.url,
            base_url=rf.base_url,
            hostname=rf.hostname,
            root_dir=rf.root_dir,
            version=rf.version,
            secure=rf.secure,
            token=rf.token,
            legacy_password=rf.password,
            runtime_file=rf.path,
        )
    else:
        server = Server(pid=pid, port=0)
    try:
        proc = sampler.process(pid)
        with proc.oneshot():
            server.user = proc.username()
            server.started_at = proc.create_time()
            server.rss_bytes = proc.memory_info().rss
            server.cpu_percent = sampler.cpu_percent(pid, server.started_at)
        server.uptime_s = round(time.time() - server.started_at, 1)
    except (psutil.Error, KeyError):
        pass
    # Kernels are children started with "-f .../kernel-<id>.json" (terminals are not).
    server.kernels = sum(
        1
        for child in procs.children(pid)
        if any(a.startswith("kernel-") or "/kernel-" in a for a in netstat.cmdline(child))
    )
    return server


# --------------------------------------------------------------------------- HTTP


def probe_http(server: Server, *, timeout: float = 1.0) -> HttpProbe | None:
    """GET <base_url>api on the server itself, over its scheme; never raises."""
    if not server.port and not server.listening:
        return None
    host = _probe_host(server)
    port = server.port or server.listening[0].port
    scheme = "https" if server.secure else "http"
    path = f"{(server.base_url or '/').rstrip('/')}/api"
    shown = f"[{host}]" if ":" in host else host
    result = HttpProbe(url=f"{scheme}://{shown}:{port}{path}", ok=False)
    t0 = time.perf_counter()
    try:
        status, reason, body = http_get(host, port, path, secure=server.secure, timeout=timeout)
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        result.status = status
        if status == 200:
            try:
                result.version = str(json.loads(body).get("version"))
                result.ok = True
            except (ValueError, AttributeError):
                result.error = "answered 200 but not with Jupyter's /api JSON"
        else:
            result.error = f"HTTP {status} {reason}".rstrip()
    except (OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return result


def http_get(
    host: str, port: int, path: str, *, secure: bool = False, timeout: float = 1.0
) -> tuple[int, str, bytes]:
    """One small HTTP/1.1 GET: (status, reason, body).

    http.client would cost ~25 ms of imports (email, ssl) in every `status --json`; this needs
    only socket, and ssl just for HTTPS. ValueError when the answer is not HTTP.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if secure:
            import ssl

            ctx = ssl.create_default_context()
            # Probing ourselves: a self-signed or other-named certificate must not hide the answer.
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        shown = f"[{host}]" if ":" in host else host
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {shown}:{port}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        raw = b""
        want: int | None = None
        while len(raw) < _MAX_ANSWER:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(left)
            data = sock.recv(65536)
            if not data:
                break
            raw += data
            if want is None and b"\r\n\r\n" in raw:
                want = _expected_length(raw)
            if want is not None and len(raw) >= want:
                break
    finally:
        sock.close()
    head, sep, body = raw.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if not sep or len(first) < 2 or not first[0].startswith("HTTP/") or not first[1].isdigit():
        raise ValueError("not an HTTP answer")
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return int(first[1]), first[2] if len(first) > 2 else "", body


_MAX_ANSWER = 256 * 1024


def _expected_length(raw: bytes) -> int | None:
    """Header + Content-Length bytes, when the answer says how long it is."""
    head, _, _ = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(head) + 4 + int(value.strip())
    return None


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def _probe_host(server: Server) -> str:
    addrs = [x.address for x in server.listening]
    for a in addrs:
        if a.startswith("127.") or a == "::1":
            return a
    if "0.0.0.0" in addrs:
        return "127.0.0.1"
    if "::" in addrs:
        return "::1"
    return addrs[0] if addrs else "127.0.0.1"


# --------------------------------------------------------------------------- findings


def _is_loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr in ("::1", "localhost")


def _findings(
    snap: Snapshot,
    files: list[ConfigFile],
    unreadable: list[tuple[str, str]],
    hidden_pids: set[int],
    procs: netstat.Procs,
) -> list[Finding]:
    cfg, out = snap.configured, []
    port = cfg.port
    server_pids = {s.pid for s in snap.servers}
    on_port = [s for s in snap.servers if any(x.port == port for x in s.listening)]
    others = [
        x
        for x in snap.listeners
        if x.port == port
        and x.pid not in server_pids
        and not (x.pid in hidden_pids or _is_server_name(x.process or ""))
    ]
    for x in others:
        out.append(
            Finding(
                "port_taken",
                "error",
                f"port {port} is held by {x.describe()}, not by JupyterLab",
                "stop that program, or choose another port in the Network step",
                "network",
            )
        )
    # With nothing configured, "port 8888" is only Jupyter's default: no promise to compare with.
    if snap.servers and not on_port and cfg.source != "defaults":
        for s in snap.servers:
            ports = sorted({x.port for x in s.listening} or {s.port})
            out.append(
                Finding(
                    "port_mismatch",
                    "error",
                    f"JupyterLab (pid {s.pid}) listens on port {', '.join(map(str, ports))}, "
                    f"but the configuration ({cfg.source}) says {port}",
                    "restart JupyterLab so it reads its configuration (with port_retries = 0 a busy "
                    "port fails loudly instead of moving), or set the port in the Network step",
                    "network",
                )
            )
    svc = snap.service
    if svc.active_state == "active" and not on_port:
        out.append(
            Finding(
                "service_not_listening",
                "error",
                f"the service {svc.name} is active but nothing of it listens on port {port}",
                "show the journal for the reason (it may still be starting), then restart the service",
                "service",
            )
        )
    elif svc.active_state == "failed":
        code = f" (exit status {svc.exit_status})" if svc.exit_status is not None else ""
        out.append(
            Finding(
                "service_failed",
                "error",
                f"the service {svc.name} has failed{code}",
                "show the journal for the reason, fix it, then restart the service",
                "service",
            )
        )
    method = cfg.access_method
    for s in on_port or snap.servers:
        addrs = sorted({x.address for x in s.listening if x.port == (port if on_port else x.port)})
        if not addrs:
            continue
        if method in LAN_METHODS and all(_is_loopback(a) for a in addrs):
            out.append(
                Finding(
                    "bind_loopback_only",
                    "error",
                    f"JupyterLab listens on {', '.join(addrs)} only, but the access method "
                    f"{method} reaches it over the LAN",
                    "bind an address of this machine (or all addresses) in the Network step",
                    "network",
                )
            )
        elif method in LOOPBACK_METHODS and not all(_is_loopback(a) for a in addrs):
            out.append(
                Finding(
                    "bind_exposed",
                    "warning",
                    f"JupyterLab listens on {', '.join(a or '*' for a in addrs)}, reachable from the "
                    f"network, but the access method {method} needs loopback (127.0.0.1) only",
                    "bind 127.0.0.1 in the Network step",
                    "network",
                )
            )
    legacy = legacy_password_settings(files)
    for cf, setting in legacy:
        where = f"{cf.path}" + (f" line {setting.lines[0]}" if setting.lines else "")
        out.append(
            Finding(
                "legacy_password",
                "warning",
                f"{where} sets {setting.name}, a legacy key that overrides "
                "PasswordIdentityProvider.hashed_password",
                "set the password again in the Password step: it moves the hash to the modern key "
                "and disables the legacy one",
                "password",
            )
        )
    if not legacy:
        for s in snap.servers:
            if s.legacy_password:
                out.append(
                    Finding(
                        "legacy_password",
                        "warning",
                        f"JupyterLab (pid {s.pid}) uses a password from the legacy ServerApp.password "
                        "key, which overrides PasswordIdentityProvider.hashed_password",
                        "set the password again in the Password step",
                        "password",
                    )
                )
    me = netstat.user_name(os.geteuid())
    for path, reason in dict.fromkeys(unreadable):  # one dir may be reached twice
        out.append(
            Finding(
                "runtime_unreadable",
                "warning",
                f"{path}: not readable by {me} ({reason}); the servers it describes "
                "(URL, token, version) cannot be shown",
                "run status as root (sudo jupyter-setup-wizard status) or as that user",
            )
        )
    for pid in sorted(hidden_pids):
        if pid in server_pids or pid not in procs:
            continue
        owner = netstat.user_name(netstat.pid_uid(pid))
        out.append(
            Finding(
                "runtime_unreadable",
                "warning",
                f"{procs[pid].name} (pid {pid}, user {owner}) runs, but its runtime files are not "
                f"readable by {me}: its URL, port and token are unknown here",
                "run status as root (sudo jupyter-setup-wizard status) or as that user",
            )
        )
    for s in snap.servers:
        if s.http is not None and not s.http.ok:
            hint = (
                " (a non-local Host header is refused unless allow_remote_access is on)"
                if s.http.status == 403
                else ""
            )
            out.append(
                Finding(
                    "http_failed",
                    "error",
                    f"JupyterLab (pid {s.pid}) does not answer {s.http.url}: {s.http.error}{hint}",
                    "show the journal or the server's log for the reason, then restart it",
                    "service" if snap.service.manager != "none" else None,
                )
            )
    return out


# --------------------------------------------------------------------------- output


def to_json(snap: Snapshot, *, show_token: bool = False) -> dict[str, Any]:
    """The documented, stable JSON form (see wizard.status_schema.SCHEMA)."""
    servers = []
    for s in snap.servers:
        d = dataclasses.asdict(s)
        d.pop("token")
        d["token_in_use"] = s.token_in_use
        d["token"] = s.token if show_token and s.token else None
        d["url_with_token"] = s.url_with_token if show_token and s.token else None
        servers.append(d)
    return {
        "schema_version": SCHEMA_VERSION,
        "taken_at": round(snap.taken_at, 3),
        "duration_ms": round(snap.duration_ms, 1),
        "state": snap.state,
        "running": snap.running,
        "exit_code": snap.exit_code,
        "configured": dataclasses.asdict(snap.configured),
        "service": dataclasses.asdict(snap.service),
        "servers": servers,
        "listeners": [dataclasses.asdict(x) for x in snap.listeners],
        "findings": [dataclasses.asdict(f) for f in snap.findings],
        "notes": list(snap.notes),
    }


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 2**20:.0f} MiB"


def service_line(svc: ServiceStatus) -> str:
    if svc.manager == "none":
        return "none configured (JupyterLab is started by hand)"
    if svc.error:
        return f"{svc.manager} {svc.name}: {svc.error}"
    if svc.installed is False:
        return f"{svc.manager} {svc.name}: not installed"
    parts = [f"{svc.manager} {svc.name}: {svc.active_state or '?'} ({svc.sub_state or '?'})"]
    if svc.since:
        parts.append("since " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(svc.since)))
    if svc.main_pid:
        parts.append(f"pid {svc.main_pid}")
    if svc.enabled is not None:
        parts.append("enabled" if svc.enabled else "not enabled at boot")
    if svc.n_restarts:
        parts.append(f"{svc.n_restarts} restart(s)")
    if svc.exit_status:
        parts.append(f"last exit status {svc.exit_status}")
    return ", ".join(parts)


def server_lines(s: Server, *, show_token: bool = False) -> list[str]:
    head = f"pid {s.pid}"
    if s.user:
        head += f" ({s.user})"
    head += f"  {s.url or '(no runtime file)'}"
    if s.version:
        head += f"  server {s.version}"
    lines = [head]
    lines.append(
        f"  up {fmt_duration(s.uptime_s)}  cpu {s.cpu_percent if s.cpu_percent is not None else '?'}%"
        f"  rss {fmt_bytes(s.rss_bytes)}  kernels {s.kernels}"
        + (f"  root {s.root_dir}" if s.root_dir else "")
    )
    if s.listening:
        lines.append("  listening " + ", ".join(_addr(x) for x in s.listening))
    if s.http is not None:
        if s.http.ok:
            lines.append(f"  HTTP ok: {s.http.url} in {s.http.latency_ms} ms")
        else:
            lines.append(f"  HTTP failed: {s.http.url}: {s.http.error}")
    if s.token:
        lines.append(
            f"  open: {s.url_with_token}"
            if show_token
            else "  token auth in use (show the URL with its token: --show-token)"
        )
    return lines


def _addr(x: Listener) -> str:
    host = f"[{x.address}]" if ":" in x.address else x.address
    return f"{host}:{x.port}"


def render_text(snap: Snapshot, *, show_token: bool = False) -> str:
    head = {
        "healthy": "JupyterLab is running and healthy",
        "down": "JupyterLab is NOT running",
        "degraded": f"JupyterLab is running, with {len(snap.findings)} finding(s)",
    }[snap.state]
    cfg = snap.configured
    lines = [
        head,
        "",
        f"Configured ({cfg.source}): port {cfg.port}, ip {cfg.ip or 'all'}"
        + (f", access {cfg.access_method}" if cfg.access_method else ""),
        f"Service: {service_line(snap.service)}",
        "",
        f"Servers ({len(snap.servers)}):" if snap.servers else "Servers: none running",
    ]
    for s in snap.servers:
        lines += ["  " + line for line in server_lines(s, show_token=show_token)]
    lines.append("")
    lines.append(f"Listening on port {cfg.port} and the servers' ports:")
    if not snap.listeners:
        lines.append("  nothing")
    for x in snap.listeners:
        lines.append(f"  {_addr(x):<24} {x.describe()}")
    if snap.findings:
        lines += ["", "Findings:"]
        for f in snap.findings:
            mark = "✗" if f.severity == "error" else "!"
            lines.append(f"  {mark} {f.message}")
            lines.append(f"    fix: {f.fix}" + (f" [step: {f.step}]" if f.step else ""))
    for n in snap.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
