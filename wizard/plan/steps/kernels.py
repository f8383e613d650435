"""Kernels step: the environments people compute in, offered as kernels to the service's JupyterLab.

Answers (`[kernels]`): `environments` (interpreters to register), `install_ipykernel` (pip
installs ipykernel into those lacking it), `remove` (other kernelspecs to remove, by name).
The kernelspecs the wizard writes are its own (marked in their metadata): one whose interpreter
is no longer in `environments` is removed, one for a chosen interpreter is rewritten in place.

Registration is for the service: a kernelspec goes into the Jupyter data dir of whom JupyterLab
runs as (`<their data dir>/kernels/NAME/`), owned by them (as root: written through core/fileops,
never following their links), with argv[0] the environment's own interpreter, so a kernel only
ever runs as the service's user. ipykernel is installed as the environment's owner. Plan, in
order: ipykernel installs, kernelspec removals, kernelspec writes; the apply's journal lets a
rollback remove exactly what was added (packages included) and restore what was changed.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
from collections.abc import Mapping
from pathlib import Path

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import UnsafePath
from wizard.core.i18n import _
from wizard.core.run_as import RunAs, owner_of
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.service.step import jupyter_user, unreachable_for
from wizard.plan.steps.kernel_actions import InstallIpykernel
from wizard.plan.steps.kernel_files import LAUNCHER, kernel_json, launcher, needs_launcher
from wizard.plan.steps.kernel_names import (
    assign_names,
    display_name,
    registered_for,
    same_interpreter,
)
from wizard.probe.environments import Environment, describe_python
from wizard.probe.facts import Facts
from wizard.probe.jupyter_paths import SYSTEM_DATA_DIRS, data_dir, kernel_dirs
from wizard.probe.kernelspecs import KernelFacts, KernelSpec, scan_kernelspecs
from wizard.probe.person import Person

# --- where the service's JupyterLab looks ---------------------------------------------------------


def kernel_facts(answers: Answers, facts: Facts) -> KernelFacts:
    """Whose server it is, its kernel path and the kernelspecs on it."""
    lab = facts.interpreter.executable if facts.interpreter else ""
    return served_kernels(answers, facts.person, lab)


def served_kernels(answers: Answers, who: Person, lab_python: str = "") -> KernelFacts:
    """The kernels the answers' JupyterLab finds, for the planner, status and doctor alike.
    A service starts with a clean environment (HOME only); a server you start yourself, as
    yourself, sees your JUPYTER_DATA_DIR or XDG_DATA_HOME."""
    own = answers.service.manager == "none" and not who.via_sudo
    lab = lab_python or answers.jupyter.python
    return locate(jupyter_user(answers, who), lab, own_env=own)


def locate(user: str, lab_python: str, *, own_env: bool = False) -> KernelFacts:
    """The kernel path of a JupyterLab run by `user` from `lab_python` (its prefix, and whether
    it is a venv, from the path: no interpreter is run), and the kernelspecs on it."""
    try:
        home: str | None = pwd.getpwnam(user).pw_dir
    except KeyError:
        home = None  # the service step reports the unknown user
    env = os.environ if own_env or home is None else {}
    data = data_dir(env, home)
    prefix = Path(lab_python).parent.parent if lab_python else None
    dirs = kernel_dirs(
        data, str(prefix) if prefix else "", prefer_env=_prefers_env(prefix, user, env)
    )
    return KernelFacts(user, data, dirs, scan_kernelspecs(dirs), lab_python)


def _prefers_env(prefix: Path | None, user: str, env: Mapping[str, str]) -> bool:
    """jupyter_core's prefer_environment_over_user, for `user` running JupyterLab from `prefix`:
    JUPYTER_PREFER_ENV_PATH when set; else a venv only when that user owns it (a root-owned
    venv in /opt run by a service user puts the user's dir first). A conda env counts only
    when activated (CONDA_PREFIX), which a service never is."""
    if "JUPYTER_PREFER_ENV_PATH" in env:
        return env["JUPYTER_PREFER_ENV_PATH"].lower() not in ("", "0", "false", "no", "off")
    if prefix is None or not (prefix / "pyvenv.cfg").is_file():
        return False
    p = prefix.resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return p.stat().st_uid == pwd.getpwnam(user).pw_uid
    except (OSError, KeyError):
        return False


def with_kernel_facts(answers: Answers, facts: Facts) -> Facts:
    return dataclasses.replace(facts, kernels=kernel_facts(answers, facts))


def runs(spec: KernelSpec, kf: KernelFacts) -> str:
    """The interpreter a kernelspec runs (a bare python is the server's own, jupyter_client's rule)."""
    return kf.lab_python if spec.interpreter in ("python", "python3") else spec.interpreter


def offered_by(python: str, kf: KernelFacts) -> KernelSpec | None:
    """The kernelspec the server already offers for this interpreter (the wizard's first)."""
    seen = [s for s in kf.seen() if not s.error and same_interpreter(runs(s, kf), python)]
    return next((s for s in seen if s.ours), seen[0] if seen else None)


@dataclasses.dataclass(frozen=True)
class Broken:
    """Why a kernelspec cannot start, and the fix: kept apart, as status and doctor show them
    apart (a message of either may hold a semicolon of its own)."""

    cause: str
    fix: str

    def __str__(self) -> str:
        return _("{cause}; {fix}").format(cause=self.cause, fix=self.fix)


def broken(spec: KernelSpec, kf: KernelFacts) -> Broken | None:
    """Why this kernelspec cannot start for the service's user, with the fix; None: it can."""
    remove = _("remove it (kernels.remove = [{name!r}])").format(name=spec.name)
    if spec.error:
        return Broken(spec.error, remove)
    python = runs(spec, kf)
    if not python.startswith("/"):
        return None  # found on the server's PATH: nothing to check here
    if not os.path.lexists(python) or not os.path.exists(python):
        return Broken(
            _("its interpreter {python} does not exist (the environment is gone?)").format(
                python=python
            ),
            remove,
        )
    try:
        pw = pwd.getpwnam(kf.user)
    except KeyError:
        return None
    why = unreachable_for(python, pw, 5)
    if why:
        return Broken(
            _("{user} cannot run {python}: {why}").format(user=kf.user, python=python, why=why),
            _("{remove}, or let {user} reach it").format(remove=remove, user=kf.user),
        )
    return None


def described(python: str) -> Environment | None:
    try:
        return describe_python(python, timeout=10)
    except InputError:
        return None


# --- validation -----------------------------------------------------------------------------------


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    ka, kf = answers.kernels, facts.kernels
    if kf is None or (not ka.environments and not ka.remove and not _ours(kf)):
        return []
    problems: list[Problem] = []
    try:
        pw: pwd.struct_passwd | None = pwd.getpwnam(kf.user)
    except KeyError:
        pw = None
    for python in dict.fromkeys(ka.environments):
        problems += _env_problems(python, answers, facts, kf, pw)
    names = {s.name: s for s in kf.seen()}
    for name in dict.fromkeys(ka.remove):
        spec = names.get(name)
        if spec is None:
            found = ", ".join(sorted(names)) or "none"
            problems.append(
                Problem(
                    "kernels.remove",
                    _("the server has no kernel {name!r} (it has: {found})").format(
                        name=name, found=found
                    ),
                )
            )
        elif str(spec.dir.parent.parent) in SYSTEM_DATA_DIRS:
            problems.append(
                Problem(
                    "kernels.remove",
                    _("{dir} came with a system package: remove that package instead").format(
                        dir=spec.dir
                    ),
                )
            )
        elif spec.others:
            problems.append(
                Problem(
                    "kernels.remove",
                    _("{dir} holds more than files ({items}): remove it yourself").format(
                        dir=spec.dir, items=", ".join(spec.others)
                    ),
                )
            )
        elif any(same_interpreter(runs(spec, kf), p) for p in ka.environments):
            problems.append(
                Problem(
                    "kernels.remove",
                    _("{name} is the kernel of {runs}, which kernels.environments offers").format(
                        name=name, runs=runs(spec, kf)
                    ),
                )
            )
    return problems


def _ours(kf: KernelFacts) -> list[KernelSpec]:
    return [s for s in kf.specs if s.ours and s.dir.parent == kf.kernels_dir]


def _env_problems(
    python: str, answers: Answers, facts: Facts, kf: KernelFacts, pw: pwd.struct_passwd | None
) -> list[Problem]:
    field = "kernels.environments"
    env = described(python)
    if env is None:
        what = _("does not exist") if not os.path.lexists(python) else _("does not run as Python")
        return [
            Problem(
                field,
                _("{python} {what}: untick it, or choose another interpreter").format(
                    python=python, what=what
                ),
            )
        ]
    problems: list[Problem] = []
    if pw is not None and pw.pw_uid != facts.euid and (why := unreachable_for(python, pw, 5)):
        problems.append(
            Problem(
                field,
                _("{pw_name} (who runs JupyterLab) cannot run {python}: {why}").format(
                    pw_name=pw.pw_name, python=python, why=why
                ),
            )
        )
    if not needs_ipykernel(env, kf):
        return problems
    if not answers.kernels.install_ipykernel:
        problems.append(
            Problem(
                field,
                _(
                    "{python} has no ipykernel: set kernels.install_ipykernel = true (pip installs it there), or install it there yourself"
                ).format(python=python),
            )
        )
    elif not env.pip_ok:
        problems.append(Problem("kernels.install_ipykernel", _no_pip(env)))
    return problems


def _no_pip(env: Environment) -> str:
    if env.externally_managed:
        return _(
            "{python} is managed by the system (PEP 668): pip may not install ipykernel "
            "there. Install Debian's package instead (apt install python3-ipykernel), or make "
            "a venv from it ({python} -m venv DIR) and choose DIR/bin/python"
        ).format(python=env.python)
    return _("ipykernel cannot be installed into {python}: {why}").format(
        python=env.python, why=env.why_not
    )


# --- planning -------------------------------------------------------------------------------------


def _code_owner(env: Environment) -> RunAs | None:
    """Who could change what the environment's Python runs (as root; see owner_of)."""
    try:
        return owner_of(Path(env.python))
    except UnsafePath as exc:
        raise InputError([Problem("kernels.environments", str(exc))]) from exc


def plan_kernels(plan: Plan, answers: Answers, facts: Facts) -> None:
    """Append the kernel actions: ipykernel installs, removals, kernelspec writes."""
    ka, kf = answers.kernels, facts.kernels
    if kf is None:
        return
    # One environment once, whichever of its names (bin/python, bin/python3) the answers use.
    found = (e for p in dict.fromkeys(ka.environments) if (e := described(p)) is not None)
    envs = list({e.python: e for e in found}.values())
    owner = _owner(kf, facts)
    for env in envs:
        if needs_ipykernel(env, kf):
            plan.actions.append(
                InstallIpykernel(
                    env.python, as_user=_code_owner(env), index_url=answers.install.index_url
                )
            )
    mine = [e for e in envs if _to_write(e, kf)]
    names = assign_names(mine, kf.specs)
    wanted = {names[e.python] for e in mine}
    for spec in _ours(kf):
        if spec.name not in wanted and not any(registered_for(spec) == e.python for e in mine):
            _remove(plan, spec, _("no longer in kernels.environments"))
    by_name = {s.name: s for s in kf.seen()}
    for name in dict.fromkeys(ka.remove):
        _remove(plan, by_name[name], "kernels.remove")
    for env in mine:
        kdir = kf.kernels_dir / names[env.python]
        files = [(kdir / "kernel.json", kernel_json(env, display_name(env)))]
        if needs_launcher(env):
            files.append((kdir / LAUNCHER, launcher()))
        for path, content in files:
            plan.actions.append(
                WriteFile(
                    path,
                    content,
                    mode=0o644,
                    owner=owner,
                    dirs_owner=owner,
                    why=_("the kernel {display_name!r} for {user}'s JupyterLab").format(
                        display_name=display_name(env), user=kf.user
                    ),
                )
            )
        code_owner = _code_owner(env)
        if code_owner is not None and code_owner.uid != _uid(kf.user):
            plan.note(
                "warning",
                _("the kernel of {python} runs code {name} can change, as {user}").format(
                    python=env.python, name=code_owner.name, user=kf.user
                ),
            )
    for python in ka.environments:
        other = offered_by(python, kf)
        if other is not None and not other.ours:
            plan.note(
                "info",
                _("{python} is already offered by the kernel {name} ({dir})").format(
                    python=python, name=other.name, dir=other.dir
                ),
            )


def needs_ipykernel(env: Environment, kf: KernelFacts) -> bool:
    return not env.ipykernel_version and _to_write(env, kf)


def _to_write(env: Environment, kf: KernelFacts) -> bool:
    """Register this environment (not when another kernelspec already offers it)."""
    spec = offered_by(env.python, kf)
    return spec is None or (spec.ours and spec.dir.parent == kf.kernels_dir)


def _remove(plan: Plan, spec: KernelSpec, why: str) -> None:
    for name in spec.files:
        plan.actions.append(
            WriteFile(
                spec.dir / name,
                None,
                why=_("kernel {name}: {why}").format(name=spec.name, why=why),
                prune_dirs=[str(spec.dir)],
            )
        )


def _owner(kf: KernelFacts, facts: Facts) -> tuple[int, int] | None:
    """Who owns what root writes in the service user's data dir: that user."""
    if facts.euid != 0:
        return None
    try:
        pw = pwd.getpwnam(kf.user)
    except KeyError:
        return None
    return None if pw.pw_uid == 0 else (pw.pw_uid, pw.pw_gid)


def _uid(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None
