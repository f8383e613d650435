"""Install step: which Python environment runs JupyterLab, and installing it there."""

from __future__ import annotations

from wizard.answers import Answers
from wizard.errors import Problem
from wizard.plan import Plan
from wizard.probe import Facts

ACTIONS = ("keep",)


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    problems = []
    if answers.install.action not in ACTIONS:
        problems.append(Problem("install.action", f"must be one of: {', '.join(ACTIONS)}"))
    if facts.interpreter is None:
        problems.append(Problem("jupyter.python", "no Python interpreter chosen"))
    elif not facts.interpreter.jupyterlab_version:
        problems.append(
            Problem("jupyter.python", f"{facts.interpreter.executable} has no JupyterLab")
        )
    return problems


def plan_install(plan: Plan, answers: Answers, facts: Facts) -> None:
    """ "keep" uses the environment as it is: nothing to do."""
