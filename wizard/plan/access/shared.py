"""What more than one access method needs: what an address is, and the TLS choices.

TLS is Jupyter's own for `direct` and nginx's for `reverse-proxy`: the same answers fields
(certfile, keyfile, self_signed), the pair in a different place.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.plan.plan import Plan
from wizard.probe.facts import Facts

if TYPE_CHECKING:
    from wizard.plan.access.base import CheckContext, CheckResult, DoctorCheck

# RFC 1918, carrier-grade NAT (shared, e.g. Tailscale) and IPv6 unique-local. Not Python's
# is_private, which also counts documentation and reserved ranges.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


# --------------------------------------------------------------------------- what an address is


def classify(address: str) -> tuple[str, str]:
    """(kind, the one-line truth) for an address: loopback / private LAN / public / link-local / IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "name", _("a DNS name: reachable wherever it resolves and the server answers")
    if ip.is_loopback:
        return (
            "loopback",
            _("only programs on this server itself; from your computer use an SSH tunnel"),
        )
    if ip.is_link_local:
        return (
            "link-local",
            _(
                "only from a computer on the same network segment, and it can change; not for bookmarks"
            ),
        )
    if any(ip.version == n.version and ip in n for n in _PRIVATE):
        return (
            "private LAN",
            _("reachable from the same local network (or a VPN into it), not from the internet"),
        )
    if ip.version == 6:
        return (
            "IPv6",
            _(
                "a global IPv6 address: reachable from any IPv6 client on the internet unless a firewall blocks it"
            ),
        )
    return (
        "public",
        _(
            "reachable from the whole internet unless a firewall blocks it: anyone can try the password"
        ),
    )


def url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def osc52(text: str) -> str:
    """The terminal escape that copies `text` into the clipboard of the person's terminal, over SSH."""
    return f"\033]52;c;{base64.b64encode(text.encode()).decode()}\a"


# --------------------------------------------------------------------------- TLS choices


TLS_MODES = ("self-signed", "files", "acme")


def tls_mode(answers: Answers) -> str:
    """none | self-signed | files | acme: `tls` when set, else what certfile/self_signed say."""
    a = answers.access
    if a.tls:
        return a.tls
    if a.self_signed:
        return "self-signed"
    return "files" if a.certfile else "none"


def uses_tls(answers: Answers) -> bool:
    return tls_mode(answers) != "none"


def tls_pair(answers: Answers, facts: Facts, *, for_jupyter: bool) -> tuple[str, str]:
    """The cert/key paths in use: given ones, the ACME lineage (nginx) or its copy (Jupyter),
    or where a self-signed pair is made."""
    a = answers.access
    mode = tls_mode(answers)
    if mode == "acme":
        from wizard.plan.access.acme import acme_spec

        spec = acme_spec(answers)
        cert, key = spec.jupyter_pair if for_jupyter else (spec.fullchain, spec.privkey)
        return str(cert), str(key)
    if a.certfile or mode != "self-signed":
        return a.certfile, a.keyfile
    # Jupyter (direct) runs as the person: its pair lives in their config dir; nginx's in /etc.
    from wizard.plan.access.tls import DEFAULT_DIR, default_pair

    d = Path(facts.config_dir) / "tls" if for_jupyter else DEFAULT_DIR
    cert, key = default_pair(d)
    return str(cert), str(key)


def validate_tls(
    answers: Answers, facts: Facts, *, required: bool, through_nginx: bool = False
) -> list[Problem]:
    """Problems with the TLS choice; an optional one may be left out (plain HTTP)."""
    from wizard.plan.access import acme
    from wizard.plan.access.tls import validate_pair

    a = answers.access
    if a.tls and a.tls not in TLS_MODES:
        return [
            Problem(
                "access.tls",
                _("must be one of: {items} (or empty)").format(items=", ".join(TLS_MODES)),
            )
        ]
    mode = tls_mode(answers)
    if mode == "acme":
        return acme.validate(answers, facts, through_nginx=through_nginx)
    if mode == "files" and a.self_signed:
        return [Problem("access.self_signed", _('contradicts tls = "files": set one of them'))]
    if not required and mode == "none" and not a.keyfile:
        return []
    return validate_pair(a.certfile, a.keyfile, self_signed=mode == "self-signed", field="access")


