"""Install step: which Python environment runs JupyterLab, and installing it there.

Actions (`[install] action`):
- keep: use `[jupyter] python` as it is (it must have JupyterLab);
- install / upgrade: `python -m pip install [--upgrade] jupyterlab` into that environment;
- create-venv: make a dedicated venv (default under the user's data dir; under /opt when root
  makes it) and install there. `[jupyter] python` is then the new venv's interpreter.

Here: what the answers mean, their validation and the plan; the actions (venv, pip, undo) are
in install_actions.py, what pip's output says in pip_output.py, version specs in versions.py.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import UnsafePath, foreign_component, nearest_existing
from wizard.core.i18n import _
from wizard.core.run_as import owner_of
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps import language_pack
from wizard.plan.steps.install_actions import CreateVenv, InstallSpec, install_action
from wizard.plan.steps.installer import (
    PackageSource,
    chosen_installer,
    installer_problem,
    venv_pip_conf,
)
from wizard.plan.steps.versions import requirement, satisfies, spec_problem, version_key
from wizard.probe.environments import Environment, default_venv_path
from wizard.probe.facts import Facts
from wizard.probe.installers import read_pip_config
from wizard.probe.interpreter import Interpreter, inspect_interpreter
from wizard.probe.jupyter_config import scan_config_dirs

ACTIONS = ("keep", "install", "upgrade", "create-venv")
MIN_PYTHON = (3, 9)  # JupyterLab 4's floor
# A JupyterLab venv is ~250 MB; pip also needs room for wheels while it installs.
NEED_FREE_BYTES = 400 * 1024 * 1024
NEED_FREE_TMP_BYTES = 150 * 1024 * 1024

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
        best = max(with_lab, key=lambda e: (version_key(e.jupyterlab_version or "0"), e.pip_ok))
        return Suggestion(
            "keep",
            best.python,
            "",
            _("{python} already has JupyterLab {version}").format(
                python=best.python, version=best.jupyterlab_version
            ),
        )
    venv = default_venv_path()
    return Suggestion(
        "create-venv",
        "",
        str(venv),
        _(
            "no environment has JupyterLab: a dedicated venv at {venv} keeps it apart from the "
            "system's Python"
        ).format(venv=venv),
    )


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
        _(
            "not enough disk space for JupyterLab at {where}: {free} MiB free, about {need} MiB needed; free some space or choose another place"
        ).format(where=where, free=free // 2**20, need=need // 2**20),
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
        return [
            Problem("install.action", _("must be one of: {items}").format(items=", ".join(ACTIONS)))
        ]
    bad_spec = spec_problem(ins.version)
    if bad_spec:
        problems.append(Problem("install.version", bad_spec))
    installs = ins.action != "keep" or bool(ins.language_pack)
    if installs and (bad := installer_problem(answers, facts.uv)):
        problems.append(bad)
    problems += language_pack.validate(answers, facts.interpreter, can_install=ins.action != "keep")
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
                    _(
                        "{executable} has no JupyterLab: choose install.action = install (pip installs it there) or create-venv (a dedicated venv)"
                    ).format(executable=interp.executable),
                )
            )
        elif ins.version and not bad_spec and not satisfies(interp.jupyterlab_version, ins.version):
            problems.append(
                Problem(
                    "install.version",
                    _(
                        "JupyterLab {jupyterlab_version} in {executable} does not match {version!r}: choose install.action = upgrade, or clear the version"
                    ).format(
                        jupyterlab_version=interp.jupyterlab_version,
                        executable=interp.executable,
                        version=ins.version,
                    ),
                )
            )
        return problems
    # install / upgrade into an existing environment
    if interp.externally_managed:
        problems.append(
            Problem(
                "install.action",
                _(
                    "{executable} is externally managed by the system (PEP 668): pip refuses to install there. Choose install.action = create-venv (a dedicated venv)"
                ).format(executable=interp.executable),
            )
        )
    elif not interp.has_pip:
        problems.append(
            Problem(
                "install.action",
                _("{executable} has no pip: choose install.action = create-venv").format(
                    executable=interp.executable
                ),
            )
        )
    else:
        p = _space_problem("install.action", Path(interp.prefix), NEED_FREE_BYTES)
        problems += [p] if p else []
    return problems


def _missing_python(python: str) -> Problem:
    if not python:
        return Problem("jupyter.python", _("no Python interpreter chosen"))
    if not Path(python).is_absolute():
        return Problem(
            "jupyter.python", _("{python!r} is not an absolute path").format(python=python)
        )
    return Problem(
        "jupyter.python",
        _(
            "{python} does not exist: choose an interpreter that does, or install.action = create-venv"
        ).format(python=python),
    )


def _validate_create_venv(answers: Answers, facts: Facts) -> list[Problem]:
    venv = venv_path_of(answers)
    if not venv.is_absolute():
        return [Problem("install.venv_path", _("{venv} is not an absolute path").format(venv=venv))]
    problems: list[Problem] = []
    target = venv_python(venv)
    if answers.jupyter.python and Path(answers.jupyter.python) != target:
        problems.append(
            Problem(
                "jupyter.python",
                _(
                    "with install.action = create-venv this is the new venv's interpreter ({target}) or empty; put the Python that makes the venv in install.base_python"
                ).format(target=target),
            )
        )
    exists = (venv / "pyvenv.cfg").is_file()
    foreign = foreign_component(venv) if facts.euid == 0 else None
    if foreign is not None and not exists:
        owner = _user_name(foreign[1])
        problems.append(
            Problem(
                "install.venv_path",
                _(
                    "{foreign} belongs to {owner}: as root the wizard makes a venv only where only root can write (like the default, {default_venv_path}); for one in {owner}'s directory, run the wizard as {owner}"
                ).format(foreign=foreign[0], owner=owner, default_venv_path=default_venv_path()),
            )
        )
    elif not exists and venv.exists():
        if not venv.is_dir():
            problems.append(
                Problem(
                    "install.venv_path",
                    _("{venv} exists and is not a directory; choose another path").format(
                        venv=venv
                    ),
                )
            )
        elif any(venv.iterdir()):
            problems.append(
                Problem(
                    "install.venv_path",
                    _(
                        "{venv} exists and is not empty (and not a venv); choose another path"
                    ).format(venv=venv),
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
                    _(
                        "{executable} is Python {python_version}; JupyterLab needs {items} or newer"
                    ).format(
                        executable=base.executable,
                        python_version=base.python_version,
                        items=".".join(map(str, MIN_PYTHON)),
                    ),
                )
            )
        if not base.has_venv:
            pkg = venv_apt_package(base)
            problems.append(
                Problem(
                    "install.base_python",
                    _(
                        "{executable} cannot make venvs (no venv/ensurepip module). On Debian/Ubuntu: sudo apt install {pkg} — or set install.base_python to another Python"
                    ).format(executable=base.executable, pkg=pkg),
                )
            )
        where = nearest_existing(venv.parent)
        if where.exists() and not os.access(where, os.W_OK | os.X_OK):
            problems.append(
                Problem(
                    "install.venv_path",
                    _("cannot create {venv}: {where} is not writable").format(
                        venv=venv, where=where
                    ),
                )
            )
        p = _space_problem("install.venv_path", venv, NEED_FREE_BYTES)
        problems += [p] if p else []
    if not exists or not (facts.interpreter and facts.interpreter.jupyterlab_version):
        p = _space_problem("install", Path(tempfile.gettempdir()), NEED_FREE_TMP_BYTES)
        problems += [p] if p else []
    return problems


# --- planning -------------------------------------------------------------------------------------


def plan_install(
    plan: Plan, answers: Answers, facts: Facts, previous: Answers | None = None
) -> None:
    """Append the actions that put the chosen JupyterLab in place ("keep": none), then the
    language pack's (`[install] language_pack`), into the same environment, the same way.
    `previous`: the setup of record (a default language it set and these answers do not goes)."""
    ins = answers.install
    interp = facts.interpreter
    if interp is not None:
        language_pack.plan_released_locale(plan, answers, interp, previous)
    if interp is None or (ins.action == "keep" and not ins.language_pack):
        return
    installed = interp.jupyterlab_version
    tool = chosen_installer(answers, facts.uv)
    uv = facts.uv if tool == "uv" else None
    fresh = False
    if ins.action == "create-venv":
        venv = venv_path_of(answers)
        base = facts.base_interpreter
        create = CreateVenv(base.executable if base else default_base_python(), venv, uv=uv)
        fresh = not create.is_noop()
        if fresh:
            plan.note("info", _("JupyterLab will go into a new venv at {venv}").format(venv=venv))
        plan.actions.append(create)
        if ins.index_url:
            plan.actions.append(
                WriteFile(
                    venv / "pip.conf",
                    venv_pip_conf(ins.index_url),
                    mode=0o644,
                    why=_("the venv's own index: later pip installs in it use install.index_url"),
                )
            )
    # pip's own settings as the interpreter that installs sees them (a new venv: its base's)
    asker = (
        facts.base_interpreter.executable if fresh and facts.base_interpreter else interp.executable
    )
    source = PackageSource(read_pip_config(asker), ins.index_url)
    try:  # into an environment of another user's: as that user, never as root
        owner = None if fresh else owner_of(Path(interp.executable))
    except UnsafePath as exc:
        raise InputError([Problem("jupyter.python", str(exc))]) from exc
    spec = InstallSpec(
        interp.executable,
        requirement(ins.version),
        upgrade=ins.action == "upgrade",
        previous=installed,
        fresh=fresh,
        lab_bin=interp.jupyter_lab_bin,
        source=source,
        as_user=owner,
    )
    installer_note = _("installer: {tool}{uv}; packages from {source}").format(
        tool=tool, uv=f" ({uv})" if uv else "", source=source.describe()
    )
    if ins.action == "keep":
        pass
    elif ins.action != "upgrade" and installed and satisfies(installed, ins.version):
        plan.note(
            "info",
            _("JupyterLab {installed} is already installed in {prefix}").format(
                installed=installed, prefix=interp.prefix
            ),
        )
    else:
        plan.actions.append(install_action(uv, spec))
        plan.note("info", installer_note)
        installer_note = ""
        if not fresh:
            plan.note(
                "info",
                _(
                    "{tool} changes {prefix}; if the apply fails it puts back the package versions it found"
                ).format(tool=tool, prefix=interp.prefix),
            )
    before = len(plan.actions)
    language_pack.plan_language_pack(plan, answers, interp, uv=uv, spec=spec)  # as its owner too
    installs_pack = any(
        isinstance(a, language_pack.InstallLanguagePack) for a in plan.actions[before:]
    )
    if installer_note and installs_pack:
        plan.note("info", installer_note)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
