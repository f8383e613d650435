"""Install: which Python environment runs JupyterLab, and whether to install/upgrade it there.

The one place the front-ends read wizard.plan.steps.install (actions, validation) and
wizard.probe.environments (discovery, the default venv).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wizard.core import grammar
from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _, is_chinese
from wizard.forms.fields import Choice, FieldSpec
from wizard.plan.steps import install, installer
from wizard.probe.environments import Environment, default_venv_path
from wizard.probe.facts import Facts

TITLE = N_("Install: where JupyterLab runs")
INTRO = N_("The Python environment whose JupyterLab will serve, and what to do with it.")

ENVS = FieldSpec("envs", N_("Environments found"), question=N_("Python environment for JupyterLab"))
PYTHON = FieldSpec(
    "python",
    N_("Python interpreter"),
    help=N_("absolute path; it is checked as you go on"),
    question=N_("Interpreter path"),
)
ACTION = FieldSpec("action", N_("What to do"))
VENV_PATH = FieldSpec(
    "venv_path",
    N_("New virtual environment path"),
    help=N_("absolute path; a new or empty directory"),
)
BASE_PYTHON = FieldSpec(
    "base_python",
    N_("Base Python (makes the venv)"),
    help=N_("runs `-m venv`: the venv gets its Python version"),
)
VERSION = FieldSpec("version", N_("JupyterLab version (optional pip spec)"), help=N_("e.g. >=4.2"))
INSTALLER = FieldSpec(
    "installer", N_("Installer"), help=N_("uv is about 4x faster; pip is the fallback")
)
INDEX_URL = FieldSpec(
    "index_url",
    N_("Package index URL (optional)"),
    help=N_("empty: the index pip is configured with; a URL also goes into a new venv's pip.conf"),
)
LANGUAGE_PACK = FieldSpec(
    "language_pack",
    N_("JupyterLab in Chinese (zh_CN language pack)"),
    help=N_(
        "installs jupyterlab-language-pack-zh-CN and makes zh_CN JupyterLab's default language"
    ),
    question=N_(
        "Install JupyterLab's Chinese language pack and make Chinese its default language?"
    ),
)
PACK_LOCALE = "zh_CN"  # the locale the field offers (the wizard's own other language)
INSTALLER_LABELS = {
    "auto": N_("Automatic: uv when it is there, else pip"),
    "uv": N_("uv (fast)"),
    "pip": N_("pip"),
}

CHECKING = N_("still being checked: press Next again in a moment")

ACTION_LABELS = {
    "keep": N_("Keep: use the chosen environment as it is"),
    "install": N_("Install JupyterLab into the chosen environment"),
    "upgrade": N_("Upgrade JupyterLab in the chosen environment"),
    "create-venv": N_("Create a new virtual environment with JupyterLab"),
}
# The one choice that is not an environment: type the interpreter's path instead.
OTHER = Choice("other", N_("Another interpreter (type its path)"))
SEARCHING = Choice("", N_("Looking for Python environments…"))


def actions() -> list[Choice]:
    return [Choice(a, ACTION_LABELS.get(a, a)) for a in install.ACTIONS]


def installers() -> list[Choice]:
    return [Choice(i, INSTALLER_LABELS[i]) for i in installer.INSTALLERS]


def installer_line(answers: Answers, facts: Facts | None) -> str:
    """Which installer an install will use, and from which index (the Review names pip's own)."""
    uv = facts.uv if facts is not None else None
    tool = installer.chosen_installer(answers, uv)
    found = _("uv found at {path}").format(path=uv) if uv else _("uv not found")
    index = answers.install.index_url or _("the index pip is configured with (named in Review)")
    return _("Installs with {tool} ({found}); packages from {index}").format(
        tool=tool, found=found, index=index
    )


def env_choices(envs: Sequence[Environment], current: str) -> list[Choice]:
    """One choice per environment found; the chosen interpreter first when it is not one."""
    choices = [Choice(e.python, e.label()) for e in envs]
    if current and current not in [c.value for c in choices]:
        choices.insert(0, Choice(current, _("{python}  (chosen)").format(python=current)))
    return choices


def shown(action: str | None) -> set[str]:
    """The fields an action asks for besides the action itself (the language pack with
    every action: keep installs it into the environment as it is). With create-venv the
    interpreter is the new venv's own: shown as a line that follows the venv path, never a
    field of its own to keep in agreement."""
    installing = {VERSION.name, INSTALLER.name, INDEX_URL.name}
    if action == "create-venv":
        return {VENV_PATH.name, BASE_PYTHON.name, LANGUAGE_PACK.name, *installing}
    fields = {ENVS.name, PYTHON.name, LANGUAGE_PACK.name}
    if action in ("install", "upgrade"):
        fields |= installing
    return fields


def language_pack_default(answers: Answers) -> bool:
    """Whether the field starts ticked: when the answers ask for it, or the wizard speaks
    Chinese (a person reading it in Chinese likely wants JupyterLab in Chinese too)."""
    return answers.install.language_pack == PACK_LOCALE or is_chinese()


def venv_interpreter(typed_venv: str) -> str:
    """The line under the venv path: the interpreter JupyterLab will run from."""
    venv = typed_venv.strip() or str(default_venv_path())
    if not venv.startswith("/"):
        return _("Interpreter: the new venv's own (once its path is absolute)")
    return _("Interpreter: the new venv's own, following its path:\n{python}").format(
        python=install.venv_python(Path(venv))
    )


def default_action(answers: Answers, python: str) -> str:
    """The action offered first once `python` is chosen (the question is still asked): another
    environment picked instead of a new venv suggests using it (keep)."""
    action = answers.install.action
    if python != answers.jupyter.python and action == "create-venv":
        return "keep"
    return action


def venv_defaults() -> tuple[str, str]:
    """(venv path, base Python) a create-venv uses when its answers are empty."""
    return str(default_venv_path()), install.default_base_python()


def values(answers: Answers) -> dict[str, str]:
    """What the fields show: the answers, the venv defaults where they leave it open."""
    a = answers.install
    venv, base = venv_defaults()
    return {
        PYTHON.name: answers.jupyter.python,
        ACTION.name: a.action,
        VENV_PATH.name: a.venv_path or venv,
        BASE_PYTHON.name: a.base_python or base,
        VERSION.name: a.version,
        INSTALLER.name: a.installer,
        INDEX_URL.name: a.index_url,
        LANGUAGE_PACK.name: PACK_LOCALE if language_pack_default(answers) else "",
    }


def collect(answers: Answers, action: str, typed: dict[str, str]) -> Answers:
    """The answers from what the fields hold; a default left as shown stays "" (the default,
    wherever it is). With create-venv the interpreter follows the venv path; otherwise it is
    the one chosen or typed. No field changes another's choice."""
    venv, base = venv_defaults()
    typed_venv = typed[VENV_PATH.name].strip()
    typed_base = typed[BASE_PYTHON.name].strip()
    out = answers.replace(
        "install",
        action=action,
        venv_path="" if typed_venv == venv else typed_venv,
        base_python="" if typed_base == base else typed_base,
        version=typed[VERSION.name].strip(),
        installer=typed.get(INSTALLER.name, answers.install.installer),
        index_url=typed.get(INDEX_URL.name, answers.install.index_url).strip(),
        language_pack=typed.get(LANGUAGE_PACK.name, answers.install.language_pack),
    )
    if action == "create-venv":
        new = install.venv_path_of(out)
        python = str(install.venv_python(new)) if new.is_absolute() else ""
        return out.replace("jupyter", python=python)
    return out.replace("jupyter", python=typed[PYTHON.name].strip())


def path_problems(text: str) -> list[Problem]:
    """An interpreter typed by hand: an absolute path (the probe says the rest)."""
    if text.startswith("/"):
        return []
    return [Problem("jupyter.python", _("must be an absolute path"))]


def index_url_problems(text: str) -> list[Problem]:
    """An index URL as typed: empty (pip's own) or a URL by its grammar."""
    problem = grammar.url_problem("install.index_url", text.strip()) if text.strip() else None
    return [problem] if problem else []


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    return install.validate(answers, facts)
