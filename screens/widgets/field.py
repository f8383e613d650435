"""A labelled input with its help text and the core validator's message right under it."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from wizard.core.errors import Problem
from wizard.forms.fields import scrub


def typed_values(screen: Widget) -> list[str]:
    """What is typed in the screen's inputs (password ones too): never echoed in messages."""
    return [i.value.strip() for i in screen.query(Input) if i.value.strip()]


class FieldInput(Input):
    """Enter moves on at once, inside the key's own handling: keys typed right after Enter
    (fast typists, pasted text, tmux send-keys) land in the next field, not this one."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            # Queued here before Enter moved the focus on: it belongs to the focused field.
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab"):
            # Same race as Enter: move the focus now, before the next queued key arrives here.
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        advance = getattr(self.screen, "advance_from", None)
        if event.key == "enter" and advance is not None:
            event.stop()
            event.prevent_default()
            advance(self)
            return
        await super()._on_key(event)


class Field(Vertical):
    """Label, Input, then a line that shows either the hint or the problems."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field--label { text-style: bold; }
    /* Where typing goes, without colour too (NO_COLOR): the label in reverse video. */
    Field:focus-within > .field--label { text-style: bold reverse; }
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
        self._input = FieldInput(
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
        messages = [scrub(p.message, typed_values(self.screen)) for p in problems]
        message = self.query_one(".field--message", Static)
        self.set_class(bool(messages), "-error")
        self.set_class(not messages and bool(warning), "-warning")
        if messages:
            text = "✗ " + "\n✗ ".join(messages)
        elif warning:
            text = "! " + warning
        else:
            text = self.hint
        if message.content != text:  # an update re-lays out the screen: only when it changes
            message.update(text)
        return not messages
