"""`rollback [ID]`: a plan that returns the machine to its state before an earlier apply.

Files come back byte for byte from the journal's backups. The journal's effects say what else
the apply did, and the plan puts that back too:

- a service (state before the apply in a ServiceEffect): stopped and disabled *before* its files
  are restored when it was not running / not installed then (the unit file must still exist to
  disable it); after the restores systemd re-reads a restored unit file (daemon-reload), it is
  re-enabled if it was, and restarted with the restored files when it was running, then checked
  (active, listening, answering HTTP);
- packages the apply put into an existing environment (ipykernel for a kernel): uninstalled,
  and the ones it changed put back to their earlier versions, as the environment's owner;
- an nginx whose site the apply changed (NginxEffect): tested and reloaded after the restores;
- a certificate lineage the apply had certbot issue: deleted once no restored site names it;
- a venv the apply created: removed last, only while its pyvenv.cfg is unchanged;
- the distribution's packages the apply installed (certbot, with consent): `apt-get remove`d,
  after the lineage certbot had issued is deleted.

The plan is an ordinary plan: the rollback is journaled (with the service's state before the
rollback as its own effect), undone in reverse if it fails, and can itself be rolled back,
except for a removed venv or package, which only a new apply puts back.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from wizard.apply.journal import Journal, list_journals
from wizard.apply.lock import holder, interrupted, interrupted_text
from wizard.core.errors import InputError
from wizard.core.fileops import (
    UnsafePath,
    directory,
    foreign_component,
    read_file,
    remove_stale_temps,
    stale_temps,
    strict,
)
from wizard.core.i18n import _, ngettext
from wizard.plan.access.acme import DeleteLineage
from wizard.plan.access.distro import RemovePackages
from wizard.plan.access.nginx import ReloadNginx
from wizard.plan.actions import Action, ApplyContext, WriteFile, remove_empty_dirs
from wizard.plan.effects import (
    CertificateEffect,
    FileEntry,
    NginxEffect,
    PackagesEffect,
    ServiceEffect,
    SystemPackagesEffect,
    VenvEffect,
    sha256,
)
from wizard.plan.plan import Plan
from wizard.plan.service.actions import EnsureRunning, ServiceSnapshot, SetEnabled
from wizard.plan.service.base import ServiceError, ServiceManager
from wizard.plan.service.health import ServingCheck
from wizard.plan.service.managers import controller_for
from wizard.plan.service.systemd import unit_name
from wizard.plan.steps.kernel_actions import RestorePackages

ROLLBACK_HEALTH_TIMEOUT = 60.0


def rollback_plan(journal_id: str | None = None, root: Path | None = None) -> Plan:
    """The plan that undoes apply `journal_id` (default: the latest applied or interrupted)."""
    journal = _pick(journal_id, root)
    try:
        return _plan(journal)
    except OSError as exc:  # a path turned into something else since: say which, no traceback
        raise InputError(
            _("cannot plan the rollback of {id}: {error}").format(
                id=journal.id, error=f"{exc.filename or ''}: {exc.strerror}"
            )
        ) from exc
    except UnsafePath as exc:
        raise InputError(
            _("cannot plan the rollback of {id}: {error}").format(id=journal.id, error=exc)
        ) from exc


def _plan(journal: Journal) -> Plan:
    plan = Plan(_("rollback of {id} ({title})").format(id=journal.id, title=journal.title))
    restores = _file_restores(plan, journal)
    before: list[Action] = []
    after: list[Action] = []
    services = [e for e in journal.effects if isinstance(e, ServiceEffect)]
    for eff in services:
        b, a = _service_actions(eff, restores, journal.id)
        before += b
        after += a
    if not services:
        _note_untracked_service(plan, journal, restores)
    # Per environment the last one: the full account of an install, else the snapshot it
    # journaled before pip ran (an install cut short).
    last = {e.python: e for e in journal.effects if isinstance(e, PackagesEffect)}
    for packages in last.values():
        after.append(RestorePackages(packages, journal.id))
    for venv in (e for e in journal.effects if isinstance(e, VenvEffect)):
        action = _venv_action(plan, venv, journal.id)
        if action is not None:
            after.append(action)
    temps = [t for w in restores for t in stale_temps(w.path)]
    cleanup = [RemoveTempFiles([w.path for w in restores], temps)] if temps else []
    # nginx serves the restored site only once reloaded; then no site refers to a lineage
    # the apply had issued, and it can go.
    nginx = [ReloadNginx(e, restores) for e in journal.effects if isinstance(e, NginxEffect)]
    certs = [
        DeleteLineage(Path(e.config_dir), e.cert_name)
        for e in journal.effects
        if isinstance(e, CertificateEffect)
    ]
    if certs:
        plan.note("info", _("a certificate that apply had issued is deleted; rolling this rollback back does not bring it back (apply again for that)"))  # fmt: skip
    # last: certbot itself goes once the lineage it had issued is deleted
    distro = [
        RemovePackages(e.packages, _("apply {id} had installed them").format(id=journal.id))
        for e in journal.effects
        if isinstance(e, SystemPackagesEffect) and e.packages
    ]
    plan.actions = [
        *before, *restores, *cleanup, *nginx, *certs, *_answers_restore(journal), *after,
        *distro,
    ]  # fmt: skip
    if journal.status == "applying":
        plan.note("warning", interrupted_text(journal))
        plan.actions.append(MarkRolledBack(journal))
    return plan


class RemoveTempFiles(Action):
    """The temp files a write killed mid-way left beside the files it was writing."""

    def __init__(self, paths: list[Path], temps: list[Path]) -> None:
        self.paths, self.temps = paths, temps
        self.kind = "file"
        self.description = ngettext(
            "remove {count} temp file(s) an interrupted write left",
            "remove {count} temp file(s) an interrupted write left",
            len(temps),
        ).format(count=len(temps))

    def preview(self) -> str:
        return "".join(f"$ rm {shlex.quote(str(t))}\n" for t in self.temps)

    def apply(self, ctx: ApplyContext) -> None:
        for path in self.paths:
            remove_stale_temps(path)

    # undo: nothing (they held no file anybody reads)


class MarkRolledBack(Action):
    """Last in the rollback of an interrupted apply: it is not "interrupted" any more."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.kind, self.target = "file", str(journal.dir)
        self.description = _("mark the interrupted apply {id} as rolled back").format(id=journal.id)

    def preview(self) -> str:
        return f"(journal {self.journal.id}: applying -> rolled-back)\n"

    def apply(self, ctx: ApplyContext) -> None:
        self.journal.status = "rolled-back"
        self.journal.save()

    def undo(self, ctx: ApplyContext) -> None:
        self.journal.status = "applying"
        self.journal.save()


