"""`rollback [ID]`: a plan that returns the machine to its state before an earlier apply.

Files come back byte for byte from the journal's backups. The journal's effects say what else
the apply did, and the plan puts that back too:

- a service (state before the apply in a ServiceEffect): stopped and disabled *before* its files
  are restored when it was not running / not installed then (the unit file must still exist to
  disable it); after the restores systemd re-reads a restored unit file (daemon-reload), it is
  re-enabled if it was, and restarted with the restored files when it was running, then checked
  (active, listening, answering HTTP);
- a venv the apply created: removed last, only while its pyvenv.cfg is unchanged.

The plan is an ordinary plan: the rollback is journaled (with the service's state before the
rollback as its own effect), undone in reverse if it fails, and can itself be rolled back,
except for a removed venv, which only a new apply can make again.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from wizard.apply.journal import (
    FileEntry,
    Journal,
    ServiceEffect,
    VenvEffect,
    list_journals,
    sha256,
)
from wizard.core.errors import InputError
from wizard.plan.actions import Action, ApplyContext, Cancelled, WriteFile, remove_empty_dirs
from wizard.plan.plan import Plan
from wizard.plan.service.actions import (
    EnsureRunning,
    ServiceSnapshot,
    SetEnabled,
    _tree_pids,
)
from wizard.plan.service.managers import (
    BackgroundController,
    ServiceController,
    SystemdController,
    unit_name,
)
from wizard.probe.http import request

ROLLBACK_HEALTH_TIMEOUT = 60.0


def rollback_plan(journal_id: str | None = None, root: Path | None = None) -> Plan:
    """The plan that undoes apply `journal_id` (default: the latest applied)."""
    journal = _pick(journal_id, root)
    plan = Plan(f"rollback of {journal.id} ({journal.title})")
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
    for venv in (e for e in journal.effects if isinstance(e, VenvEffect)):
        action = _venv_action(plan, venv, journal.id)
        if action is not None:
            after.append(action)
    plan.actions = [*before, *restores, *_answers_restore(journal), *after]
    return plan


def _answers_restore(journal: Journal) -> list[Action]:
    """The answers of record back as they were, so status and doctor describe the machine."""
    if journal.answers_before is None:  # an older journal did not keep them
        return []
    from wizard.core.record import current_answers_path

    data = (
        (journal.dir / "backups" / journal.answers_before).read_bytes()
        if journal.answers_before
        else None
    )
    return [
        WriteFile(
            current_answers_path(),
            data,
            mode=0o600,
            why=f"the setup of record as before {journal.id}",
        )
    ]


def _pick(journal_id: str | None, root: Path | None) -> Journal:
    if journal_id is None:
        journals = [j for j in list_journals(root) if j.status == "applied"]
        if not journals:
            raise InputError("there is no applied change to roll back")
        return journals[-1]
    journal = Journal.load(journal_id, root)
    if journal.status != "applied":
        raise InputError(f"apply {journal_id} is {journal.status}: nothing of it remains applied")
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
        now = path.read_bytes() if path.exists() else None
        if (sha256(now) if now is not None else None) != last[path_str].sha256_after:
            plan.note(
                "warning",
                f"{path} changed since apply {journal.id}; its current content is backed up first",
            )
        owner = (entry.uid, entry.gid) if entry.uid is not None and entry.gid is not None else None
        out.append(
            WriteFile(
                path,
                journal.backup_bytes(entry),
                mode=entry.mode,
                owner=owner,
                why=f"restore as before {journal.id}",
                prune_dirs=entry.created_dirs,
            )
        )
    return out


# --------------------------------------------------------------------------- services


def controller_of(eff: ServiceEffect) -> ServiceController | None:
    if eff.manager in ("systemd-system", "systemd-user"):
        return SystemdController(eff.name, user_scope=eff.manager == "systemd-user")
    if eff.manager == "background":
        return BackgroundController(eff.name, config_dir=eff.config_dir)
    return None


def _definition_restores(ctl: ServiceController, restores: Sequence[WriteFile]) -> list[WriteFile]:
    """The restores of the file that defines the service: its unit, or its launch spec."""
    if isinstance(ctl, SystemdController):
        return [w for w in restores if w.path.name == ctl.unit]
    if isinstance(ctl, BackgroundController):
        return [w for w in restores if w.path == ctl.spec_path]
    return []


def _service_actions(
    eff: ServiceEffect, restores: Sequence[WriteFile], jid: str
) -> tuple[list[Action], list[Action]]:
    """(before the file restores, after them) for one service back to its state before `jid`."""
    ctl = controller_of(eff)
    if ctl is None:
        return [], []
    systemd = isinstance(ctl, SystemdController)
    definition = _definition_restores(ctl, restores)
    remember = RememberService(ctl, reload=systemd and bool(definition))
    before: list[Action] = [remember]
    after: list[Action] = []
    if not eff.active:
        before.append(StopService(ctl, jid))
    if isinstance(ctl, SystemdController):
        if eff.enabled is not True:
            before.append(SetEnabled(ctl, False))  # while its unit file still exists
        if definition:
            after.append(DaemonReload(ctl, definition))
        if eff.enabled is True:
            after.append(SetEnabled(ctl, True))
    if eff.active:
        run = EnsureRunning(ctl, list(restores))
        after += [run, ServingCheck(ctl, after=run)]
    remember.dependents = [*before[1:], *after]
    return before, after


class RememberService(ServiceSnapshot):
    """First in a rollback: journals the service's state before the rollback (so rolling the
    rollback back restores it); if the rollback fails, its undo (last) reloads and restarts."""

    def __init__(self, ctl: ServiceController, *, reload: bool) -> None:
        super().__init__(ctl)
        self.reload = reload

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is not None and self.reload and isinstance(self.ctl, SystemdController):
            self.ctl.daemon_reload()  # the unit file is back as it was: systemd must read it
        super().undo(ctx)


class StopService(Action):
    """Stop a service that was not running before the apply being rolled back."""

    def __init__(self, ctl: ServiceController, jid: str) -> None:
        self.ctl = ctl
        self.description = f"stop {ctl.name} (it was not running before {jid})"

    def is_noop(self) -> bool:
        return not self.ctl.state().active

    def preview(self) -> str:
        if isinstance(self.ctl, SystemdController):
            return "$ " + shlex.join(self.ctl.systemctl_argv("stop", self.ctl.unit)) + "\n"
        return f"(background) stop {self.ctl.name}\n"

    def apply(self, ctx: ApplyContext) -> None:
        ctx.log(f"stopping {self.ctl.name}")
        self.ctl.stop()
        if isinstance(self.ctl, SystemdController):
            self.ctl.reset_failed()  # a stop that ended "failed" would keep the unit loaded

    # undo: RememberService (first in the plan, so undone last) restarts it if it ran


class DaemonReload(Action):
    """`systemctl daemon-reload` after a unit file was restored (or removed)."""

    def __init__(self, ctl: SystemdController, after: Sequence[Action]) -> None:
        self.ctl = ctl
        self.after = list(after)
        self.description = f"reload systemd (restored {ctl.unit})"

    def is_noop(self) -> bool:
        return all(a.is_noop() for a in self.after)

    def preview(self) -> str:
        return "$ " + shlex.join(self.ctl.systemctl_argv("daemon-reload")) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        self.ctl.daemon_reload()
        self.ctl.reset_failed()

    # undo: RememberService reloads once the unit file is back


def http_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Does anything answer HTTP(S) there? Any status counts (a base_url gives 404 at /api)."""
    for scheme in ("http", "https"):  # our own server's certificate may be self-signed
        try:
            request(scheme, host, port, "/api", timeout=timeout)
            return True
        except OSError:
            continue
    return False


