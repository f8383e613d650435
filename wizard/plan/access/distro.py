"""The distribution's packages an access method needs (certbot), installed with apt-get when the
person consents (answers `access.install_certbot`), and removed again by the undo or a later
rollback when, and only when, the apply installed them.

What was installed is found from dpkg before and after (certbot brings its Python modules);
the package asked for is journaled before apt-get runs, so an apply killed mid-install is still
undone, then the full list once apt-get is done.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence

from wizard.core.i18n import _
from wizard.plan.actions import Action, ApplyContext, run_streaming
from wizard.plan.effects import SystemPackagesEffect

TIMEOUT = 900.0


def apt_env() -> dict[str, str]:
    """apt-get with no question on the terminal (the apply's own output is the log)."""
    return {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def installed_packages() -> set[str] | None:
    """The names of the packages dpkg says are installed; None without dpkg."""
    try:
        r = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\n"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode not in (0, 1):  # 1: some pattern matched nothing
        return None
    out = set()
    for line in r.stdout.splitlines():
        name, _, state = line.partition("\t")
        if state == "installed":
            out.add(name.split(":", 1)[0])
    return out


def can_install() -> str | None:
    """Why apt-get cannot install here (None: it can)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        return _("this system has no apt-get")
    return None  # root: the caller's check (certbot needs it anyway)


class InstallPackage(Action):
    """`apt-get install -y PACKAGE` of the distribution, for `command` (a no-op once it is on
    PATH). Undo, and a later rollback: `apt-get remove -y` of what this install added."""

    def __init__(self, package: str, command: str, why: str) -> None:
        self.package, self.command = package, command
        self.target = package
        self.description = _("install the distribution's {package} ({why})").format(
            package=package, why=why
        )
        self._added: list[str] = []

    def argv(self) -> list[str]:
        return ["apt-get", "install", "-y", self.package]

    def is_noop(self) -> bool:
        return shutil.which(self.command) is not None

    def preview(self) -> str:
        return f"$ {shlex.join(self.argv())}\n" + _(
            "(undo and rollback: remove what it installed)\n"
        )

    def apply(self, ctx: ApplyContext) -> None:
        if self.is_noop():
            return
        before = installed_packages() or set()
        effect = SystemPackagesEffect([self.package])
        ctx.journal.record(effect)  # before apt-get runs: a crash mid-install is undone too
        self._added = [self.package]
        try:
            run_streaming(self.argv(), ctx, env=apt_env(), timeout=TIMEOUT)
        finally:
            after = installed_packages()
            if after is not None:
                added = sorted(after - before)
                self._added = added or ([self.package] if self.package in after else [])
                effect.packages = list(self._added)
                ctx.journal.save()
        if shutil.which(self.command) is None:
            raise RuntimeError(
                _("apt-get installed {package}, but {command} is not on PATH").format(
                    package=self.package, command=self.command
                )
            )

    def undo(self, ctx: ApplyContext) -> None:
        if self._added:
            RemovePackages(self._added, _("this apply had installed them")).apply(ctx)


class RemovePackages(Action):
    """`apt-get remove -y` of packages an apply installed (those still installed)."""

    def __init__(self, packages: Sequence[str], why: str) -> None:
        self.packages = list(packages)
        self.target = ", ".join(self.packages)
        self.description = _("remove {target} ({why})").format(target=self.target, why=why)

    def _present(self) -> list[str]:
        now = installed_packages()
        return [p for p in self.packages if now is None or p in now]

    def argv(self, packages: Sequence[str] | None = None) -> list[str]:
        return ["apt-get", "remove", "-y", *(self.packages if packages is None else packages)]

    def is_noop(self) -> bool:
        return not self.packages or not self._present()

    def preview(self) -> str:
        return f"$ {shlex.join(self.argv())}\n"

    def apply(self, ctx: ApplyContext) -> None:
        present = self._present()
        if present:
            run_streaming(self.argv(present), ctx, env=apt_env(), timeout=TIMEOUT)

    # undo: none (install them again by applying again)
