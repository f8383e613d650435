"""The systemd manager's own plan actions: check the unit with `systemd-analyze verify`, install
it (and make systemd read it), and let a user's services run without a login (lingering)."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.core.i18n import _
from wizard.plan.actions import Action, ApplyContext, WriteFile
from wizard.plan.service.actions import record_service
from wizard.plan.service.unit import VerifyError, verify_unit

if TYPE_CHECKING:
    from wizard.plan.service.systemd import SystemdManager


class VerifyUnit(Action):
    """`systemd-analyze verify` of the new unit before it is installed (any warning fails)."""

    def __init__(self, name: str, content: str, *, scope: str, install: Action) -> None:
        self.name, self.content, self.scope, self.install = name, content, scope, install
        self.kind, self.target = "check", name
        self.description = _("check {name} with systemd-analyze verify").format(name=name)

    def is_noop(self) -> bool:
        return self.install.is_noop()

    def preview(self) -> str:
        user = " --user" if self.scope == "user" else ""
        return f"$ systemd-analyze verify{user} {self.name}  " + _("(any warning is a failure)\n")

    def apply(self, ctx: ApplyContext) -> None:
        try:
            verify_unit(self.name, self.content, scope=self.scope)
        except FileNotFoundError:
            ctx.log(_("systemd-analyze is not installed: the unit was not verified"))
        except VerifyError as exc:
            raise RuntimeError(
                _("systemd-analyze verify rejected {name}:\n{exc}").format(name=self.name, exc=exc)
            ) from exc


class InstallUnit(Action):
    """Write the unit file (journaled backup) and make systemd read it; undo restores and reloads."""

    def __init__(
        self,
        path: Path,
        content: str,
        ctl: SystemdManager,
        *,
        owner: tuple[int, int] | None,
        reload: bool = True,
    ) -> None:
        self.write = WriteFile(
            path, content.encode(), mode=0o644, owner=owner, why=_("service unit")
        )
        self.ctl = ctl
        self.kind, self.target = "file", str(path)
        self.reload = reload  # False when systemd is not running: the unit is written for later
        self.description = (
            _("install {path} and reload systemd") if reload else _("install {path}")
        ).format(path=path)

    def is_noop(self) -> bool:
        return self.write.is_noop()

    def preview(self) -> str:
        return self.write.preview() + (
            self.ctl.command_line("daemon-reload") if self.reload else ""
        )

    def apply(self, ctx: ApplyContext) -> None:
        if self.reload:  # systemd runs: a later rollback reloads it and restores the state
            record_service(ctx, self.ctl)
        self.write.apply(ctx)
        if self.reload:
            self.ctl.systemctl("daemon-reload")

    def undo(self, ctx: ApplyContext) -> None:
        self.write.undo(ctx)
        if self.reload:
            self.ctl.systemctl("daemon-reload")


class EnableLinger(Action):
    """`loginctl enable-linger USER`: a user's services run without a login and survive logout."""

    def __init__(self, user: str) -> None:
        self.user = self.target = user
        self.description = _(
            "let {user}'s services run without a login (loginctl enable-linger)"
        ).format(user=user)
        self.done = False

    def is_noop(self) -> bool:
        return Path("/var/lib/systemd/linger", self.user).exists()

    def preview(self) -> str:
        return f"$ loginctl enable-linger {shlex.quote(self.user)}\n"

    def apply(self, ctx: ApplyContext) -> None:
        try:
            r = subprocess.run(
                ["loginctl", "enable-linger", self.user],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
            err = (
                ""
                if r.returncode == 0
                else (r.stderr or r.stdout).strip() or f"status {r.returncode}"
            )
        except (OSError, subprocess.SubprocessError) as exc:
            err = str(exc)
        if err:
            # Not fatal: the service works, but only while the user is logged in.
            ctx.log(linger_explanation(self.user, err))
        else:
            self.done = True

    def undo(self, ctx: ApplyContext) -> None:
        if self.done:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["loginctl", "disable-linger", self.user], capture_output=True, timeout=30
                )


def linger_explanation(user: str, why: str) -> str:
    return _(
        "warning: could not enable lingering for {user} ({why}): the service starts only when "
        "{user} logs in and stops at logout; an admin can fix that with "
        "`sudo loginctl enable-linger {user}`"
    ).format(user=user, why=why)