def _answers_restore(journal: Journal) -> list[Action]:
    """The answers of record back as they were, so status and doctor describe the machine."""
    if journal.answers_before is None:  # an older journal did not keep them
        return []
    from wizard.core.record import current_answers_path, record_mode

    data = (
        (journal.dir / "backups" / journal.answers_before).read_bytes()
        if journal.answers_before
        else None
    )
    return [
        WriteFile(
            current_answers_path(),
            data,
            mode=record_mode(),
            why=_("the setup of record as before {id}").format(id=journal.id),
        )
    ]


def _pick(journal_id: str | None, root: Path | None) -> Journal:
    """The apply to undo: the one named, else the latest applied or interrupted one."""
    crashed = {j.id for j in interrupted(root)}
    if journal_id is None:
        journals = [j for j in list_journals(root) if j.status == "applied" or j.id in crashed]
        if not journals:
            raise InputError(_("there is no applied change to roll back"))
        return journals[-1]
    journal = Journal.load(journal_id, root)
    if journal.status == "applying" and journal.id not in crashed:
        raise InputError(
            _("apply {id} is still running ({holder}): wait for it").format(
                id=journal_id, holder=holder()
            )
        )
    if journal.status not in ("applied", "applying", "failed"):  # failed: its undo was partial
        raise InputError(
            _("apply {id} is {status}: nothing of it remains applied").format(
                id=journal_id, status=journal.status
            )
        )
    return journal


