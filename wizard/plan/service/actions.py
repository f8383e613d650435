"""Plan actions every service manager shares: remember the state, enable, start or restart.

Whether a start/restart is needed depends on the actions before it: each such action holds
references to the actions it depends on and is a change exactly when one of them is (or when
the service is not running). The front-end that showed the plan hands the engine the list of
changes it showed (apply_plan's `todo`), so what runs is what was reviewed, asked before
anything ran.

Undo runs in reverse, so the restore of the previous service state is split: the start and
enable actions stop/disable what they started (while the unit file still exists), and
ServiceSnapshot, placed first in the plan, restarts a previously running service last, after
every file is back as it was.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from wizard.core.i18n import _
from wizard.plan.actions import Action, ApplyContext
from wizard.plan.effects import ServiceEffect
from wizard.plan.service.base import ServiceManager, ServiceState


def _changes(actions: Sequence[Action]) -> bool:
    return any(not a.is_noop() for a in actions)


def record_service(ctx: ApplyContext, ctl: ServiceManager) -> None:
    """Journal the service's state before this apply changes it (once), for a later rollback."""
    if ctx.journal.service_effect(ctl.kind, ctl.name) is not None:
        return
    st = ctl.state()
    ctx.journal.record(
        ServiceEffect(
            manager=ctl.kind,
            name=ctl.name,
            config_dir=ctl.config_dir,
            installed=st.installed,
            active=st.active,
            enabled=st.enabled,
        )
    )


class ServiceSnapshot(Action):
    """First in the plan: notes whether the service ran; its undo (which runs last) restarts it."""

    kind = "check"

    def __init__(self, ctl: ServiceManager) -> None:
        self.ctl = ctl
        self.target = ctl.name
        self.dependents: list[Action] = []  # the service actions whose changes need a snapshot
        self.description = _("remember the current state of {name}").format(name=ctl.name)
        self.before: ServiceState | None = None

    def is_noop(self) -> bool:
        return not _changes(self.dependents)

    def preview(self) -> str:
        st = self.ctl.state()
        return _("now: {state} (restored if the apply fails)\n").format(
            state=st.active_state or _("not installed")
        )

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.before = self.ctl.state()
        ctx.log(
            _("{name} is {state}").format(
                name=self.ctl.name, state=self.before.active_state or _("not installed")
            )
        )

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is None:
            return
        self.ctl.reset_failed()
        if self.before.active:
            ctx.log(_("restarting {name} with the restored settings").format(name=self.ctl.name))
            self.ctl.restart()
            # Best effort: report, do not wait out a full health gate during a rollback.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not self.ctl.state().active:
                time.sleep(0.2)
            ctx.log(
                _("{name} is {state}").format(
                    name=self.ctl.name, state=self.ctl.state().active_state
                )
            )


class SetEnabled(Action):
    """Start at boot (or not); undo puts the previous setting back."""

    def __init__(self, ctl: ServiceManager, enabled: bool) -> None:
        self.ctl, self.want = ctl, enabled
        self.target = ctl.name
        self.description = _("enable {title} (start at boot)").format(title=ctl.title)
        if not enabled:
            self.description = _("disable {title} (no start at boot)").format(title=ctl.title)
        self.before: bool | None = None

    def is_noop(self) -> bool:
        return bool(self.ctl.state().enabled) == self.want

    def preview(self) -> str:
        return self.ctl.command_line("enable" if self.want else "disable")

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.before = bool(self.ctl.state().enabled)
        self.ctl.enable() if self.want else self.ctl.disable()

    def undo(self, ctx: ApplyContext) -> None:
        if self.before is not None and self.before != self.want:
            self.ctl.disable() if self.want else self.ctl.enable()


class EnsureRunning(Action):
    """Start the service, or restart it once when an action it depends on changed something."""

    def __init__(self, ctl: ServiceManager, depends_on: Sequence[Action]) -> None:
        self.ctl = ctl
        self.target = ctl.name
        self.depends_on = list(depends_on)
        self.description = _("start or restart {name}").format(name=ctl.name)
        self.was_active: bool | None = None

    def _active(self) -> bool:
        return self.ctl.state().active

    def is_noop(self) -> bool:
        return self._active() and not _changes(self.depends_on)

    def preview(self) -> str:
        if self._active():
            return self.ctl.command_line("restart") + _("(settings it reads changed)\n")
        return self.ctl.command_line("start")

    def apply(self, ctx: ApplyContext) -> None:
        record_service(ctx, self.ctl)
        self.was_active = self._active()
        if self.was_active:
            ctx.log(_("restarting {name}").format(name=self.ctl.name))
            self.ctl.restart()
        else:
            ctx.log(_("starting {name}").format(name=self.ctl.name))
            self.ctl.start()

    def undo(self, ctx: ApplyContext) -> None:
        if self.was_active is False:  # it was not running before: stop it
            self.ctl.stop()
            self.ctl.reset_failed()
        # was running: ServiceSnapshot restarts it once the old files are back
