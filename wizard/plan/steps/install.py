"""Install step: which Python environment runs JupyterLab, and installing it there.

Actions (`[install] action`):
- keep: use `[jupyter] python` as it is (it must have JupyterLab);
- install / upgrade: `python -m pip install [--upgrade] jupyterlab` into that environment;
- create-venv: make a dedicated venv (default under the user's data dir) and install there.
  `[jupyter] python` is then the new venv's interpreter (or "", which means the same).

pip runs as a plan action whose output streams line by line (`pip_progress` turns those lines
into a progress figure for the UI). Undo: a venv the wizard created is removed; an install into
an existing environment is reversed from a snapshot of its packages taken just before.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wizard.apply.journal import VenvEffect, sha256
from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import nearest_existing
from wizard.plan.actions import Action, ApplyContext, run_streaming
from wizard.plan.plan import Plan
from wizard.probe.environments import Environment, default_venv_path
from wizard.probe.facts import Facts
from wizard.probe.interpreter import Interpreter, inspect_interpreter
from wizard.probe.jupyter_config import scan_config_dirs

ACTIONS = ("keep", "install", "upgrade", "create-venv")
PACKAGE = "jupyterlab"
MIN_PYTHON = (3, 9)  # JupyterLab 4's floor
# A JupyterLab venv is ~250 MB; pip also needs room for wheels while it installs.
NEED_FREE_BYTES = 400 * 1024 * 1024
NEED_FREE_TMP_BYTES = 150 * 1024 * 1024
PIP_TIMEOUT = 1800.0

# --- answers -> what they mean --------------------------------------------------------------------


def venv_path_of(answers: Answers) -> Path:
    return Path(answers.install.venv_path) if answers.install.venv_path else default_venv_path()


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def default_base_python() -> str:
    """The Python a new venv is made from: the one running the wizard (its base, not its venv)."""
    return str(getattr(sys, "_base_executable", "") or sys.executable)


def resolve_answers(answers: Answers) -> Answers:
    """Answers with the defaults filled in, as they will be saved after an apply.

    With create-venv: `venv_path` becomes absolute and `[jupyter] python` the venv's interpreter.
    """
    if answers.install.action != "create-venv":
        return answers
    venv = venv_path_of(answers)
    out = answers.replace("install", venv_path=str(venv))
    if not answers.jupyter.python:
        out = out.replace("jupyter", python=str(venv_python(venv)))
    return out


def target_facts(answers: Answers, facts: Facts) -> Facts:
    """The facts about the interpreter JupyterLab will run from.

    For create-venv that interpreter may not exist yet: it is predicted from the base Python
    (what `python -m venv` will make), so the later steps (config paths, the service's
    jupyter-lab) plan against the venv. Raises InputError when the base Python cannot be run.
    """
    if answers.install.action != "create-venv":
        return facts
    venv = venv_path_of(answers)
    if not venv.is_absolute():
        return facts  # validate() reports it
    target = venv_python(venv)
    if (
        facts.base_interpreter is not None
        and facts.interpreter is not None
        and facts.interpreter.executable == str(target)
    ):
        return facts  # already done
    base_python = answers.install.base_python or default_base_python()
    try:
        base = inspect_interpreter(base_python)
    except InputError as exc:
        message = str(exc).split(": ", 1)[-1]
        raise InputError([Problem("install.base_python", message)]) from exc
    if (venv / "pyvenv.cfg").is_file() and target.exists():
        interp = inspect_interpreter(str(target))  # made earlier (a re-run): ask it
    else:
        interp = predict_venv(base, venv)
    new = dataclasses.replace(facts, interpreter=interp, base_interpreter=base)
    new.config_files = scan_config_dirs(new.config_dirs, ours=new.config_dir)
    return new


def predict_venv(base: Interpreter, venv: Path) -> Interpreter:
    """What `base -m venv venv` will be, by the same rules Jupyter and venv follow."""
    env_dir = str(venv / "etc" / "jupyter")
    prefer_env = os.environ.get("JUPYTER_PREFER_ENV_PATH", "1").lower()
    user = base.config_dir
    head = [env_dir, user] if prefer_env not in ("0", "false", "no", "off", "") else [user, env_dir]
    config_path = list(dict.fromkeys([*head, "/usr/local/etc/jupyter", "/etc/jupyter"]))
    return Interpreter(
        executable=str(venv_python(venv)),
        python_version=base.python_version,
        prefix=str(venv),
        is_venv=True,
        is_conda=False,
        externally_managed=False,
        has_pip=True,  # ensurepip puts it there
        has_venv=base.has_venv,
        scripts_dir=str(venv / "bin"),
        versions={},
        config_path=config_path,
        config_dir=base.config_dir,
        runtime_dir=base.runtime_dir,
    )


# --- defaults from facts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    action: str
    python: str  # "" with create-venv: the venv's own interpreter
    venv_path: str
    why: str

    def to_answers(self, answers: Answers) -> Answers:
        out = answers.replace("install", action=self.action, venv_path=self.venv_path)
        return resolve_answers(out.replace("jupyter", python=self.python))


def suggest(envs: list[Environment]) -> Suggestion:
    """The sensible default: an environment that already has JupyterLab, else a dedicated venv."""
    with_lab = [e for e in envs if e.jupyterlab_version]
    if with_lab:
        best = max(with_lab, key=lambda e: (_version_key(e.jupyterlab_version or "0"), e.pip_ok))
        return Suggestion(
            "keep",
            best.python,
            "",
            f"{best.python} already has JupyterLab {best.jupyterlab_version}",
        )
    venv = default_venv_path()
    return Suggestion(
        "create-venv",
        "",
        str(venv),
        f"no environment has JupyterLab: a dedicated venv at {venv} keeps it apart from the system's Python",
    )


# --- version specs --------------------------------------------------------------------------------

_VERSION = r"\d+(?:\.\d+)*(?:\.\*)?(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?"
_CLAUSE_RE = re.compile(rf"^\s*(===|==|~=|!=|<=|>=|<|>)?\s*({_VERSION})\s*$")


def requirement(spec: str) -> str:
    """'jupyterlab' plus the spec; a bare version means exactly that version."""
    spec = spec.strip()
    if not spec:
        return PACKAGE
    clauses = [c.strip() for c in spec.split(",")]
    if len(clauses) == 1 and not re.match(r"^[<>=!~]", clauses[0]):
        clauses = [f"=={clauses[0]}"]
    return PACKAGE + ",".join(clauses)


def spec_problem(spec: str) -> str | None:
    if not spec.strip():
        return None
    for clause in spec.split(","):
        if not _CLAUSE_RE.match(clause):
            return f"{spec!r} is not a version spec (examples: 4.2.5, >=4.2, ~=4.2.0, >=4,<5)"
    return None


def _version_key(version: str) -> tuple[tuple[int, ...], int]:
    m = re.match(r"(\d+(?:\.\d+)*)(.*)", version)
    if not m:
        return ((0,), 0)
    release = tuple(int(x) for x in m.group(1).split("."))
    release = release + (0,) * (6 - len(release))
    pre = 0 if re.match(r"\.?(a|b|rc|dev)", m.group(2)) else 1
    return (release, pre)


def satisfies(version: str, spec: str) -> bool:
    """Does an installed version meet the spec? (PEP 440's common cases, no packaging needed)."""
    for clause in requirement(spec)[len(PACKAGE) :].split(","):
        if not clause:
            continue
        m = _CLAUSE_RE.match(clause)
        if not m:
            return False
        op, want = m.group(1) or "==", m.group(2)
        if want.endswith(".*"):
            prefix = want[:-2].split(".")
            equal = version.split(".")[: len(prefix)] == prefix
            if (op == "==" and not equal) or (op == "!=" and equal):
                return False
            continue
        have, need = _version_key(version), _version_key(want)
        ok = {
            "==": have == need,
            "===": version == want,
            "!=": have != need,
            "<=": have <= need,
            ">=": have >= need,
            "<": have < need,
            ">": have > need,
            "~=": have >= need
            and have[0][: len(want.split(".")) - 1] == need[0][: len(want.split(".")) - 1],
        }[op]
        if not ok:
            return False
    return True


# --- validation -----------------------------------------------------------------------------------


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(nearest_existing(path)).free


def _space_problem(field: str, where: Path, need: int) -> Problem | None:
    try:
        free = free_bytes(where)
    except OSError:
        return None
    if free >= need:
        return None
    return Problem(
        field,
        f"not enough disk space for JupyterLab at {where}: {free // 2**20} MiB free, "
        f"about {need // 2**20} MiB needed; free some space or choose another place",
    )


def venv_apt_package(base: Interpreter) -> str:
    """Debian's package that brings `venv` and `ensurepip` for this interpreter."""
    if base.executable == "/usr/bin/python3" or not base.prefix.startswith("/usr"):
        return "python3-venv"
    major_minor = ".".join(base.python_version.split(".")[:2])
    return f"python{major_minor}-venv"


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    ins = answers.install
    problems: list[Problem] = []
    if ins.action not in ACTIONS:
        return [Problem("install.action", f"must be one of: {', '.join(ACTIONS)}")]
    bad_spec = spec_problem(ins.version)
    if bad_spec:
        problems.append(Problem("install.version", bad_spec))
    if ins.action == "create-venv":
        return problems + _validate_create_venv(answers, facts)
    interp = facts.interpreter
    if interp is None:
        return [*problems, _missing_python(answers.jupyter.python)]
    if ins.action == "keep":
        if not interp.jupyterlab_version:
            problems.append(
                Problem(
                    "jupyter.python",
                    f"{interp.executable} has no JupyterLab: choose install.action = install "
                    "(pip installs it there) or create-venv (a dedicated venv)",
                )
            )
        elif ins.version and not bad_spec and not satisfies(interp.jupyterlab_version, ins.version):
            problems.append(
                Problem(
                    "install.version",
                    f"JupyterLab {interp.jupyterlab_version} in {interp.executable} does not "
                    f"match {ins.version!r}: choose install.action = upgrade, or clear the version",
                )
            )
        return problems
    # install / upgrade into an existing environment
    if interp.externally_managed:
        problems.append(
            Problem(
                "install.action",
                f"{interp.executable} is externally managed by the system (PEP 668): pip refuses "
                "to install there. Choose install.action = create-venv (a dedicated venv)",
            )
        )
    elif not interp.has_pip:
        problems.append(
            Problem(
                "install.action",
                f"{interp.executable} has no pip: choose install.action = create-venv",
            )
        )
    else:
        p = _space_problem("install.action", Path(interp.prefix), NEED_FREE_BYTES)
        problems += [p] if p else []
    return problems


def _missing_python(python: str) -> Problem:
    if not python:
        return Problem("jupyter.python", "no Python interpreter chosen")
    if not Path(python).is_absolute():
        return Problem("jupyter.python", f"{python!r} is not an absolute path")
    return Problem(
        "jupyter.python",
        f"{python} does not exist: choose an interpreter that does, or install.action = create-venv",
    )


def _validate_create_venv(answers: Answers, facts: Facts) -> list[Problem]:
    venv = venv_path_of(answers)
    if not venv.is_absolute():
        return [Problem("install.venv_path", f"{venv} is not an absolute path")]
    problems: list[Problem] = []
    target = venv_python(venv)
    if answers.jupyter.python and Path(answers.jupyter.python) != target:
        problems.append(
            Problem(
                "jupyter.python",
                f"with install.action = create-venv this is the new venv's interpreter ({target}) "
                "or empty; put the Python that makes the venv in install.base_python",
            )
        )
    exists = (venv / "pyvenv.cfg").is_file()
    if not exists and venv.exists():
        if not venv.is_dir():
            problems.append(
                Problem(
                    "install.venv_path",
                    f"{venv} exists and is not a directory; choose another path",
                )
            )
        elif any(venv.iterdir()):
            problems.append(
                Problem(
                    "install.venv_path",
                    f"{venv} exists and is not empty (and not a venv); choose another path",
                )
            )
    base = facts.base_interpreter
    if base is None:
        try:
            base = inspect_interpreter(answers.install.base_python or default_base_python())
        except InputError as exc:
            return [*problems, Problem("install.base_python", str(exc).split(": ", 1)[-1])]
    if not exists:
        version = tuple(int(x) for x in base.python_version.split(".")[:2])
        if version < MIN_PYTHON:
            problems.append(
                Problem(
                    "install.base_python",
                    f"{base.executable} is Python {base.python_version}; JupyterLab needs "
                    f"{'.'.join(map(str, MIN_PYTHON))} or newer",
                )
            )
        if not base.has_venv:
            pkg = venv_apt_package(base)
            problems.append(
                Problem(
                    "install.base_python",
                    f"{base.executable} cannot make venvs (no venv/ensurepip module). On Debian/"
                    f"Ubuntu: sudo apt install {pkg} — or set install.base_python to another Python",
                )
            )
        where = nearest_existing(venv.parent)
        if where.exists() and not os.access(where, os.W_OK | os.X_OK):
            problems.append(
                Problem("install.venv_path", f"cannot create {venv}: {where} is not writable")
            )
        p = _space_problem("install.venv_path", venv, NEED_FREE_BYTES)
        problems += [p] if p else []
    if not exists or not (facts.interpreter and facts.interpreter.jupyterlab_version):
        p = _space_problem("install", Path(tempfile.gettempdir()), NEED_FREE_TMP_BYTES)
        problems += [p] if p else []
    return problems


# --- planning -------------------------------------------------------------------------------------


def plan_install(plan: Plan, answers: Answers, facts: Facts) -> None:
    """Append the actions that put the chosen JupyterLab in place ("keep": none)."""
    ins = answers.install
    interp = facts.interpreter
    if ins.action == "keep" or interp is None:
        return
    installed = interp.jupyterlab_version
    fresh = False
    if ins.action == "create-venv":
        venv = venv_path_of(answers)
        base = facts.base_interpreter
        create = CreateVenv(base.executable if base else default_base_python(), venv)
        fresh = not create.is_noop()
        if fresh:
            plan.note("info", f"JupyterLab will go into a new venv at {venv}")
        plan.actions.append(create)
    if ins.action != "upgrade" and installed and satisfies(installed, ins.version):
        plan.note("info", f"JupyterLab {installed} is already installed in {interp.prefix}")
        return
    plan.actions.append(
        PipInstall(
            interp.executable,
            requirement(ins.version),
            upgrade=ins.action == "upgrade",
            previous=installed,
            fresh=fresh,
            lab_bin=interp.jupyter_lab_bin,
        )
    )
    if not fresh:
        plan.note(
            "info",
            f"pip changes {interp.prefix}; if the apply fails it puts back the package versions it found",
        )


# --- actions --------------------------------------------------------------------------------------


class CreateVenv(Action):
    """`python -m venv PATH`; undo removes the venv (and the directories made for it)."""

    def __init__(self, base_python: str, path: Path) -> None:
        self.base_python = base_python
        self.path = path
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
        missing: list[Path] = []
        p = self.path
        while not p.exists():
            missing.append(p)
            p = p.parent
        self._emptied = self.path.is_dir()
        for d in reversed(missing):  # recorded before running, so a cancel still cleans up
            d.mkdir(mode=0o755)
            self._created.append(d)
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


# --- pip's output ---------------------------------------------------------------------------------

_NETWORK_SIGNS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Connection refused",
    "Temporary failure in name resolution",
    "Name or service not known",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "Network is unreachable",
)


