"""Password: masked, entered twice, a strength hint, "keep the current password" when one exists.

The plaintext stays in memory (WizardState -> Secrets) for one apply only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms.fields import FieldSpec

if TYPE_CHECKING:
    from wizard.probe.facts import Facts

TITLE = N_("Password: who may log in to JupyterLab")
INTRO = N_(
    "Stored only as Jupyter's argon2 hash, in a 0600 config file. "
    "Leave both fields empty to log in with Jupyter's random token instead."
)

KEEP = FieldSpec(
    "keep",
    N_("Keep the current password"),
    question=N_("A password is set. Keep the current password?"),
)
NEW = FieldSpec(
    "password",
    N_("New password"),
    question=N_("New Jupyter password"),
    empty=N_("log in with a random token"),
)
AGAIN = FieldSpec(
    "password_again", N_("New password again"), question=N_("The same password again")
)


def is_set(facts: Facts) -> bool:
    """Jupyter's config already has a password (then keeping it is offered)."""
    from wizard.plan.steps.password import current_password

    return current_password(facts) is not None


def strength(password: str) -> str | None:
    """What makes the password weak, or None (empty: nothing to say)."""
    from wizard.core.passwords import strength_hint

    return strength_hint(password) if password else None


def problems(first: str, second: str) -> list[Problem]:
    """The two entries must be the same (empty in both: token login)."""
    if first != second:
        return [Problem("password", _("the two entries differ"))]
    return []


def note(has_current: bool, keep: bool) -> str:
    """What happens to the password that is there now."""
    if keep:
        return _("The current password stays as it is.")
    if has_current:
        return _("A password is set: a new one replaces it.")
    return ""
