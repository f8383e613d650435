"""What an action writes into the apply's journal, so a later rollback can undo it: a file's
state before (FileEntry) and what else an apply did (a service's state before, a venv it made,
packages it put into an existing environment, a certificate it had issued, an nginx it reloaded,
the distribution's packages it installed).

The journal itself (persistence, backups, loading old journals) is wizard.apply.journal; actions
see it through the `ApplyJournal` protocol, so the plan layer never imports the apply layer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass
class FileEntry:
    path: str
    existed: bool
    backup: str | None = None  # file name under backups/ (None when the file did not exist)
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    sha256_after: str | None = None  # what we left there (None: we removed it)
    created_dirs: list[str] = field(default_factory=list)


@dataclass
class ServiceEffect:
    """A service an apply touched, as it was *before* that apply (a rollback returns it there)."""

    manager: str  # "systemd-system" | "systemd-user" | "background"
    name: str
    config_dir: str = ""  # background: where its config lives (the controller needs it)
    installed: bool = False
    active: bool = False
    enabled: bool | None = None  # None: unknown / not applicable (background, not installed)
    kind: str = "service"


@dataclass
class VenvEffect:
    """A venv an apply created; a rollback removes it while it still is that venv."""

    path: str
    pyvenv_sha256: str  # of its pyvenv.cfg right after creation: "is it still ours?"
    created_dirs: list[str] = field(default_factory=list)  # parents made for it, outermost first
    existed_empty: bool = False  # the directory was there (empty) before: leave it empty
    kind: str = "venv"


@dataclass
class PackagesEffect:
    """Packages an apply installed into an existing environment (e.g. ipykernel for a kernel):
    a rollback uninstalls `added` and puts `changed` back to the versions found before. Journaled
    first with `before` alone (every package and version before pip ran), so a rollback after a
    crash in the middle of the install takes out whatever is new since."""

    python: str
    added: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)  # name -> the version before
    before: dict[str, str] | None = None
    kind: str = "packages"


@dataclass
class CertificateEffect:
    """A certificate lineage an apply had certbot issue (it was not there before); a rollback
    deletes it (`certbot delete`) once nothing it restores refers to it."""

    config_dir: str  # certbot's --config-dir
    cert_name: str
    kind: str = "certificate"


@dataclass
class SystemPackagesEffect:
    """Packages of the distribution an apply installed (apt-get install), that were not there
    before: a rollback removes them again (apt-get remove)."""

    packages: list[str] = field(default_factory=list)
    kind: str = "system-packages"


@dataclass
class NginxEffect:
    """An apply changed an nginx site: a rollback that restores its files tests and reloads nginx."""

    conf: str  # the main nginx.conf ("" = the distribution's)
    systemd: bool  # reload through systemctl
    kind: str = "nginx"


Effect = (
    ServiceEffect
    | VenvEffect
    | PackagesEffect
    | CertificateEffect
    | NginxEffect
    | SystemPackagesEffect
)


class ApplyJournal(Protocol):
    """What an action may ask of the journal of the apply it runs in."""

    def backup(self, path: Path) -> FileEntry:
        """Keep the current bytes of `path` (if any) before it changes."""

    def backup_bytes(self, entry: FileEntry) -> bytes | None: ...

    def record(self, effect: Effect) -> bool: ...

    def service_effect(self, manager: str, name: str) -> ServiceEffect | None: ...

    def save(self) -> None: ...


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
