"""The install step's actions: make a venv (undo: remove it, journaled as a VenvEffect for a
later rollback), and install JupyterLab with pip or uv, its output streamed and folded into
progress (undo: the packages it added go, the ones it changed come back to their earlier
versions, with the installer that made the change)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wizard.core.fileops import foreign_component, make_dirs, strict
from wizard.core.i18n import _
from wizard.core.run_as import RunAs, as_its_owner, owner_of
from wizard.plan.actions import Action, ApplyContext, run_streaming
from wizard.plan.effects import PackagesEffect, VenvEffect, sha256
from wizard.plan.steps.installer import PackageSource
from wizard.plan.steps.pip_output import PipProgress, explain_pip_failure, pip_progress
from wizard.plan.steps.uv_output import explain_uv_failure, uv_progress
from wizard.plan.steps.versions import PACKAGE
from wizard.probe.installers import PipConfig

PIP_TIMEOUT = 1800.0


class CreateVenv(Action):
    """`python -m venv PATH` (or `uv venv --python BASE PATH`, the same venv without pip, in a
    blink); undo removes the venv (and the directories made for it)."""

    def __init__(self, base_python: str, path: Path, *, uv: str | None = None) -> None:
        self.base_python = base_python
        self.path = path
        self.target = str(path)
        self.uv = uv
        self.description = _("create a venv for JupyterLab at {path}").format(path=path)
        self._created: list[Path] = []  # directories this action made, outermost first
        self._emptied = False  # the venv dir existed (empty): on undo, empty it again

    def argv(self) -> list[str]:
        if self.uv:
            return [self.uv, "venv", "--python", self.base_python, str(self.path)]
        return [self.base_python, "-m", "venv", str(self.path)]

    def preview(self) -> str:
        return f"$ {shlex.join(self.argv())}\n(undo: remove {self.path})\n"

    def is_noop(self) -> bool:
        return (self.path / "pyvenv.cfg").is_file()

    def apply(self, ctx: ApplyContext) -> None:
        if strict() and (foreign := foreign_component(self.path)) is not None:
            # validation said so; the machine may have changed since the plan
            raise RuntimeError(
                _("{foreign} belongs to uid {foreign2}: not making a venv there as root").format(
                    foreign=foreign[0], foreign2=foreign[1]
                )
            )
        self._emptied = self.path.is_dir()
        self._created = make_dirs(self.path)  # recorded before running: a cancel cleans up
        try:
            self._make(ctx)
        except RuntimeError as exc:
            raise RuntimeError(
                _("could not create the venv {path}: {exc}").format(path=self.path, exc=exc)
            ) from exc
        # For a later `rollback`: remove it then only while its pyvenv.cfg is still this one.
        ctx.journal.record(
            VenvEffect(
                path=str(self.path),
                pyvenv_sha256=sha256((self.path / "pyvenv.cfg").read_bytes()),
                created_dirs=[str(d) for d in self._created if d != self.path],
                existed_empty=self._emptied,
            )
        )

    def _make(self, ctx: ApplyContext) -> None:
        if self.uv:
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}  # the base Python, no other
            try:
                run_streaming(self.argv(), ctx, env=env, timeout=300)
                return
            except RuntimeError as exc:
                ctx.log(
                    _("uv could not make the venv ({error}); making it with venv instead").format(
                        error=exc
                    )
                )
                self.uv = None
        run_streaming(self.argv(), ctx, env=None, timeout=300)

    def undo(self, ctx: ApplyContext) -> None:
        if self._created:
            shutil.rmtree(self._created[0], ignore_errors=False)
            self._created.clear()
        elif self._emptied:
            for child in self.path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            self._emptied = False


_SNAPSHOT = (
    "import json\nfrom importlib import metadata\n"
    "print(json.dumps({d.metadata['Name']: d.version for d in metadata.distributions()"
    " if d.metadata['Name']}))"
)


def installed_packages(python: str) -> dict[str, str]:
    """Normalised distribution name -> version, as that interpreter sees them (run as root: as
    the user who could change it, see owner_of)."""
    out = subprocess.run(
        [python, "-I", "-c", _SNAPSHOT],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=True,
        **as_its_owner(python),
    ).stdout
    raw: dict[str, str] = json.loads(out)
    return {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in raw.items()}


def pip_env(tmpdir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TMPDIR=tmpdir,  # pip's unpacked wheels go here; removed whatever happens
        PYTHONUNBUFFERED="1",  # so lines arrive as pip prints them
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PIP_PROGRESS_BAR="off",
    )
    return env


class InstallFailed(RuntimeError):
    """An installer failed; the message says why and what to do."""

    def __init__(self, message: str, *, try_pip: bool = False) -> None:
        super().__init__(message)
        self.try_pip = try_pip


@dataclass(frozen=True)
class InstallSpec:
    """What an install puts where, whichever installer runs it."""

    python: str  # the interpreter of the environment installed into
    requirement: str
    upgrade: bool
    previous: str | None  # the JupyterLab version before, shown and restored by undo
    fresh: bool  # into a venv the same plan made (undo: the venv goes)
    lab_bin: str
    source: PackageSource = field(default_factory=lambda: PackageSource(PipConfig()))
    as_user: RunAs | None = None  # whom the installer runs as (as root: the environment's owner)


def _uid(who: RunAs | None) -> int | None:
    return who.uid if who else None


def _name(who: RunAs | None) -> str:
    return who.name if who else "root"


class PipInstall(Action):
    """`python -m pip install [--upgrade] jupyterlab...`, streamed; then `jupyter-lab --version`.

    Undo: in a venv made by the same plan, nothing (the venv goes). Elsewhere, the packages pip
    added are uninstalled and the ones it changed go back to the versions found before.
    """

    tool = "pip"

    def __init__(self, spec: InstallSpec) -> None:
        self.spec = spec
        self.python = spec.python
        self.source = spec.source
        self.as_user = spec.as_user  # whom pip runs as (as root: the environment's owner)
        upgrade = ["--upgrade"] if spec.upgrade else []
        self.argv = [spec.python, "-m", "pip", "install", *upgrade, spec.requirement]
        prefix = Path(spec.python).parent.parent
        self.target = str(prefix)
        if spec.previous:
            text = (
                _("upgrade {requirement} in {prefix} (now {previous})")
                if spec.upgrade
                else _("install {requirement} in {prefix} (now {previous})")
            )
            self.description = text.format(
                requirement=spec.requirement, prefix=prefix, previous=spec.previous
            )
        else:
            self.description = _("install {requirement} into {prefix} with {tool}").format(
                requirement=spec.requirement, prefix=prefix, tool=self.tool
            )
        self._before: dict[str, str] | None = None
        self.used = self.tool  # the installer that made the changes (undo uses the same)

    def preview(self) -> str:
        return self._preview(self.argv)

    def command_line(self) -> str:
        """The install command as a person reads it (the first one tried)."""
        return shlex.join(self.argv)

    def _preview(self, argv: list[str]) -> str:
        out = f"$ {shlex.join(argv)}\n$ {shlex.join([self.spec.lab_bin, '--version'])}\n"
        if self.spec.fresh:
            return out
        if self.spec.previous:
            return out + _(
                "(undo: install {package}=={previous}, and the earlier versions of "
                "any package it changed)\n"
            ).format(package=PACKAGE, previous=self.spec.previous)
        return out + _("(undo: uninstall the packages it added)\n")

    def apply(self, ctx: ApplyContext) -> None:
        if not self.spec.fresh:
            self._before = installed_packages(self.python)
        self.install(ctx)
        try:
            run_streaming([self.spec.lab_bin, "--version"], ctx, env=None, timeout=120)
        except RuntimeError as exc:
            raise RuntimeError(
                _("JupyterLab was installed but does not start: {exc}").format(exc=exc)
            ) from exc

    def install(self, ctx: ApplyContext) -> None:
        self.used = "pip"
        self.stream(self.argv, ctx, env=self.pip_env)

    def pip_env(self, tmpdir: str) -> dict[str, str]:
        return {**pip_env(tmpdir), **self.source.pip_env()}

    def stream(
        self,
        argv: list[str],
        ctx: ApplyContext,
        *,
        env: Callable[[str], dict[str, str]] | None,
        tool: str = "pip",
    ) -> None:
        """Run the installer (argv), its output streamed and folded into progress reports; a
        failure comes back explained (PEP 668, disk, index, no match) as InstallFailed."""
        lines: list[str] = []
        fold = uv_progress if tool == "uv" else pip_progress
        progress = PipProgress(tool=tool)

        def report(p: PipProgress) -> None:
            # A failed install is finished, not indeterminate: the bar must stop moving.
            ctx.progress(0.0 if p.phase == "failed" else p.fraction, f"{tool}: {p.label()}")

        def log(line: str) -> None:
            nonlocal progress
            lines.append(line)
            ctx.log(line)
            folded = fold(progress, line)
            if folded != progress:
                progress = folded
                report(progress)

        tmp = self._tmpdir(f"jsw-{tool}-")
        sub = ApplyContext(ctx.journal, log, ctx.cancelled, ctx.progress)
        report(progress)
        try:
            run_streaming(
                argv,
                sub,
                env=env(tmp) if env else None,
                timeout=PIP_TIMEOUT,
                as_user=self.runner(),
            )
        except BaseException as exc:
            if progress.phase not in ("done", "failed"):
                report(dataclasses.replace(progress, phase="failed"))
            if isinstance(exc, RuntimeError):
                raise self._explain(tool, lines, exc) from exc
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def install_journaled(self, ctx: ApplyContext) -> None:
        """install() into an existing environment, journaled for a later rollback: the
        packages as they were before pip runs (a crash mid-install can still be undone), then
        what it added and changed."""
        before = installed_packages(self.python)
        self._before = before
        ctx.journal.record(PackagesEffect(python=self.python, before=before))
        self.install(ctx)
        after = installed_packages(self.python)
        ctx.journal.record(
            PackagesEffect(
                python=self.python,
                added=sorted(set(after) - set(before)),
                changed={n: v for n, v in before.items() if after.get(n) != v},
            )
        )

    def runner(self) -> RunAs | None:
        """Whom the installer runs as, asked just before it runs (as root: the environment's
        owner, see owner_of); refused when that is no longer whom the plan named."""
        now = owner_of(Path(self.python))
        if not self.spec.fresh and _uid(now) != _uid(self.as_user):
            raise RuntimeError(
                _(
                    "{target} belongs to {now} now, not {planned} as planned: nothing was "
                    "installed; review the plan again"
                ).format(target=self.target, now=_name(now), planned=_name(self.as_user))
            )
        return now

    def _tmpdir(self, prefix: str) -> str:
        """A private temp dir for the installer, its user's (made 0700, so nobody swaps it)."""
        tmp = tempfile.mkdtemp(prefix=prefix)
        who = self.runner()
        if who:
            os.chown(tmp, who.uid, who.gid)
        return tmp

    def _explain(self, tool: str, lines: list[str], exc: RuntimeError) -> InstallFailed:
        if tool == "uv":
            failure = explain_uv_failure(lines, self.source)
            return InstallFailed(failure.message, try_pip=failure.try_pip)
        message = explain_pip_failure(lines, self.source.timeout("pip"))
        return InstallFailed(message or str(exc))

    def undo(self, ctx: ApplyContext) -> None:
        if self._before is None:
            return
        before, after = self._before, installed_packages(self.python)
        added = sorted(set(after) - set(before))
        changed = sorted(n for n, v in before.items() if after.get(n) != v)
        self.restore(ctx, added, [f"{n}=={before[n]}" for n in changed])
        self._before = None

    def restore(self, ctx: ApplyContext, added: list[str], pins: list[str]) -> None:
        """Uninstall `added`, install `pins` (name==version) without their dependencies."""
        tmp = self._tmpdir("jsw-undo-")
        try:
            for argv, env in self.restore_commands(added, pins):
                run_streaming(argv, ctx, env=env(tmp), timeout=PIP_TIMEOUT, as_user=self.runner())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def restore_commands(
        self, added: list[str], pins: list[str]
    ) -> list[tuple[list[str], Callable[[str], dict[str, str]]]]:
        """The commands that remove `added` and put `pins` back, with the installer used."""
        out: list[tuple[list[str], Callable[[str], dict[str, str]]]] = []
        if added:
            out.append(([self.python, "-m", "pip", "uninstall", "-y", *added], self.pip_env))
        if pins:
            out.append(([self.python, "-m", "pip", "install", "--no-deps", *pins], self.pip_env))
        return out


