"""What a certificate says: its names, issuer, serial and expiry (read with `openssl x509`), from
a PEM file or as a TLS server serves it."""

from __future__ import annotations

import calendar
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from wizard.core.i18n import _


@dataclass(frozen=True)
class Certificate:
    path: str  # the file it was read from, or host:port for a served one
    names: tuple[str, ...]  # subjectAltName DNS names and addresses
    issuer: str
    serial: str
    not_after: float  # epoch seconds

    def days_left(self, now: float | None = None) -> float:
        return (self.not_after - (time.time() if now is None else now)) / 86400

    def describe(self) -> str:
        until = time.strftime("%Y-%m-%d", time.gmtime(self.not_after))
        return _("{names}, issued by {issuer}, valid until {until} ({days} days left)").format(
            names=", ".join(self.names) or _("(no names)"),
            issuer=self.issuer,
            until=until,
            days=f"{self.days_left():.0f}",
        )


def read_certificate(path: Path) -> Certificate | None:
    """The first certificate in `path` (a fullchain's leaf); None when absent or not one."""
    return _x509(["-in", str(path)], None, str(path))


def parse_certificate(pem: bytes, source: str) -> Certificate | None:
    """The first certificate of PEM text; None when it is not one."""
    return _x509([], pem, source)


def served_certificate(
    host: str, port: int, server_name: str = "", *, timeout: float = 3.0
) -> Certificate | str:
    """The leaf certificate a TLS server on host:port sends (for `server_name` by SNI), not
    verified: what is served, whoever issued it. A string says why there is none."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=server_name or None) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError) as exc:
        return _("no TLS answer on {host}:{port}: {exc}").format(host=host, port=port, exc=exc)
    if not der:
        return _("{host}:{port} sent no certificate").format(host=host, port=port)
    where = f"{host}:{port}"
    cert = _parsed(der, where)
    if cert is None:
        return _("{where} sent a certificate openssl cannot read").format(where=where)
    return cert


_PARSED: dict[bytes, Certificate | None] = {}  # status looks every second: parse a DER once


def _parsed(der: bytes, source: str) -> Certificate | None:
    if der not in _PARSED:
        if len(_PARSED) > 16:
            _PARSED.clear()
        _PARSED[der] = parse_certificate(ssl.DER_cert_to_PEM_cert(der).encode(), source)
    return _PARSED[der]


def _x509(source_args: list[str], stdin: bytes | None, source: str) -> Certificate | None:
    argv = ["openssl", "x509", *source_args, "-noout", "-enddate", "-serial",
            "-issuer", "-nameopt", "oneline", "-ext", "subjectAltName"]  # fmt: skip
    try:
        if stdin is None:
            r = subprocess.run(argv, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
        else:
            r = subprocess.run(argv, capture_output=True, timeout=10, input=stdin)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    fields: dict[str, str] = {}
    names: list[str] = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        key, eq, value = line.partition("=")
        if eq and key in ("notAfter", "serial", "issuer"):
            fields[key] = value.strip()
        elif "DNS:" in line or "IP Address:" in line:
            for part in line.split(","):
                names.append(part.strip().split(":", 1)[-1])
    try:
        not_after = calendar.timegm(time.strptime(fields["notAfter"], "%b %d %H:%M:%S %Y %Z"))
    except (KeyError, ValueError):
        return None
    return Certificate(source, tuple(names), fields.get("issuer", "?"),
                       fields.get("serial", "?"), float(not_after))  # fmt: skip
