"""Judge a snapshot: every disagreement between what runs and what is configured, with its fix.

`findings_of()` reads a filled Snapshot (plus what collecting it could not read) and says, per
problem, what is wrong, how to fix it and which wizard step does: a port held by another program,
a server off its port, a service that failed or does not listen, an address that does not suit
the access method, a legacy password key, runtime files we cannot read, a failed HTTP probe.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from wizard.core.i18n import _, ngettext
from wizard.probe import sockets as netstat
from wizard.verify.status.configured import legacy_password_settings
from wizard.verify.status.model import Finding, ServedCertificate, Snapshot, is_server_name

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.jupyter_config import ConfigFile

# Access methods that reach Jupyter over the LAN, and those that need loopback only.
LAN_METHODS = ("direct", "router-tunnel")
LOOPBACK_METHODS = ("ssh-tunnel", "reverse-proxy")


def _is_loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr in ("::1", "localhost")


def _not_running(snap: Snapshot) -> Finding:
    """Nothing runs: how to start it, by the service of record or without one."""
    svc = snap.service
    if svc.manager == "none":
        return Finding(
            "not_running",
            "error",
            _("JupyterLab is not running, and no service manager starts it"),
            _(
                "choose one in the Service step (background needs no root and no systemd), "
                "or start jupyter-lab yourself"
            ),
            "service",
        )
    return Finding(
        "not_running",
        "error",
        _("JupyterLab is not running: the service {name} is stopped").format(
            name=svc.name or svc.manager
        ),
        _("start it: S on the status screen, or run `jupyter-setup-wizard service start`"),
    )


def certificate_findings(cert: ServedCertificate | None, answers: Answers) -> list[Finding]:
    """A served certificate that expires within doctor's warning margin, or has expired."""
    from wizard.plan.access.shared import RENEW_WARN_DAYS, renew_advice, tls_mode

    if cert is None or cert.days_left is None or cert.days_left >= RENEW_WARN_DAYS:
        return []
    names = ", ".join(cert.names) or cert.endpoint
    if cert.days_left <= 0:
        severity, message = (
            "error",
            _("the certificate for {names} has expired").format(names=names),
        )
    else:
        severity, days = "warning", math.ceil(cert.days_left)  # 0.3 days left: "in 1 day"
        message = ngettext(
            "the certificate for {names} expires in {days} day",
            "the certificate for {names} expires in {days} days",
            days,
        ).format(names=names, days=days)
    fix = _("renew it now: {renew}").format(renew=renew_advice(tls_mode(answers)))
    return [Finding("certificate_expiring", severity, message, fix, "access")]


def findings_of(
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
        and not (x.pid in hidden_pids or is_server_name(x.process or ""))
    ]
    for x in others:
        out.append(
            Finding(
                "port_taken",
                "error",
                _("port {port} is held by {holder}, not by JupyterLab").format(
                    port=port, holder=x.describe()
                ),
                _("stop that program, or choose another port in the Network step"),
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
                    _(
                        "JupyterLab (pid {pid}) listens on port {ports}, "
                        "but the configuration ({source}) says {port}"
                    ).format(
                        pid=s.pid, ports=", ".join(map(str, ports)), source=_(cfg.source), port=port
                    ),
                    _(
                        "restart JupyterLab so it reads its configuration (with port_retries = 0 a busy "
                        "port fails loudly instead of moving), or set the port in the Network step"
                    ),
                    "network",
                )
            )
    svc = snap.service.state
    if svc is not None and svc.active_state == "active" and not on_port:
        out.append(
            Finding(
                "service_not_listening",
                "error",
                _("the service {name} is active but nothing of it listens on port {port}").format(
                    name=svc.name, port=port
                ),
                _(
                    "show the journal for the reason (it may still be starting), then restart the service"
                ),
                "service",
            )
        )
    elif svc is not None and svc.active_state == "failed":
        code = (
            _(" (exit status {status})").format(status=svc.exit_status)
            if svc.exit_status is not None
            else ""
        )
        out.append(
            Finding(
                "service_failed",
                "error",
                _("the service {name} has failed{code}").format(name=svc.name, code=code),
                _("show the journal for the reason, fix it, then restart the service"),
                "service",
            )
        )
    elif not snap.servers and not hidden_pids:  # hidden: running, as another user
        out.append(_not_running(snap))
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
                    _(
                        "JupyterLab listens on {addresses} only, but the access method "
                        "{method} reaches it over the LAN"
                    ).format(addresses=", ".join(addrs), method=method),
                    _("bind an address of this machine (or all addresses) in the Network step"),
                    "network",
                )
            )
        elif method in LOOPBACK_METHODS and not all(_is_loopback(a) for a in addrs):
            out.append(
                Finding(
                    "bind_exposed",
                    "warning",
                    _(
                        "JupyterLab listens on {addresses}, reachable from the "
                        "network, but the access method {method} needs loopback (127.0.0.1) only"
                    ).format(addresses=", ".join(a or "*" for a in addrs), method=method),
                    _("bind 127.0.0.1 in the Network step"),
                    "network",
                )
            )
    legacy = legacy_password_settings(files)
    for cf, setting in legacy:
        where = f"{cf.path}" + (
            _(" line {line}").format(line=setting.lines[0]) if setting.lines else ""
        )
        out.append(
            Finding(
                "legacy_password",
                "warning",
                _(
                    "{where} sets {setting}, a legacy key that overrides "
                    "PasswordIdentityProvider.hashed_password"
                ).format(where=where, setting=setting.name),
                _(
                    "set the password again in the Password step: it moves the hash to the modern key "
                    "and disables the legacy one"
                ),
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
                        _(
                            "JupyterLab (pid {pid}) uses a password from the legacy ServerApp.password "
                            "key, which overrides PasswordIdentityProvider.hashed_password"
                        ).format(pid=s.pid),
                        _("set the password again in the Password step"),
                        "password",
                    )
                )
    me = netstat.user_name(os.geteuid())
    for path, reason in dict.fromkeys(unreadable):  # one dir may be reached twice
        out.append(
            Finding(
                "runtime_unreadable",
                "warning",
                _(
                    "{path}: not readable by {user} ({reason}); the servers it describes "
                    "(URL, token, version) cannot be shown"
                ).format(path=path, user=me, reason=reason),
                _("run status as root (sudo jupyter-setup-wizard status) or as that user"),
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
                _(
                    "{process} (pid {pid}, user {owner}) runs, but its runtime files are not "
                    "readable by {user}: its URL, port and token are unknown here"
                ).format(process=procs[pid].name, pid=pid, owner=owner, user=me),
                _("run status as root (sudo jupyter-setup-wizard status) or as that user"),
            )
        )
    for s in snap.servers:
        if s.http is not None and not s.http.ok:
            hint = (
                _(" (a non-local Host header is refused unless allow_remote_access is on)")
                if s.http.status == 403
                else ""
            )
            out.append(
                Finding(
                    "http_failed",
                    "error",
                    _("JupyterLab (pid {pid}) does not answer {url}: {error}{hint}").format(
                        pid=s.pid, url=s.http.url, error=s.http.error, hint=hint
                    ),
                    _("show the journal or the server's log for the reason, then restart it"),
                    "service" if snap.service.manager != "none" else None,
                )
            )
    return out
