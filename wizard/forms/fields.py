"""What a form field is, whatever draws it: a name, a label, a help line, choices."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from wizard.core.answers import Answers
from wizard.core.errors import Problem


class Choice(NamedTuple):
    """One option of a choice field: the value it sets and the words shown for it."""

    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One field of a step.

    `name` is the answers key in the step's section, so the core's `section.name` problems
    land on it. `label` names the field on screen; `question` is the line-by-line prompt when it
    says more than the label; `empty` says what leaving the field empty means.
    """

    name: str
    label: str
    help: str = ""
    question: str = ""
    empty: str = ""

    def prompt(self, empty_means: str | None = None) -> str:
        """The question as a prompt asks it: "Label (empty: what empty means):"."""
        text = self.question or self.label
        means = self.empty if empty_means is None else empty_means
        if means:
            text += f" (empty: {means})"
        return text if text.endswith("?") else text + ":"


def messages(problems: Iterable[Problem]) -> str:
    """The problems' messages on one line (what a prompt shows under the answer)."""
    return "; ".join(p.message for p in problems)


def on_field(problems: Iterable[Problem], field: str) -> list[Problem]:
    """Only the problems the core gives for one field (`network.port`, ...)."""
    return [p for p in problems if p.field == field]


def masked(value: str) -> str:
    """A short hint at a typed value that may be a secret typed into the wrong field."""
    return f"'{value[:2]}…' ({len(value)} characters)"


def shown_as_is(value: str) -> bool:
    """Values echoed in full: short ones, absolute paths, numbers and IP addresses never look
    like a password (anything else, a host name or a version included, might be one)."""
    if len(value) < 8 or value.startswith("/") or value.isdigit():
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def scrub(text: str, typed: Iterable[str]) -> str:
    """`text` with each typed value (quoted or bare) replaced by its masked hint, so no message
    repeats a password typed where a version or a host was expected."""
    for value in sorted({v for v in typed if not shown_as_is(v)}, key=len, reverse=True):
        text = text.replace(repr(value), masked(value)).replace(value, masked(value))
    return text


def answer_values(answers: Answers) -> list[str]:
    """Every text the answers hold: what a screen without inputs (Review) must not repeat."""
    return [value for _, value in answers.fields() if isinstance(value, str)]
