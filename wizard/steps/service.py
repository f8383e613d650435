"""Service step: how JupyterLab is kept running."""

from __future__ import annotations

from wizard.answers import Answers
from wizard.errors import Problem
from wizard.plan import Plan
from wizard.probe import Facts

MANAGERS = ("none",)


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    if answers.service.manager not in MANAGERS:
        return [Problem("service.manager", f"must be one of: {', '.join(MANAGERS)}")]
    return []


def plan_service(plan: Plan, answers: Answers, facts: Facts) -> None:
    """ "none": the person starts jupyter-lab themselves; nothing to install."""