def listening_ports(pids: set[int]) -> list[tuple[str, int]]:
    import psutil

    return sorted(
        {
            (c.laddr.ip, c.laddr.port)
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.pid in pids
        }
    )


class ServingCheck(Action):
    """After the restart with restored files: active, listening (its own process tree), HTTP
    answers. The port is whatever the restored config says, so it is looked up, not assumed."""

    def __init__(
        self, ctl: ServiceController, *, after: Action, timeout: float = ROLLBACK_HEALTH_TIMEOUT
    ) -> None:
        self.ctl, self.after, self.timeout = ctl, after, timeout
        self.description = (
            f"health check of {ctl.name}: active, listening, answering HTTP "
            f"(at most {timeout:.0f}s)"
        )

    def is_noop(self) -> bool:
        return self.after.is_noop()

    def preview(self) -> str:
        return f"check: {self.ctl.name} answers on the port of the restored settings\n"

    def check(self) -> tuple[str | None, str]:
        """(problem or None, where it answers)."""
        st = self.ctl.state()
        if st.active_state == "failed":
            return f"{self.ctl.name} failed", ""
        if not st.active or not st.main_pid:
            return f"{self.ctl.name} is {st.active_state}/{st.sub_state}", ""
        ports = listening_ports(_tree_pids(st.main_pid))
        if not ports:
            return f"{self.ctl.name} listens on no TCP port yet", ""
        for ip, port in ports:
            host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(ip, ip)
            if http_answers(host, port):
                return None, f"{host}:{port}"
        return f"no HTTP answer on {', '.join(f'{ip}:{p}' for ip, p in ports)}", ""

    def apply(self, ctx: ApplyContext) -> None:
        t0 = time.monotonic()
        while True:
            problem, where = self.check()
            if problem is None:
                ctx.log(f"{self.ctl.name} answers on {where} after {time.monotonic() - t0:.1f}s")
                return
            if time.monotonic() - t0 > self.timeout:
                tail = self.ctl.journal(30).strip() or "(no log lines)"
                raise RuntimeError(
                    f"not healthy after {self.timeout:.0f}s: {problem}\n"
                    f"--- last log lines of {self.ctl.name} ---\n{tail}"
                )
            if ctx.cancelled.wait(0.25):
                raise Cancelled(f"cancelled: {self.description}")