def _indexes(lines: list[str]) -> list[str]:
    """The index URLs pip said it looks in (its own view of pip.conf and PIP_INDEX_URL)."""
    for line in lines:
        if line.startswith("Looking in indexes:"):
            return [u.strip() for u in line.split(":", 1)[1].split(",") if u.strip()]
    return [os.environ["PIP_INDEX_URL"]] if os.environ.get("PIP_INDEX_URL") else []


def index_reachable(url: str, timeout: float = 3.0) -> bool:
    """Can a connection to this index be opened at all? (file:// indexes: does the dir exist)"""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(parts.path).exists()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return True  # not ours to judge
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def explain_pip_failure(lines: list[str]) -> str | None:
    """A clear message, with the way forward, for the ways pip commonly fails."""
    text = "\n".join(lines)
    tail = "\n".join(line for line in lines[-4:] if line.strip())
    if "externally-managed-environment" in text:
        return (
            "pip refused: this Python is externally managed by the system (PEP 668). "
            "Choose install.action = create-venv to install into a dedicated venv."
        )
    if "No space left on device" in text:
        return "pip ran out of disk space; free some space (or choose another place) and try again."
    unreachable: list[str] = []
    if "(from versions: none)" in text and not any(
        os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
    ):
        # With retries off pip does not say why it found nothing: look ourselves.
        unreachable = [u for u in _indexes(lines) if not index_reachable(u)]
    if unreachable or any(sign in text for sign in _NETWORK_SIGNS):
        where = f" ({', '.join(unreachable)})" if unreachable else ""
        return (
            f"the package index{where} could not be reached, so nothing was installed. "
            "Check the network, a proxy (HTTPS_PROXY) or pip's index setting (PIP_INDEX_URL, "
            f"pip.conf), then try again.\npip said: {tail}"
        )
    if "No matching distribution found" in text or "Could not find a version" in text:
        return (
            "pip found no JupyterLab matching the version spec (check install.version) "
            f"in its package index.\npip said: {tail}"
        )
    return None


