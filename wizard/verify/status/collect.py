"""Collect one cheap snapshot of everything that says whether JupyterLab is up, where, and why not.

`take_snapshot()` joins the service state, the runtime files of running servers, their
processes and listening sockets, an HTTP probe of each, and the configuration of the last apply
(or Jupyter's config files), then has findings.py turn every disagreement into a finding.
It imports neither jupyter_server nor jupyter_core and never runs `jupyter`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from wizard.core.i18n import _
from wizard.probe import sockets as netstat
from wizard.probe.jupyter_paths import (
    RuntimeFile,
    process_runtime_dir,
    runtime_dir,
    scan_runtime_dirs,
    user_runtime_dir,
)
from wizard.probe.sockets import Listener
from wizard.verify.status.configured import configured_from
from wizard.verify.status.findings import certificate_findings, findings_of
from wizard.verify.status.kernels import kernels_of
from wizard.verify.status.model import (
    Configured,
    HttpProbe,
    ServedCertificate,
    Server,
    ServiceStatus,
    Snapshot,
    is_server_name,
)

if TYPE_CHECKING:
    from wizard.core.answers import Answers

_UNSET: Any = object()


# --------------------------------------------------------------------------- service


def service_status(cfg: Configured, answers: Answers | None) -> ServiceStatus:
    """The configured service's state, as its manager reports it (never raises)."""
    if answers is None or cfg.service_manager == "none":
        return ServiceStatus(cfg.service_manager, cfg.service_name)
    from wizard.plan.service import managers

    try:
        state = managers.controller(answers.service, config_dir=cfg.config_dir).state()
    except Exception as exc:  # a broken manager must not break status
        return ServiceStatus(
            cfg.service_manager, cfg.service_name, error=_("unknown: {error}").format(error=exc)
        )
    return ServiceStatus.of(state)


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
    main_pid = service.state.main_pid if service.state else None
    if main_pid and main_pid in procs:
        candidates.add(main_pid)
    service_uid = _uid_of(cfg.service_user) if cfg.service_manager != "none" else None
    if service_uid is not None:
        candidates |= {
            pid
            for p in netstat.process_table()
            if is_server_name(p.name) and netstat.pid_uid(pid := p.pid) == service_uid
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
            and is_server_name(procs[s.pid].name)
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

    snap.findings = findings_of(snap, files, scan.unreadable, hidden - set(live), procs)
    snap.kernels, kernel_findings = kernels_of(answers)
    snap.findings += kernel_findings
    if http and answers is not None:
        snap.certificate = served_certificate_of(answers, timeout=http_timeout)
        snap.findings += certificate_findings(snap.certificate, answers)
    snap.duration_ms = (time.perf_counter() - t0) * 1000
    return snap


_current_cache: list[Any] = [None, None]  # [(path, mtime_ns, size) of each record, answers]


def _load_current_cached() -> Answers | None:
    """The last apply's answers, parsed again only when the file changes (status runs each second)."""
    from wizard.core.record import load_current, record_paths

    key: list[object] = []
    for path in record_paths():  # any of them appearing, changing or going means a new look
        try:
            st = path.stat()
        except OSError:
            continue
        key += [str(path), st.st_mtime_ns, st.st_size]
    if not key:
        return None
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
            notes.append(
                _("stale runtime file {path} (process {pid} is gone)").format(
                    path=rf.path, pid=rf.pid
                )
            )
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
    argvs = [netstat.cmdline(child) for child in procs.children(pid)]
    kernels = [a for a in argvs if any(x.startswith("kernel-") or "/kernel-" in x for x in a)]
    server.kernels = len(kernels)
    server.kernel_pythons = [argv[0] for argv in kernels if argv]
    return server


# --------------------------------------------------------------------------- TLS


def served_certificate_of(answers: Answers, *, timeout: float = 1.0) -> ServedCertificate | None:
    """The certificate the configured access method serves (nginx's, or Jupyter's own), as a
    client on this machine gets it; None when the method serves no TLS. Never raises."""
    from wizard.plan import access
    from wizard.probe.certificate import served_certificate
    from wizard.probe.http import url_host

    try:
        endpoint = access.chosen(answers).tls_endpoint(answers)
    except Exception:  # an unknown method: status says so elsewhere
        return None
    if endpoint is None:
        return None
    host, port, name = endpoint
    out = ServedCertificate(f"{url_host(host)}:{port}", name)
    cert = served_certificate(host, port, name, timeout=timeout)
    if isinstance(cert, str):
        out.error = cert
        return out
    out.names, out.issuer, out.serial = list(cert.names), cert.issuer, cert.serial
    out.not_after, out.days_left = cert.not_after, round(cert.days_left(), 1)
    return out


# --------------------------------------------------------------------------- HTTP


def probe_http(server: Server, *, timeout: float = 1.0) -> HttpProbe | None:
    """GET <base_url>api on the server itself, over its scheme; never raises."""
    if not server.port and not server.listening:
        return None
    # Here, not at the top: http.client costs ~15 ms of imports, which `status --json` with
    # nothing running never needs.
    from wizard.probe.http import NotHttpError, request, url_host

    host = _probe_host(server)
    port = server.port or server.listening[0].port
    scheme = "https" if server.secure else "http"
    path = f"{(server.base_url or '/').rstrip('/')}/api"
    result = HttpProbe(url=f"{scheme}://{url_host(host)}:{port}{path}", ok=False)
    t0 = time.perf_counter()
    try:
        answer = request(
            scheme,
            host,
            port,
            path,
            headers={"Accept": "application/json", "Connection": "close"},
            timeout=timeout,
            max_body=_MAX_ANSWER,
        )
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        result.status = answer.status
        if answer.status == 200:
            try:
                result.version = str(json.loads(answer.body).get("version"))
                result.ok = True
            except (ValueError, AttributeError):
                result.error = _("answered 200 but not with Jupyter's /api JSON")
        else:
            result.error = f"HTTP {answer.status} {answer.reason}".rstrip()
    except NotHttpError:
        result.error = _("not an HTTP answer")
    except (OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return result


_MAX_ANSWER = 256 * 1024  # Jupyter's /api answer is tiny; anything longer is not it


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