def _file_restores(plan: Plan, journal: Journal) -> list[WriteFile]:
    first: dict[str, FileEntry] = {}  # the state before the apply
    last: dict[str, FileEntry] = {}  # what the apply left
    for entry in journal.files:
        first.setdefault(entry.path, entry)
        last[entry.path] = entry
    out = []
    for path_str, entry in reversed(first.items()):
        path = Path(path_str)
        now = read_file(path)  # as root never through a link, a FIFO or a huge file
        if (sha256(now) if now is not None else None) != last[path_str].sha256_after:
            plan.note(
                "warning",
                _("{path} changed since apply {id}; its current content is backed up first").format(
                    path=path, id=journal.id
                ),
            )
        owner = (entry.uid, entry.gid) if entry.uid is not None and entry.gid is not None else None
        out.append(
            WriteFile(
                path,
                journal.backup_bytes(entry),
                mode=entry.mode,
                owner=owner,
                why=_("restore as before {id}").format(id=journal.id),
                prune_dirs=entry.created_dirs,
            )
        )
    return out


# --------------------------------------------------------------------------- services


def controller_of(eff: ServiceEffect) -> ServiceManager | None:
    try:
        return controller_for(eff.manager, eff.name, config_dir=eff.config_dir)
    except ServiceError:  # a manager this version does not know
        return None


def _service_actions(
    eff: ServiceEffect, restores: Sequence[WriteFile], jid: str
) -> tuple[list[Action], list[Action]]:
    """(before the file restores, after them) for one service back to its state before `jid`."""
    ctl = controller_of(eff)
    if ctl is None:
        return [], []
    definition = [w for w in restores if ctl.defines(w.path)]  # its unit, or its launch spec
    remember = RememberService(ctl, reload=ctl.needs_reload and bool(definition))
    before: list[Action] = [remember]
    after: list[Action] = []
    if not eff.active:
        before.append(StopService(ctl, jid))
    if ctl.supports_boot and eff.enabled is not True:
        before.append(SetEnabled(ctl, False))  # while its unit file still exists
    if ctl.needs_reload and definition:
        after.append(ReloadDefinition(ctl, definition))
    if ctl.supports_boot and eff.enabled is True:
        after.append(SetEnabled(ctl, True))
    if eff.active:
        run = EnsureRunning(ctl, list(restores))
        after += [run, ServingCheck(ctl, after=run, timeout=ROLLBACK_HEALTH_TIMEOUT)]
    remember.dependents = [*before[1:], *after]
    return before, after


class RememberService(ServiceSnapshot):
    """First in a rollback: journals the service's state before the rollback (so rolling the
    rollback back restores it); if the rollback fails, its undo (last) reloads and restarts."""

    def __init__(self, ctl: ServiceManager, *, reload: bool) -> None:
        super().__init__(ctl)
        self.reload = reload

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is not None and self.reload:
            self.ctl.reload()  # the unit file is back as it was: systemd must read it
        super().undo(ctx)


class StopService(Action):
    """Stop a service that was not running before the apply being rolled back."""

    def __init__(self, ctl: ServiceManager, jid: str) -> None:
        self.ctl = ctl
        self.target = ctl.name
        self.description = _("stop {name} (it was not running before {id})").format(
            name=ctl.name, id=jid
        )

    def is_noop(self) -> bool:
        return not self.ctl.state().active

    def preview(self) -> str:
        return self.ctl.command_line("stop")

    def apply(self, ctx: ApplyContext) -> None:
        ctx.log(_("stopping {name}").format(name=self.ctl.name))
        self.ctl.stop()
        self.ctl.reset_failed()  # a stop that ended "failed" would keep the unit loaded

    # undo: RememberService (first in the plan, so undone last) restarts it if it ran


