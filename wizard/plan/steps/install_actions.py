"""The install step's actions: make a venv (undo: remove it, journaled as a VenvEffect for a
later rollback), and pip install JupyterLab with its output streamed and folded into progress
(undo: the packages pip added go, the ones it changed come back to their earlier versions)."""

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
from pathlib import Path

from wizard.core.fileops import foreign_component, make_dirs, strict
from wizard.plan.actions import Action, ApplyContext, run_streaming
from wizard.plan.effects import VenvEffect, sha256
from wizard.plan.steps.pip_output import PipProgress, explain_pip_failure, pip_progress
from wizard.plan.steps.versions import PACKAGE

PIP_TIMEOUT = 1800.0


class CreateVenv(Action):
    """`python -m venv PATH`; undo removes the venv (and the directories made for it)."""

    def __init__(self, base_python: str, path: Path) -> None:
        self.base_python = base_python
        self.path = path
        self.target = str(path)
        self.description = f"create a venv for JupyterLab at {path}"
        self._created: list[Path] = []  # directories this action made, outermost first
        self._emptied = False  # the venv dir existed (empty): on undo, empty it again

    def preview(self) -> str:
        return (
            f"$ {shlex.join([self.base_python, '-m', 'venv', str(self.path)])}\n"
            f"(undo: remove {self.path})\n"
        )

    def is_noop(self) -> bool:
        return (self.path / "pyvenv.cfg").is_file()

    def apply(self, ctx: ApplyContext) -> None:
        if strict() and (foreign := foreign_component(self.path)) is not None:
            # validation said so; the machine may have changed since the plan
            raise RuntimeError(
                f"{foreign[0]} belongs to uid {foreign[1]}: not making a venv there as root"
            )
        self._emptied = self.path.is_dir()
        self._created = make_dirs(self.path)  # recorded before running: a cancel cleans up
        try:
            run_streaming(
                [self.base_python, "-m", "venv", str(self.path)], ctx, env=None, timeout=300
            )
        except RuntimeError as exc:
            raise RuntimeError(f"could not create the venv {self.path}: {exc}") from exc
        # For a later `rollback`: remove it then only while its pyvenv.cfg is still this one.
        ctx.journal.record(
            VenvEffect(
                path=str(self.path),
                pyvenv_sha256=sha256((self.path / "pyvenv.cfg").read_bytes()),
                created_dirs=[str(d) for d in self._created if d != self.path],
                existed_empty=self._emptied,
            )
        )

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
    """Normalised distribution name -> version, as that interpreter sees them."""
    out = subprocess.run(
        [python, "-I", "-c", _SNAPSHOT],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=True,
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


class PipInstall(Action):
    """`python -m pip install [--upgrade] jupyterlab...`, streamed; then `jupyter-lab --version`.

    Undo: in a venv made by the same plan, nothing (the venv goes). Elsewhere, the packages pip
    added are uninstalled and the ones it changed go back to the versions found before.
    """

    def __init__(
        self,
        python: str,
        requirement: str,
        *,
        upgrade: bool,
        previous: str | None,
        fresh: bool,
        lab_bin: str,
    ) -> None:
        self.python = python
        self.requirement = requirement
        self.upgrade = upgrade
        self.previous = previous  # the JupyterLab version before, shown and restored by undo
        self.fresh = fresh
        self.lab_bin = lab_bin
        self.argv = [
            python,
            "-m",
            "pip",
            "install",
            *(["--upgrade"] if upgrade else []),
            requirement,
        ]
        prefix = Path(python).parent.parent
        self.target = str(prefix)
        if previous:
            self.description = (
                f"{'upgrade' if upgrade else 'install'} {requirement} in {prefix} (now {previous})"
            )
        else:
            self.description = f"install {requirement} into {prefix} with pip"
        self._before: dict[str, str] | None = None

    def preview(self) -> str:
        out = f"$ {shlex.join(self.argv)}\n$ {shlex.join([self.lab_bin, '--version'])}\n"
        if self.fresh:
            return out
        if self.previous:
            return out + (
                f"(undo: pip install {PACKAGE}=={self.previous}, and the earlier versions of "
                "any package it changed)\n"
            )
        return out + "(undo: pip uninstall the packages it added)\n"

    def apply(self, ctx: ApplyContext) -> None:
        if not self.fresh:
            self._before = installed_packages(self.python)
        self.stream(self.argv, ctx, env=pip_env)
        try:
            run_streaming([self.lab_bin, "--version"], ctx, env=None, timeout=120)
        except RuntimeError as exc:
            raise RuntimeError(f"JupyterLab was installed but does not start: {exc}") from exc

    def stream(
        self, argv: list[str], ctx: ApplyContext, *, env: Callable[[str], dict[str, str]] | None
    ) -> None:
        """Run pip (argv), its output streamed and folded into progress reports; a failure
        comes back explained (PEP 668, disk, index, no match)."""
        lines: list[str] = []
        progress = PipProgress()

        def report(p: PipProgress) -> None:
            # A failed pip is finished, not indeterminate: the bar must stop moving.
            ctx.progress(0.0 if p.phase == "failed" else p.fraction, f"pip: {p.label()}")

        def log(line: str) -> None:
            nonlocal progress
            lines.append(line)
            ctx.log(line)
            folded = pip_progress(progress, line)
            if folded != progress:
                progress = folded
                report(progress)

        tmp = tempfile.mkdtemp(prefix="jsw-pip-")
        sub = ApplyContext(ctx.journal, log, ctx.cancelled, ctx.progress)
        report(progress)
        try:
            run_streaming(argv, sub, env=env(tmp) if env else None, timeout=PIP_TIMEOUT)
        except BaseException as exc:
            if progress.phase not in ("done", "failed"):
                report(dataclasses.replace(progress, phase="failed"))
            if isinstance(exc, RuntimeError):
                raise RuntimeError(explain_pip_failure(lines) or str(exc)) from exc
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def undo(self, ctx: ApplyContext) -> None:
        if self._before is None:
            return
        before, after = self._before, installed_packages(self.python)
        added = sorted(set(after) - set(before))
        changed = sorted(n for n, v in before.items() if after.get(n) != v)
        tmp = tempfile.mkdtemp(prefix="jsw-pip-")
        try:
            if added:
                argv = [self.python, "-m", "pip", "uninstall", "-y", *added]
                run_streaming(argv, ctx, env=pip_env(tmp), timeout=PIP_TIMEOUT)
            if changed:
                pins = [f"{n}=={before[n]}" for n in changed]
                argv = [self.python, "-m", "pip", "install", "--no-deps", *pins]
                run_streaming(argv, ctx, env=pip_env(tmp), timeout=PIP_TIMEOUT)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._before = None
