"""TLS certificates: use an existing pair, or make a self-signed one with the `openssl` CLI."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from wizard.core.errors import Problem
from wizard.core.fileops import make_dirs
from wizard.plan.actions import Action, ApplyContext

DEFAULT_DIR = Path("/etc/ssl/jupyter-setup-wizard")
DAYS = 825  # the longest validity browsers still accept for a self-signed leaf


def default_pair(directory: Path = DEFAULT_DIR) -> tuple[Path, Path]:
    return directory / "cert.pem", directory / "key.pem"


def validate_pair(certfile: str, keyfile: str, *, self_signed: bool, field: str) -> list[Problem]:
    """Problems with a cert/key choice; `field` prefixes the answers keys (e.g. "access")."""
    if self_signed:
        if bool(certfile) != bool(keyfile):
            return [Problem(f"{field}.keyfile", "give both certfile and keyfile, or neither")]
        if not certfile and shutil.which("openssl") is None:
            return [
                Problem(
                    f"{field}.self_signed",
                    "openssl is needed to make a certificate: apt install openssl",
                )
            ]
        return []
    problems = []
    for key, value in (("certfile", certfile), ("keyfile", keyfile)):
        if not value:
            problems.append(
                Problem(
                    f"{field}.{key}", "missing: give an existing file, or set self_signed = true"
                )
            )
        elif not Path(value).is_absolute():
            problems.append(Problem(f"{field}.{key}", f"{value!r} must be an absolute path"))
        elif not Path(value).is_file():
            problems.append(
                Problem(
                    f"{field}.{key}",
                    f"{value} does not exist (set self_signed = true to have one made)",
                )
            )
    return problems


def san(names: Sequence[str]) -> str:
    """subjectAltName value for names that may be IPs or DNS names."""
    out = []
    for n in dict.fromkeys(n for n in names if n):
        try:
            ipaddress.ip_address(n)
            out.append(f"IP:{n}")
        except ValueError:
            out.append(f"DNS:{n}")
    return ",".join(out)


def openssl_argv(cert: Path, key: Path, names: Sequence[str], days: int = DAYS) -> list[str]:
    cn = next((n for n in names if n), "localhost")
    return [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
        "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san(names) or 'DNS:localhost'}",
    ]  # fmt: skip


class MakeSelfSigned(Action):
    """Create a self-signed EC certificate and key, unless both files exist already.

    The key is 0600. Undo removes only files this action created.
    """

    def __init__(
        self, cert: Path, key: Path, names: Sequence[str], owner: tuple[int, int] | None = None
    ) -> None:
        self.cert, self.key, self.names, self.owner = cert, key, list(names), owner
        self.description = f"make a self-signed certificate {cert} for {', '.join(self.names)}"
        self._created: list[Path] = []
        self._dirs: list[Path] = []

    def is_noop(self) -> bool:
        return self.cert.is_file() and self.key.is_file()

    def preview(self) -> str:
        from shlex import join

        return "$ " + join(openssl_argv(self.cert, self.key, self.names)) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        if self.is_noop():
            return
        half = [p for p in (self.cert, self.key) if p.exists()]
        if half:  # never overwrite someone's certificate or key
            raise RuntimeError(
                f"{half[0]} exists without its pair; move it away or give both files"
            )
        self._dirs = make_dirs(self.cert.parent) + make_dirs(self.key.parent)
        old_umask = os.umask(0o077)
        try:
            r = subprocess.run(
                openssl_argv(self.cert, self.key, self.names),
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.umask(old_umask)
        self._created = [p for p in (self.cert, self.key) if p.exists()]
        if r.returncode != 0:
            raise RuntimeError(f"openssl req failed ({r.returncode}): {r.stderr.strip()}")
        self.key.chmod(0o600)
        self.cert.chmod(0o644)
        if self.owner is not None:
            for p in (self.cert, self.key):
                os.chown(p, *self.owner)
        ctx.log(f"made {self.cert} and {self.key}")

    def undo(self, ctx: ApplyContext) -> None:
        for p in self._created:
            p.unlink(missing_ok=True)
        for d in reversed(self._dirs):
            try:
                d.rmdir()
            except OSError:
                break