def plan_self_signed(
    plan: Plan,
    answers: Answers,
    facts: Facts,
    *,
    for_jupyter: bool,
    names: list[str],
    owner: tuple[int, int] | None,
) -> None:
    """With a self-signed choice, make the pair (a no-op when it exists), for the server name,
    `names` and this host."""
    from wizard.plan.access.tls import MakeSelfSigned

    if tls_mode(answers) != "self-signed":
        return
    cert, key = tls_pair(answers, facts, for_jupyter=for_jupyter)
    all_names = [answers.access.server_name] if answers.access.server_name else []
    all_names += [*names, "localhost", "127.0.0.1", socket.gethostname()]
    plan.actions.append(MakeSelfSigned(Path(cert), Path(key), all_names, owner))
    plan.note(
        "info",
        _(
            "self-signed certificate {cert}: browsers warn once; compare its fingerprint (openssl x509 -in {cert} -noout -fingerprint -sha256)"
        ).format(cert=cert),
    )


# --------------------------------------------------------------------------- doctor

RENEW_WARN_DAYS = 20
RENEWAL_TIMER = "certbot.timer"  # the distribution's: runs `certbot renew` twice a day


def check_certificate(ctx: CheckContext) -> CheckResult:
    """The certificate in use: its names, issuer and days left (< 20: warn); with ACME also
    whether certbot's renewal timer runs."""
    from wizard.plan.access.base import CheckResult, skip
    from wizard.probe.certificate import read_certificate

    name, answers = "certificate", ctx.answers
    mode = tls_mode(answers)
    if mode == "none":
        return skip(name, _("no TLS"))
    cert_path, _key = tls_pair(answers, ctx.facts, for_jupyter=ctx.method.name == "direct")
    cert = read_certificate(Path(cert_path))
    renew = renew_advice(mode)
    if cert is None:
        return CheckResult(name, False,
                           _("{path} is not a readable certificate").format(path=cert_path),
                           _("re-apply the access step; {renew}").format(renew=renew))  # fmt: skip
    if cert.days_left() < RENEW_WARN_DAYS:
        return CheckResult(
            name, False, cert.describe(), _("renew it now: {renew}").format(renew=renew)
        )
    if mode != "acme":
        return CheckResult(name, True, cert.describe())
    if not ctx.facts.systemd_running:
        return CheckResult(name, True, _("{cert}; its renewal timer (certbot.timer): cannot check, no systemd here: have cron run `certbot renew` daily").format(cert=cert.describe()))  # fmt: skip
    if not _timer_active(RENEWAL_TIMER):
        return CheckResult(name, False, _("{cert}; {timer} is not active: nothing renews it").format(cert=cert.describe(), timer=RENEWAL_TIMER), f"sudo systemctl enable --now {RENEWAL_TIMER}")  # fmt: skip
    return CheckResult(
        name, True, _("{cert}; {timer} is active").format(cert=cert.describe(), timer=RENEWAL_TIMER)
    )


def renew_advice(mode: str) -> str:
    """How a certificate of this TLS mode gets renewed (the fix of an expiring one)."""
    return (
        _("certbot renew (its timer does it)") if mode == "acme" else _("re-apply with new files")
    )


def _timer_active(timer: str) -> bool:
    import subprocess

    try:
        r = subprocess.run(["systemctl", "is-active", "--quiet", timer], timeout=10,
                           stdin=subprocess.DEVNULL, capture_output=True)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def certificate_check() -> DoctorCheck:
    """The one `certificate` check of the methods that serve TLS themselves (direct, nginx)."""
    from wizard.plan.access.base import DoctorCheck

    return DoctorCheck(
        "certificate", check_certificate, elsewhere=N_("no TLS of its own in {method}")
    )