def _note_untracked_service(plan: Plan, journal: Journal, restores: Sequence[WriteFile]) -> None:
    """A journal from before effects were recorded: say what the person must do by hand."""
    units = [w.path for w in restores if w.path.suffix == ".service"]
    if units:
        plan.note(
            "warning",
            f"apply {journal.id} was recorded without its service's state: after the restore "
            f"run `systemctl daemon-reload` and restart or stop {unit_name(units[0].stem)} "
            "yourself",
        )


# --------------------------------------------------------------------------- venvs


def _venv_action(plan: Plan, eff: VenvEffect, jid: str) -> Action | None:
    path = Path(eff.path)
    cfg = path / "pyvenv.cfg"
    if not path.exists():
        plan.note("info", f"the venv {path} that apply {jid} created is already gone")
        return None
    try:
        same = sha256(cfg.read_bytes()) == eff.pyvenv_sha256
    except OSError:
        same = False
    if not same:
        plan.note(
            "warning",
            f"{path} is left alone: its pyvenv.cfg is not the one apply {jid} created, so it is "
            "not (only) that venv any more; remove it yourself if nobody needs it",
        )
        return None
    plan.note(
        "info",
        f"the venv {path} goes; rolling this rollback back does not bring it back "
        "(apply the answers again for that)",
    )
    return RemoveVenv(eff, jid)


class RemoveVenv(Action):
    """Remove a venv an apply created (last in a rollback: nothing after it can fail)."""

    def __init__(self, eff: VenvEffect, jid: str) -> None:
        self.eff = eff
        self.path = Path(eff.path)
        self.description = f"remove the venv {self.path} (created by {jid})"

    def is_noop(self) -> bool:
        return not self.path.exists()

    def preview(self) -> str:
        return f"$ rm -r {shlex.quote(str(self.path))}\n(its pyvenv.cfg is unchanged since then)\n"

    def apply(self, ctx: ApplyContext) -> None:
        cfg = self.path / "pyvenv.cfg"
        if sha256(cfg.read_bytes()) != self.eff.pyvenv_sha256:  # changed since the plan
            raise RuntimeError(f"{cfg} changed: {self.path} is not the venv to remove any more")
        # Out of the way in one step, so a failure half way never leaves half a venv at PATH.
        aside = self.path.with_name(f".{self.path.name}.removing-{secrets.token_hex(3)}")
        os.rename(self.path, aside)
        shutil.rmtree(aside)
        if self.eff.existed_empty:
            self.path.mkdir()
        else:
            remove_empty_dirs(self.eff.created_dirs)
        ctx.log(f"removed {self.path}")

    # undo: not possible (the venv is gone); a new apply creates it again
