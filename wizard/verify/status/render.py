"""Turn a snapshot into what people and programs read: the JSON form and the text of `--once`.

`to_json()` gives the documented, stable form (schema.py: its SCHEMA_VERSION, and its keys for
the service object), with the token only on request;
`render_text()` the plain-text report; the fmt_* helpers and `service_line()` are shared with the
live screen (screens/status.py) so both say things the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wizard.core.i18n import N_, _, ngettext, pad
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
        return _("none configured (JupyterLab is started by hand)")
    if svc.state is None:
        return f"{svc.manager} {svc.name}: {svc.error or _('unknown')}"
    from wizard.plan.service.base import describe  # here: `status --json` never needs it

    return describe(svc.state, status_line=True)


def certificate_line(cert: ServedCertificate) -> str:
    """The served certificate in one line (shared with the screen)."""
    if cert.error is not None:
        return _("cannot read it: {error}").format(error=cert.error)
    return cert.describe()


def _service_json(svc: ServiceStatus) -> dict[str, Any]:
    """The schema's service object: the state's fields (null while unknown), and the error."""
    known: dict[str, Any] = {"manager": svc.manager, "name": svc.name, "error": svc.error}
    if svc.state is not None:
        known.update(dataclasses.asdict(svc.state))
    return {key: known.get(key) for key in _SERVICE_KEYS}


_SERVICE_KEYS = tuple(SCHEMA["properties"]["service"]["properties"])
# configured.source, English in the JSON, shown translated in the text
SOURCES = (N_("last apply"), N_("config files"), N_("defaults"))


def server_lines(s: Server, *, show_token: bool = False) -> list[str]:
    head = f"pid {s.pid}"
    if s.user:
        head += f" ({s.user})"
    head += f"  {s.url or _('(no runtime file)')}"
    if s.version:
        head += _("  server {version}").format(version=s.version)
    lines = [head]
    cpu = s.cpu_percent if s.cpu_percent is not None else "?"
    lines.append(
        _("  up {uptime}  cpu {cpu}%  rss {rss}  kernels {kernels}").format(
            uptime=fmt_duration(s.uptime_s), cpu=cpu, rss=fmt_bytes(s.rss_bytes), kernels=s.kernels
        )
        + (_("  root {path}").format(path=s.root_dir) if s.root_dir else "")
    )
    for python in s.kernel_pythons:
        lines.append(_("  kernel running {python}").format(python=python))
    if s.listening:
        lines.append(_("  listening ") + ", ".join(_addr(x) for x in s.listening))
    if s.http is not None:
        if s.http.ok:
            lines.append(
                _("  HTTP ok: {url} in {ms} ms").format(url=s.http.url, ms=s.http.latency_ms)
            )
        else:
            lines.append(
                _("  HTTP failed: {url}: {error}").format(url=s.http.url, error=s.http.error)
            )
    if s.token:
        lines.append(
            _("  open: {url}").format(url=s.url_with_token)
            if show_token
            else _("  token auth in use (show the URL with its token: --show-token)")
        )
    return lines


def _addr(x: Listener) -> str:
    host = f"[{x.address}]" if ":" in x.address else x.address
    return f"{host}:{x.port}"


def render_text(snap: Snapshot, *, show_token: bool = False) -> str:
    n = len(snap.findings)
    head = {
        "healthy": _("JupyterLab is running and healthy"),
        "down": _("JupyterLab is NOT running"),
        "degraded": ngettext(
            "JupyterLab is running, with {count} finding(s)",
            "JupyterLab is running, with {count} finding(s)",
            n,
        ).format(count=n),
    }[snap.state]
    cfg = snap.configured
    lines = [
        head,
        "",
        _("Configured ({source}): port {port}, ip {ip}").format(
            source=_(cfg.source), port=cfg.port, ip=cfg.ip or "all"
        )
        + (_(", access {method}").format(method=cfg.access_method) if cfg.access_method else ""),
        _("Service: {service}").format(service=service_line(snap.service)),
        "",
        _("Servers ({count}):").format(count=len(snap.servers))
        if snap.servers
        else _("Servers: none running"),
    ]
    for s in snap.servers:
        lines += ["  " + line for line in server_lines(s, show_token=show_token)]
    lines.append("")
    lines.append(_("Listening on port {port} and the servers' ports:").format(port=cfg.port))
    if not snap.listeners:
        lines.append(_("  nothing"))
    for x in snap.listeners:
        lines.append(f"  {pad(_addr(x), 24)} {x.describe()}")
    if snap.certificate is not None:
        lines += ["", _("Certificate served on {endpoint}:").format(endpoint=snap.certificate.endpoint),
                  f"  {certificate_line(snap.certificate)}"]  # fmt: skip
    if snap.kernels:
        lines += ["", _("Kernels ({count}):").format(count=len(snap.kernels))]
        for k in snap.kernels:
            mark = "✗" if k.broken else " "
            lines.append(f"  {mark} {pad(k.name, 20)} {k.display_name}  ({k.python})")
    if snap.findings:
        lines += ["", _("Findings:")]
        for f in snap.findings:
            mark = "✗" if f.severity == "error" else "!"
            lines.append(f"  {mark} {f.message}")
            lines.append(
                _("    fix: {fix}").format(fix=f.fix)
                + (_(" [step: {step}]").format(step=f.step) if f.step else "")
            )
    for note in snap.notes:
        lines.append(_("note: {note}").format(note=note))
    return "\n".join(lines) + "\n"
