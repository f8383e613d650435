"""What the wizard holds between screens: answers, the password in memory, the probed facts.

No Textual here: the screens read and change this, and --plain uses the same helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.answers import Answers
from wizard.errors import Problem
from wizard.planner import Secrets
from wizard.probe import Facts

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

Prober = Callable[[str | None, str | None], Facts]


def step_of(problem_field: str) -> str:
    """Which step a problem's field belongs to ("network.port" -> "network")."""
    section = problem_field.split(".", 1)[0]
    if section in ("jupyter", "install"):
        return "install"
    if section in STEP_NAMES:
        return section
    return "review"


def default_python() -> str:
    """The interpreter to start from when nothing is configured yet."""
    try:
        from wizard import environments  # landing separately: discovery of Python environments
    except ImportError:
        return sys.executable
    found = _discovered_with_jupyterlab(environments)
    return found or sys.executable


def _discovered_with_jupyterlab(environments: object) -> str | None:
    discover = getattr(environments, "discover", None)
    if discover is None:
        return None
    try:
        envs = discover()
    except Exception:
        return None
    for env in envs:
        python = getattr(env, "python", None) or getattr(env, "executable", None)
        if python and getattr(env, "jupyterlab_version", None):
            return str(python)
    return None


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

    @property
    def secrets(self) -> Secrets:
        if self.keep_password or not self.password:
            return Secrets(None)
        return Secrets(self.password)
