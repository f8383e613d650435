"""What a PEM certificate file says: its names, issuer, serial and expiry (read with `openssl x509`)."""

from __future__ import annotations

import calendar
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificate:
    path: str
    names: tuple[str, ...]  # subjectAltName DNS names and addresses
    issuer: str
    serial: str
    not_after: float  # epoch seconds

    def days_left(self, now: float | None = None) -> float:
        return (self.not_after - (time.time() if now is None else now)) / 86400

    def describe(self) -> str:
        until = time.strftime("%Y-%m-%d", time.gmtime(self.not_after))
        return (
            f"{', '.join(self.names) or '(no names)'}, issued by {self.issuer}, "
            f"valid until {until} ({self.days_left():.0f} days left)"
        )


def read_certificate(path: Path) -> Certificate | None:
    """The first certificate in `path` (a fullchain's leaf); None when absent or not one."""
    try:
        r = subprocess.run(
            ["openssl", "x509", "-in", str(path), "-noout", "-enddate", "-serial",
             "-issuer", "-nameopt", "oneline", "-ext", "subjectAltName"],
            capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    fields: dict[str, str] = {}
    names: list[str] = []
    for line in r.stdout.splitlines():
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
    return Certificate(str(path), tuple(names), fields.get("issuer", "?"),
                       fields.get("serial", "?"), float(not_after))  # fmt: skip