class ReloadDefinition(Action):
    """Make the manager re-read a restored (or removed) definition: `systemctl daemon-reload`."""

    def __init__(self, ctl: ServiceManager, after: Sequence[Action]) -> None:
        self.ctl = ctl
        self.target = ctl.name
        self.after = list(after)
        self.description = _("reload systemd (restored {what})").format(what=ctl.title)

    def is_noop(self) -> bool:
        return all(a.is_noop() for a in self.after)

    def preview(self) -> str:
        return self.ctl.command_line("daemon-reload")

    def apply(self, ctx: ApplyContext) -> None:
        self.ctl.reload()

    # undo: RememberService reloads once the unit file is back


def _note_untracked_service(plan: Plan, journal: Journal, restores: Sequence[WriteFile]) -> None:
    """A journal from before effects were recorded: say what the person must do by hand."""
    units = [w.path for w in restores if w.path.suffix == ".service"]
    if units:
        plan.note(
            "warning",
            _(
                "apply {id} was recorded without its service's state: after the restore "
                "run `systemctl daemon-reload` and restart or stop {unit} yourself"
            ).format(id=journal.id, unit=unit_name(units[0].stem)),
        )


# --------------------------------------------------------------------------- venvs


def _venv_action(plan: Plan, eff: VenvEffect, jid: str) -> Action | None:
    path = Path(eff.path)
    cfg = path / "pyvenv.cfg"
    if not path.exists():
        plan.note(
            "info",
            _("the venv {path} that apply {id} created is already gone").format(path=path, id=jid),
        )
        return None
    try:
        same = sha256(read_file(cfg) or b"") == eff.pyvenv_sha256
    except (OSError, UnsafePath):
        same = False
    if not same:
        plan.note(
            "warning",
            _(
                "{path} is left alone: its pyvenv.cfg is not the one apply {id} created, so it is "
                "not (only) that venv any more; remove it yourself if nobody needs it"
            ).format(path=path, id=jid),
        )
        return None
    plan.note(
        "info",
        _(
            "the venv {path} goes; rolling this rollback back does not bring it back "
            "(apply the answers again for that)"
        ).format(path=path),
    )
    return RemoveVenv(eff, jid)


class RemoveVenv(Action):
    """Remove a venv an apply created (last in a rollback: nothing after it can fail)."""

    def __init__(self, eff: VenvEffect, jid: str) -> None:
        self.eff = eff
        self.path = Path(eff.path)
        self.target = str(self.path)
        self.description = _("remove the venv {path} (created by {id})").format(
            path=self.path, id=jid
        )

    def is_noop(self) -> bool:
        return not self.path.exists()

    def preview(self) -> str:
        return f"$ rm -r {shlex.quote(str(self.path))}\n" + _(
            "(its pyvenv.cfg is unchanged since then)\n"
        )

    def apply(self, ctx: ApplyContext) -> None:
        cfg = self.path / "pyvenv.cfg"
        if sha256(read_file(cfg) or b"") != self.eff.pyvenv_sha256:  # changed since the plan
            raise RuntimeError(
                _("{cfg} changed: {path} is not the venv to remove any more").format(
                    cfg=cfg, path=self.path
                )
            )
        if strict() and (foreign := foreign_component(self.path)) is not None:
            raise RuntimeError(
                _(
                    "{path} belongs to uid {uid}: not removing {venv} as root "
                    "(its owner could point it elsewhere); remove it as that user"
                ).format(path=foreign[0], uid=foreign[1], venv=self.path)
            )
        # Out of the way in one step, so a failure half way never leaves half a venv at PATH;
        # through the parent's fd, so nothing is followed on the way.
        aside = f".{self.path.name}.removing-{secrets.token_hex(3)}"
        with directory(self.path.parent) as dfd:
            os.rename(self.path.name, aside, src_dir_fd=dfd, dst_dir_fd=dfd)
            shutil.rmtree(aside, dir_fd=dfd)
        if self.eff.existed_empty:
            self.path.mkdir()
        else:
            remove_empty_dirs(self.eff.created_dirs)
        ctx.log(_("removed {path}").format(path=self.path))

    # undo: not possible (the venv is gone); a new apply creates it again
