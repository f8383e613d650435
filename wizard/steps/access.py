"""Access step: how the person reaches JupyterLab from their own computer."""

from __future__ import annotations

from wizard.answers import Answers
from wizard.errors import Problem
from wizard.plan import Plan
from wizard.probe import Facts

METHODS = ("ssh-tunnel", "direct", "router-tunnel", "reverse-proxy")


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    if answers.access.method not in METHODS:
        return [Problem("access.method", f"must be one of: {', '.join(METHODS)}")]
    return []


def plan_access(plan: Plan, answers: Answers, facts: Facts) -> None:
    """Nothing to install yet for any method."""
