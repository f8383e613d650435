"""A labelled input with its help text and the core validator's message right under it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from wizard.errors import Problem


class Field(Vertical):
    """Label, Input, then a line that shows either the hint or the problems."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field--label { text-style: bold; }
    Field > .field--message { color: $text-muted; height: auto; }
    Field.-error > .field--message { color: $error; }
    Field.-warning > .field--message { color: $warning; }
    """

    def __init__(
        self,
        label: str,
        value: str = "",
        *,
        hint: str = "",
        password: bool = False,
        placeholder: str = "",
        id: str | None = None,  # noqa: A002 - Textual's own name
    ) -> None:
        super().__init__(id=id)
        self.label = label
        self.hint = hint
        self._input = Input(
            value,
            placeholder=placeholder,
            password=password,
            id=f"{id}-input" if id else None,
            compact=True,  # one line each: every step fits 80x24
        )

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field--label")
        yield self._input
        yield Static(self.hint, classes="field--message", markup=False)

    @property
    def input(self) -> Input:
        return self._input

    @property
    def value(self) -> str:
        return self._input.value

    def show(self, problems: Iterable[Problem] = (), *, warning: str | None = None) -> bool:
        """Show the problems (or a warning, or the hint); True when there were none."""
        messages = [p.message for p in problems]
        message = self.query_one(".field--message", Static)
        self.set_class(bool(messages), "-error")
        self.set_class(not messages and bool(warning), "-warning")
        if messages:
            message.update("✗ " + "\n✗ ".join(messages))
        elif warning:
            message.update("! " + warning)
        else:
            message.update(self.hint)
        return not messages