@dataclass(frozen=True)
class PipProgress:
    """Where a pip install is, from its output so far: enough for a progress line and bar."""

    phase: str = "starting"  # starting | collecting | downloading | installing | done | failed
    collected: int = 0  # packages resolved so far
    downloaded: int = 0  # files downloaded so far
    installing: int = 0  # packages in "Installing collected packages" (known from then on)
    current: str = ""  # the package the last line was about

    @property
    def fraction(self) -> float | None:
        """0..1 once there is a total to measure against; None while pip is still resolving."""
        if self.phase == "done":
            return 1.0
        if self.phase == "installing":
            return 0.9
        return None

    def label(self) -> str:
        if self.phase == "collecting":
            return f"Resolving: {self.collected} packages so far ({self.current})"
        if self.phase == "downloading":
            return f"Downloading {self.current} ({self.downloaded} files so far)"
        if self.phase == "installing":
            return f"Installing {self.installing} packages"
        if self.phase == "done":
            return f"Installed {self.installing or self.collected} packages"
        if self.phase == "failed":
            return "pip failed"
        return "Starting pip"


_COLLECT_RE = re.compile(r"^(?:Collecting|Processing) (\S+)")
_DOWNLOAD_RE = re.compile(r"^\s*(?:Downloading|Using cached) (\S+)")
_INSTALLING_RE = re.compile(r"^Installing collected packages: (.*)$")


