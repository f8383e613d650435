"""A journal per apply: what changed, with byte-exact backups, under the state dir.

Layout: <state>/applies/<ID>/journal.json and <ID>/backups/<n> (all 0600, dirs 0700).
The journal holds paths, modes, owners and hashes; backups hold earlier file contents.
`effects` records what an apply did besides files, for a later rollback: the state a service
was in before the apply (ServiceEffect) and a venv the apply created (VenvEffect). Journals
written before effects existed load with none; unknown kinds or fields (a newer wizard) are
skipped, so old and new journals stay readable both ways.
No plaintext password ever reaches either: the wizard never writes one anywhere.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any, TypeVar

from wizard.core.errors import InputError
from wizard.core.fileops import atomic_write, file_stat, read_file
from wizard.core.i18n import _
from wizard.core.paths import checked, journal_root, private_dir
from wizard.plan.effects import (
    CertificateEffect,
    Effect,
    FileEntry,
    NginxEffect,
    PackagesEffect,
    ServiceEffect,
    SystemPackagesEffect,
    VenvEffect,
)

_EFFECT_KINDS: dict[str, type[Effect]] = {
    "service": ServiceEffect,
    "venv": VenvEffect,
    "packages": PackagesEffect,
    "certificate": CertificateEffect,
    "nginx": NginxEffect,
    "system-packages": SystemPackagesEffect,
}
_T = TypeVar("_T")


def _from_dict(cls: type[_T], data: dict[str, Any]) -> _T:
    """A dataclass from a dict, ignoring keys this version does not know (written by a newer one)."""
    known = {f.name for f in dataclass_fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in known})


def _effects_from(raw: Any) -> list[Effect]:
    out: list[Effect] = []
    for item in raw if isinstance(raw, list) else []:
        cls = _EFFECT_KINDS.get(item.get("kind", "")) if isinstance(item, dict) else None
        if cls is not None:
            try:
                out.append(_from_dict(cls, item))
            except TypeError:  # a required field missing: not usable, skip it
                continue
    return out


@dataclass
class Journal:
    id: str
    dir: Path
    created: float
    title: str
    status: str = "applying"  # applying | applied | rolled-back | failed
    running: str | None = None  # the action under way: what an interrupted apply was doing
    files: list[FileEntry] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # descriptions of actions done, in order
    error: str | None = None
    effects: list[Effect] = field(default_factory=list)  # besides files; see the module doc
    # The answers of record (current-answers.toml) before the apply: a backup name, "" when
    # there were none, None when not recorded (older journals). A rollback puts them back.
    answers_before: str | None = None

    @classmethod
    def create(cls, title: str, root: Path | None = None) -> Journal:
        root = private_dir(root or journal_root())
        jid = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        d = root / jid
        # Backups may hold earlier config (with password hashes): only the owner may look.
        private_dir(d)
        private_dir(d / "backups")
        j = cls(id=jid, dir=d, created=time.time(), title=title)
        j.save()
        return j

    def backup(self, path: Path) -> FileEntry:
        """Copy the current bytes of `path` (if any) into the journal before it changes."""
        data = read_file(path)  # as root: never through a link (see wizard.core.fileops)
        st = file_stat(path) if data is not None else None
        if data is not None and st is not None:
            name = f"{len(self.files):04d}"
            atomic_write(self.dir / "backups" / name, data, 0o600, None)
            entry = FileEntry(str(path), True, name, st.st_mode & 0o7777, st.st_uid, st.st_gid)
        else:
            entry = FileEntry(str(path), False)
        self.files.append(entry)
        self.save()
        return entry

    def service_effect(self, manager: str, name: str) -> ServiceEffect | None:
        for e in self.effects:
            if isinstance(e, ServiceEffect) and (e.manager, e.name) == (manager, name):
                return e
        return None

    def record(self, effect: Effect) -> bool:
        """Add an effect and save. A service is recorded once: its first state is the one before
        the apply; any other effect once too. Returns False when it was already recorded."""
        if isinstance(effect, ServiceEffect) and self.service_effect(effect.manager, effect.name):
            return False
        if not isinstance(effect, ServiceEffect) and effect in self.effects:
            return False
        self.effects.append(effect)
        self.save()
        return True

    def keep_answers(self, path: Path) -> None:
        """Back up the answers of record as they are before this apply (not a FileEntry: the
        apply does not write them, the caller does after a success)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.answers_before = ""
        else:
            atomic_write(self.dir / "backups" / "answers", data, 0o600, None)
            self.answers_before = "answers"
        self.save()

    def backup_bytes(self, entry: FileEntry) -> bytes | None:
        return (self.dir / "backups" / entry.backup).read_bytes() if entry.backup else None

    def save(self) -> None:
        data = asdict(self)
        data["dir"] = str(self.dir)
        atomic_write(self.dir / "journal.json", json.dumps(data, indent=2).encode(), 0o600, None)

    @classmethod
    def load(cls, jid: str, root: Path | None = None) -> Journal:
        d = checked(root or journal_root()) / jid
        try:
            data: dict[str, Any] = json.loads((d / "journal.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(
                _("no readable apply journal {id} in {path}").format(id=repr(jid), path=d.parent)
            ) from exc
        data["dir"] = d
        data["files"] = [_from_dict(FileEntry, f) for f in data.get("files", [])]
        data["effects"] = _effects_from(data.get("effects"))  # absent in older journals
        try:
            return _from_dict(cls, data)
        except TypeError as exc:
            raise InputError(
                _("apply journal {id} in {path} is damaged: {error}").format(
                    id=repr(jid), path=d.parent, error=exc
                )
            ) from exc


def list_journals(root: Path | None = None) -> list[Journal]:
    """Every journal, oldest first."""
    root = checked(root or journal_root())
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir()):
        if (d / "journal.json").is_file():
            try:
                out.append(Journal.load(d.name, root))
            except InputError:
                continue
    return out
