"""What a form field is, whatever draws it: a name, a label, a help line, choices."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import _


class Choice(NamedTuple):
    """One option of a choice field: the value it sets and the words shown for it."""

    value: str
    label: str


class FieldSpec:
    """One field of a step.

    `name` is the answers key in the step's section, so the core's `section.name` problems
    land on it. `label` names the field on screen; `question` is the line-by-line prompt when it
    says more than the label; `empty` says what leaving the field empty means.

    The texts are given in English (msgids, marked with N_()) and read in the current
    language: each attribute translates when read, so a module-level field follows the
    language chosen after its import.
    """

    __slots__ = ("_empty", "_help", "_label", "_question", "name")

    def __init__(
        self,
        name: str,
        label: str,
        help: str = "",  # noqa: A002 - the field's help text
        question: str = "",
        empty: str = "",
    ) -> None:
        self.name = name
        self._label = label
        self._help = help
        self._question = question
        self._empty = empty

    def __repr__(self) -> str:
        return f"FieldSpec({self.name!r}, {self._label!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSpec):
            return NotImplemented
        return (self.name, self._label, self._help, self._question, self._empty) == (
            other.name,
            other._label,
            other._help,
            other._question,
            other._empty,
        )

    def __hash__(self) -> int:
        return hash((self.name, self._label))

    @property
    def label(self) -> str:
        return _(self._label)

    @property
    def help(self) -> str:
        return _(self._help)

    @property
    def question(self) -> str:
        return _(self._question)

    @property
    def empty(self) -> str:
        return _(self._empty)

    def prompt(self, empty_means: str | None = None) -> str:
        """The question as a prompt asks it: "Label (empty: what empty means):"."""
        text = self.question or self.label
        means = self.empty if empty_means is None else empty_means
        if means:
            text += _(" (empty: {means})").format(means=means)
        return text if text.endswith(("?", "？")) else text + _(":")


def messages(problems: Iterable[Problem]) -> str:
    """The problems' messages on one line (what a prompt shows under the answer)."""
    return "; ".join(p.message for p in problems)


def on_field(problems: Iterable[Problem], field: str) -> list[Problem]:
    """Only the problems the core gives for one field (`network.port`, ...)."""
    return [p for p in problems if p.field == field]


def masked(value: str) -> str:
    """A short hint at a typed value that may be a secret typed into the wrong field."""
    return _("'{start}…' ({count} characters)").format(start=value[:2], count=len(value))


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
    """The texts a person typed into the answers (list items too), not the defaults: what a
    screen without inputs (Review) must not repeat."""
    defaults = dict(Answers().fields())
    out: list[str] = []
    for name, value in answers.fields():
        if value == defaults[name]:
            continue
        out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    return out
