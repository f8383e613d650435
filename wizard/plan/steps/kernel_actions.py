"""The kernels step's action that changes an environment: ipykernel into it, with pip, as the
environment's owner. Undo (in the same apply) as any install into an existing environment: the
packages it added go, the ones it changed come back; journaled as a PackagesEffect, so a later
`rollback` does the same."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from wizard.core.i18n import _
from wizard.core.run_as import RunAs, owner_of
from wizard.plan.actions import Action, ApplyContext, run_streaming
from wizard.plan.effects import PackagesEffect
from wizard.plan.steps.install_actions import InstallSpec, PipInstall, installed_packages
from wizard.plan.steps.installer import PackageSource
from wizard.probe.installers import PipConfig

IPYKERNEL = "ipykernel"


class InstallIpykernel(PipInstall):
    """`python -m pip install ipykernel`, then `python -c "import ipykernel"`."""

    def __init__(self, python: str, *, as_user: RunAs | None = None, index_url: str = "") -> None:
        super().__init__(
            InstallSpec(
                python,
                IPYKERNEL,
                upgrade=False,
                previous=None,
                fresh=False,
                lab_bin="",
                # pip reads its own configuration as its user; the answers' index goes on top
                source=PackageSource(PipConfig(), index_url),
                as_user=as_user,
            )
        )
        who = _(" as {user}").format(user=as_user.name) if as_user else ""
        self.description = _("install ipykernel into {target}{who} (for its kernel)").format(
            target=self.target, who=who
        )

    def check_argv(self) -> list[str]:
        return [self.python, "-c", "import ipykernel"]

    def _preview(self, argv: list[str]) -> str:
        return f"$ {shlex.join(argv)}\n$ {shlex.join(self.check_argv())}\n" + _(
            "(undo: uninstall the packages it added)\n"
        )

    def apply(self, ctx: ApplyContext) -> None:
        self.install_journaled(ctx)
        try:
            run_streaming(self.check_argv(), ctx, env=None, timeout=120, as_user=self.runner())
        except RuntimeError as exc:
            raise RuntimeError(
                _("ipykernel was installed but does not import: {exc}").format(exc=exc)
            ) from exc


class RestorePackages(Action):
    """A rollback's: the packages an apply put into an environment go, the ones it changed come
    back to their earlier versions (as the environment's owner). Not undoable by a rollback of
    the rollback (apply the answers again for that)."""

    def __init__(self, eff: PackagesEffect, jid: str) -> None:
        self.eff = eff
        self.target = eff.python
        as_user = owner_of(Path(eff.python))
        self.pip = PipInstall(
            InstallSpec(
                eff.python,
                "",
                upgrade=False,
                previous=None,
                fresh=False,
                lab_bin="",
                as_user=as_user,
            )
        )
        self.description = _("remove the packages apply {jid} installed into {python}").format(
            jid=jid, python=eff.python
        )

    def _restores(self, now: dict[str, str] | None) -> tuple[list[str], list[str]]:
        """(packages to remove, name==version to put back); `now`: what is installed now
        (None: not looked at, as the preview of a full account needs not)."""
        eff = self.eff
        if eff.before is not None:  # the install was cut short: whatever is new since
            now = installed_packages(eff.python) if now is None else now
            added = [n for n in now if n not in eff.before]
            return added, [f"{n}=={v}" for n, v in eff.before.items() if now.get(n) != v]
        added = [n for n in eff.added if now is None or n in now]
        pins = [f"{n}=={v}" for n, v in eff.changed.items() if now is None or now.get(n) != v]
        return added, pins

    def is_noop(self) -> bool:
        if not os.path.exists(self.eff.python):
            return True
        if self.eff.before is not None:
            return self._restores(None) == ([], [])
        return not (self.eff.added or self.eff.changed)

    def preview(self) -> str:
        added, pins = self._restores(None)
        return "".join(
            f"$ {shlex.join(argv)}\n" for argv, _env in self.pip.restore_commands(added, pins)
        )

    def apply(self, ctx: ApplyContext) -> None:
        added, pins = self._restores(installed_packages(self.eff.python))
        self.pip.restore(ctx, added, pins)
