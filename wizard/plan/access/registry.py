"""The access methods by name, and what the rest of the wizard asks of "the chosen method".

Adding a method: a module with its object (see base.AccessMethod), one line in _MODULES' list
below, and its tests.
"""

from __future__ import annotations

from typing import Any

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.i18n import _
from wizard.plan.access import direct, reverse_proxy, router_tunnel, ssh_tunnel
from wizard.plan.access.base import AccessInfo, AccessMethod, Binding
from wizard.plan.actions import Action
from wizard.plan.plan import Plan
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import TraitKey

# In menu order; the first is the default (AccessAnswers.method).
_ALL: tuple[AccessMethod, ...] = (
    ssh_tunnel.METHOD,
    direct.METHOD,
    router_tunnel.METHOD,
    reverse_proxy.METHOD,
)
_BY_NAME: dict[str, AccessMethod] = {m.name: m for m in _ALL}
METHODS: tuple[str, ...] = tuple(_BY_NAME)

# Checked whichever method is chosen (an answers file keeps the other methods' fields).
_PORT_FIELDS = ("local_port", "ssh_port", "https_port", "http_port")


def _unknown() -> Problem:
    return Problem("access.method", _("must be one of: {items}").format(items=", ".join(METHODS)))


def all() -> tuple[AccessMethod, ...]:  # noqa: A001 - the registry's own vocabulary
    return _ALL


def get(name: str) -> AccessMethod:
    """The method called `name`; InputError (on access.method) for a name no method has."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise InputError([_unknown()]) from None


def with_binding(binding: Binding) -> tuple[str, ...]:
    """The names of the methods that need this binding (status, doctor)."""
    return tuple(m.name for m in _ALL if m.binding is binding)


# --------------------------------------------------------------------------- the chosen method


def chosen(answers: Answers) -> AccessMethod:
    return get(answers.access.method)


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    a = answers.access
    if a.method not in _BY_NAME:
        return [_unknown()]
    problems: list[Problem] = []
    for name in _PORT_FIELDS:
        value = getattr(a, name)
        if not 0 <= value <= 65535 or (name in ("https_port", "http_port") and value == 0):
            problems.append(
                Problem(f"access.{name}", _("{value} is not a port (1-65535)").format(value=value))
            )
    return problems + chosen(answers).validate(answers, facts)


def needs_password(answers: Answers) -> bool:
    return chosen(answers).needs_password


def jupyter_settings(answers: Answers, facts: Facts) -> dict[TraitKey, Any]:
    """The ServerApp traits the chosen method's answers set, and only those: whatever else the
    author configured (their own TLS, proxy headers) stays theirs."""
    return chosen(answers).jupyter_settings(answers, facts)


def plan_access(
    plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None = None
) -> None:
    chosen(answers).plan(plan, answers, facts, proxy_password=proxy_password)


def prerequisites(answers: Answers, facts: Facts) -> list[Action]:
    return chosen(answers).prerequisites(answers, facts)


def instructions(answers: Answers, facts: Facts) -> AccessInfo:
    return chosen(answers).instructions(answers, facts)