class UvInstall(PipInstall):
    """`uv pip install --python PYTHON jupyterlab...` with pip's index settings carried over;
    a resolution error or a missing wheel falls back to pip once (and says so), an index that
    does not answer stops, naming it. Undo as PipInstall's, with uv when uv made the change."""

    tool = "uv"

    def __init__(self, uv: str, spec: InstallSpec) -> None:
        super().__init__(spec)
        self.uv = uv
        # A fresh venv is uv's own, without pip: add it, as `python -m venv` would.
        self.seed_pip = spec.fresh
        self.uv_argv = [
            *self._uv("install"),
            *spec.source.uv_args(),
            *(["--upgrade-package", PACKAGE] if spec.upgrade else []),
            spec.requirement,
            *(["pip"] if self.seed_pip else []),
        ]

    def _uv(self, command: str) -> list[str]:
        return [self.uv, "pip", command, "--python", self.python]

    def command_line(self) -> str:
        return shlex.join(self.uv_argv)

    def preview(self) -> str:
        out = self._preview(self.uv_argv)
        return out + _(
            "(packages from {source}; if uv cannot resolve or finds no wheel: pip, once)\n"
        ).format(source=self.source.describe())

    def uv_env(self, tmpdir: str) -> dict[str, str]:
        return {**os.environ, "TMPDIR": tmpdir, "UV_NO_PROGRESS": "1", **self.source.uv_env()}

    def install(self, ctx: ApplyContext) -> None:
        self.used = "uv"
        try:
            self.stream(self.uv_argv, ctx, env=self.uv_env, tool="uv")
            return
        except InstallFailed as exc:
            if not exc.try_pip:
                raise
            ctx.log(f"{exc}\n" + _("uv could not install JupyterLab: trying pip once"))
        if self.seed_pip:  # the venv uv made has no pip yet: venv's own way to add it
            run_streaming(
                [self.python, "-m", "ensurepip", "--default-pip"], ctx, env=None, timeout=300
            )
        super().install(ctx)

    def restore_commands(
        self, added: list[str], pins: list[str]
    ) -> list[tuple[list[str], Callable[[str], dict[str, str]]]]:
        if self.used != "uv":
            return super().restore_commands(added, pins)
        out: list[tuple[list[str], Callable[[str], dict[str, str]]]] = []
        if added:
            out.append(([*self._uv("uninstall"), *added], self.uv_env))
        if pins:
            out.append(
                ([*self._uv("install"), *self.source.uv_args(), "--no-deps", *pins], self.uv_env)
            )
        return out


def install_action(uv: str | None, spec: InstallSpec) -> PipInstall:
    """The install with uv when given its executable, else pip."""
    return UvInstall(uv, spec) if uv else PipInstall(spec)
