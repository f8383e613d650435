"""What the wizard holds between steps: answers, the password in memory, the probed facts;
and the list of steps both front-ends walk through.

The Textual screens read and change this, and --plain uses the same state and helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _

if TYPE_CHECKING:
    from wizard.plan.secrets import Secrets
    from wizard.probe.environments import Environment
    from wizard.probe.facts import Facts

# (name, title) in order; the apply screen is reached from review, not listed.
STEPS: list[tuple[str, str]] = [
    ("welcome", N_("Welcome")),
    ("install", N_("Install")),
    ("kernels", N_("Kernels")),
    ("password", N_("Password")),
    ("network", N_("Network")),
    ("service", N_("Service")),
    ("access", N_("Access")),
    ("review", N_("Review")),
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


def step_number(step: str) -> int:
    """The step's number as shown and typed (welcome is 1)."""
    return STEP_NAMES.index(step) + 1


def where(problem: Problem) -> str:
    """For a problem another step fixes: which one, and its key."""
    step = step_of(problem.field)
    if step in ("access", "review"):
        return ""
    return _("  (fix it in step {number}, {step})").format(
        number=step_number(step), step=_(dict(STEPS)[step])
    )


def discover_environments() -> list[Environment]:
    """The Python environments on this machine (wizard.probe.environments), best first."""
    from wizard.probe import discovery

    return list(discovery.discover())


def suggested_answers(answers: Answers, envs: list[Environment]) -> Answers:
    """First setup: start from the install step's suggestion (an env with JupyterLab, or a venv)."""
    from wizard.plan.steps import install

    return install.suggest(envs).to_answers(answers)


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

    # Reverse-proxy basic auth (entered twice on the access step): same rules as the password.
    proxy_password: str = ""

    @property
    def secrets(self) -> Secrets:
        from wizard.plan.secrets import Secrets

        password = None if self.keep_password or not self.password else self.password
        return Secrets(password, proxy_password=self.proxy_password or None)
