"""What the wizard holds between screens: answers, the password in memory, the probed facts.

No Textual here: the screens read and change this, and --plain uses the same helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from wizard.core.answers import Answers
from wizard.core.errors import Problem

if TYPE_CHECKING:
    from wizard.plan.secrets import Secrets
    from wizard.probe.facts import Facts

# (name, title) in order; the apply screen is reached from review, not listed.
STEPS: list[tuple[str, str]] = [
    ("welcome", "Welcome"),
    ("install", "Install"),
    ("password", "Password"),
    ("network", "Network"),
    ("service", "Service"),
    ("access", "Access"),
    ("review", "Review"),
]
STEP_NAMES = [name for name, _ in STEPS]

# A string: wizard.probe (psutil) is imported after the first paint, not at startup.
Prober: TypeAlias = "Callable[[str | None, str | None], Facts]"


def step_of(problem_field: str) -> str:
    """Which step a problem's field belongs to ("network.port" -> "network")."""
    section = problem_field.split(".", 1)[0]
    if section in ("jupyter", "install"):
        return "install"
    if section in STEP_NAMES:
        return section
    return "review"


def discover_environments() -> list[Any]:
    """The Python environments on this machine (wizard.environments), best first."""
    try:
        from wizard.probe import environments
    except ImportError:  # pragma: no cover - the module ships with the core
        return []
    return list(environments.discover())


def env_python(env: Any) -> str:
    return str(getattr(env, "python", "") or getattr(env, "executable", ""))


def env_label(env: Any) -> str:
    label = getattr(env, "label", None)
    if callable(label):
        return str(label())
    version = getattr(env, "jupyterlab_version", None)
    return f"{env_python(env)}  " + (f"JupyterLab {version}" if version else "no JupyterLab")


def suggested_answers(answers: Answers, envs: list[Any]) -> Answers:
    """First setup: start from the install step's suggestion (an env with JupyterLab, or a venv)."""
    from wizard.plan.steps import install

    suggest = getattr(install, "suggest", None)
    if suggest is not None:
        try:
            return suggest(envs).to_answers(answers)  # type: ignore[no-any-return]
        except Exception:
            pass
    for env in envs:
        if getattr(env, "jupyterlab_version", None):
            return answers.replace("jupyter", python=env_python(env))
    return answers.replace("jupyter", python=sys.executable)


@dataclass
class WizardState:
    answers: Answers
    facts: Facts | None = None
    # The new password lives only here and in Secrets, for one apply; never saved.
    password: str = ""
    keep_password: bool = False
    has_current_password: bool = False
    configured: bool = False  # load_current() found a previous setup
    step_problems: dict[str, list[Problem]] = field(default_factory=dict)

    # Reverse-proxy basic auth (entered twice on the access screen): same rules as the password.
    proxy_password: str = ""

    @property
    def secrets(self) -> Secrets:
        from wizard.plan.secrets import Secrets

        password = None if self.keep_password or not self.password else self.password
        return Secrets(password, proxy_password=self.proxy_password or None)