def pip_progress(state: PipProgress, line: str) -> PipProgress:
    """Fold one line of pip's output into the progress (pure: no I/O, never raises)."""
    line = line.rstrip()
    if m := _COLLECT_RE.match(line):
        # "Collecting tornado>=6" or "Processing /path/tornado-6.4-cp38-abi3-linux.whl"
        name = m.group(1).rsplit("/", 1)[-1]
        name = re.split(r"[<>=!~\[;]", name, maxsplit=1)[0]
        if name.endswith((".whl", ".tar.gz", ".zip")):
            name = name.split("-", 1)[0]
        return dataclasses.replace(
            state, phase="collecting", collected=state.collected + 1, current=name
        )
    if m := _DOWNLOAD_RE.match(line):
        name = m.group(1).rsplit("/", 1)[-1]
        return dataclasses.replace(
            state, phase="downloading", downloaded=state.downloaded + 1, current=name
        )
    if m := _INSTALLING_RE.match(line):
        names = [n for n in m.group(1).split(", ") if n]
        return dataclasses.replace(state, phase="installing", installing=len(names), current="")
    if line.startswith("Successfully installed") or (
        line.startswith("Requirement already satisfied") and state.phase == "starting"
    ):
        return dataclasses.replace(state, phase="done", current="")
    if line.startswith("ERROR:"):
        return dataclasses.replace(state, phase="failed")
    return state
