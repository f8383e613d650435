"""Turn a snapshot into what people and programs read: the JSON form and the text of `--once`.

`to_json()` gives the documented, stable form (schema.py: its SCHEMA_VERSION, and its keys for
the service object), with the token only on request;
`render_text()` the plain-text report; the fmt_* helpers and `service_line()` are shared with the
live screen (screens/status.py) so both say things the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wizard.probe.sockets import Listener
from wizard.verify.status.model import ServedCertificate, Server, ServiceStatus, Snapshot
from wizard.verify.status.schema import SCHEMA, SCHEMA_VERSION


def to_json(snap: Snapshot, *, show_token: bool = False) -> dict[str, Any]:
    """The documented, stable JSON form (schema.SCHEMA); the token only with show_token."""
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
        "service": _service_json(snap.service),
        "servers": servers,
        "listeners": [dataclasses.asdict(x) for x in snap.listeners],
        "findings": [dataclasses.asdict(f) for f in snap.findings],
        "notes": list(snap.notes),
        "kernels": [dataclasses.asdict(k) for k in snap.kernels],
        "certificate": dataclasses.asdict(snap.certificate) if snap.certificate else None,
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
    """The service in one line (base.describe's status wording, shared with the screen)."""
    if svc.manager == "none":
        return "none configured (JupyterLab is started by hand)"
    if svc.state is None:
        return f"{svc.manager} {svc.name}: {svc.error or 'unknown'}"
    from wizard.plan.service.base import describe  # here: `status --json` never needs it

    return describe(svc.state, status_line=True)


def certificate_line(cert: ServedCertificate) -> str:
    """The served certificate in one line (shared with the screen)."""
    if cert.error is not None:
        return f"cannot read it: {cert.error}"
    return cert.describe()


def _service_json(svc: ServiceStatus) -> dict[str, Any]:
    """The schema's service object: the state's fields (null while unknown), and the error."""
    known: dict[str, Any] = {"manager": svc.manager, "name": svc.name, "error": svc.error}
    if svc.state is not None:
        known.update(dataclasses.asdict(svc.state))
    return {key: known.get(key) for key in _SERVICE_KEYS}


_SERVICE_KEYS = tuple(SCHEMA["properties"]["service"]["properties"])


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
    for python in s.kernel_pythons:
        lines.append(f"  kernel running {python}")
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
    if snap.certificate is not None:
        lines += ["", f"Certificate served on {snap.certificate.endpoint}:",
                  f"  {certificate_line(snap.certificate)}"]  # fmt: skip
    if snap.kernels:
        lines += ["", f"Kernels ({len(snap.kernels)}):"]
        for k in snap.kernels:
            mark = "✗" if k.broken else " "
            lines.append(f"  {mark} {k.name:<20} {k.display_name}  ({k.python})")
    if snap.findings:
        lines += ["", "Findings:"]
        for f in snap.findings:
            mark = "✗" if f.severity == "error" else "!"
            lines.append(f"  {mark} {f.message}")
            lines.append(f"    fix: {f.fix}" + (f" [step: {f.step}]" if f.step else ""))
    for n in snap.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
