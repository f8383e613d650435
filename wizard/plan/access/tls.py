"""TLS certificates: use an existing pair, or make a self-signed one with the `openssl` CLI."""

from __future__ import annotations

import ipaddress
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from wizard.core.errors import Problem
from wizard.core.fileops import atomic_write, file_stat, make_dirs, remove_dir, remove_file
from wizard.core.i18n import _
from wizard.plan.actions import Action, ApplyContext

DEFAULT_DIR = Path("/etc/ssl/jupyter-setup-wizard")
DAYS = 825  # the longest validity browsers still accept for a self-signed leaf


def default_pair(directory: Path = DEFAULT_DIR) -> tuple[Path, Path]:
    return directory / "cert.pem", directory / "key.pem"


def validate_pair(certfile: str, keyfile: str, *, self_signed: bool, field: str) -> list[Problem]:
    """Problems with a cert/key choice; `field` prefixes the answers keys (e.g. "access")."""
    if self_signed:
        if bool(certfile) != bool(keyfile):
            return [Problem(f"{field}.keyfile", _("give both certfile and keyfile, or neither"))]
        if not certfile and shutil.which("openssl") is None:
            return [
                Problem(
                    f"{field}.self_signed",
                    _("openssl is needed to make a certificate: apt install openssl"),
                )
            ]
        return []
    problems = []
    for key, value in (("certfile", certfile), ("keyfile", keyfile)):
        if not value:
            problems.append(
                Problem(
                    f"{field}.{key}", _("missing: give an existing file, or set self_signed = true")
                )
            )
        elif not Path(value).is_absolute():
            problems.append(
                Problem(
                    f"{field}.{key}", _("{value!r} must be an absolute path").format(value=value)
                )
            )
        elif not Path(value).is_file():
            problems.append(
                Problem(
                    f"{field}.{key}",
                    _("{value} does not exist (set self_signed = true to have one made)").format(
                        value=value
                    ),
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

    openssl writes into a private temp dir of root's; the pair is then installed with
    fileops.atomic_write (mode and owner set on the fd, never through a link), so a user who
    owns the target directory cannot turn the write against root. The key is 0600. Undo
    removes only files this action created.
    """

    def __init__(
        self, cert: Path, key: Path, names: Sequence[str], owner: tuple[int, int] | None = None
    ) -> None:
        self.cert, self.key, self.names, self.owner = cert, key, list(names), owner
        self.target = str(cert)
        self.description = _("make a self-signed certificate {cert} for {items}").format(
            cert=cert, items=", ".join(self.names)
        )
        self._created: list[Path] = []
        self._dirs: list[Path] = []

    def _exists(self, p: Path) -> bool:
        return file_stat(p) is not None  # the entry itself: a link counts, and is not followed

    def is_noop(self) -> bool:
        return all(
            (st := file_stat(p)) is not None and stat.S_ISREG(st.st_mode)
            for p in (self.cert, self.key)
        )

    def preview(self) -> str:
        from shlex import join

        return "$ " + join(openssl_argv(self.cert, self.key, self.names)) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        if self.is_noop():
            return
        half = [p for p in (self.cert, self.key) if self._exists(p)]
        if half:  # never overwrite someone's certificate or key (or a link in their place)
            raise RuntimeError(
                _("{half} exists without its pair; move it away or give both files").format(
                    half=half[0]
                )
            )
        with tempfile.TemporaryDirectory(prefix="jsw-tls-") as tmp:
            cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            old_umask = os.umask(0o077)
            try:
                r = subprocess.run(
                    openssl_argv(cert, key, self.names),
                    capture_output=True,
                    text=True,
                    timeout=60,
                    stdin=subprocess.DEVNULL,
                )
            finally:
                os.umask(old_umask)
            if r.returncode != 0:
                raise RuntimeError(
                    _("openssl req failed ({returncode}): {strip}").format(
                        returncode=r.returncode, strip=r.stderr.strip()
                    )
                )
            self._dirs = make_dirs(self.cert.parent, owner=self.owner)
            self._dirs += make_dirs(self.key.parent, owner=self.owner)
            for made, target, mode in ((cert, self.cert, 0o644), (key, self.key, 0o600)):
                atomic_write(target, made.read_bytes(), mode, self.owner)
                self._created.append(target)
        ctx.log(_("made {cert} and {key}").format(cert=self.cert, key=self.key))

    def undo(self, ctx: ApplyContext) -> None:
        for p in self._created:
            remove_file(p)
        for d in reversed(self._dirs):
            try:
                remove_dir(d)
            except OSError:
                break
