"""A list where moving the cursor is choosing (one key per change), and Enter means "continue"."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wizard.core.i18n import _


class ChoiceList(OptionList):
    """Options as (value, label) pairs; `value` follows the highlight."""

    DEFAULT_CSS = """
    ChoiceList { height: auto; max-height: 10; }
    """

    class Changed(Message):
        def __init__(self, choice_list: ChoiceList, value: str) -> None:
            super().__init__()
            self.choice_list = choice_list
            self.value = value

        @property
        def control(self) -> ChoiceList:
            return self.choice_list

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        value: str | None = None,
        *,
        id: str | None = None,  # noqa: A002 - Textual's own name
    ) -> None:
        self._choice_values = [val for val, _ in choices]
        self._choice_initial = value if value in self._choice_values else None
        super().__init__(*(Option(_(label), id=val) for val, label in choices), id=id)

    def on_mount(self) -> None:
        if self._choice_initial is not None:
            self.highlighted = self._choice_values.index(self._choice_initial)

    def set_choices(self, choices: Sequence[tuple[str, str]], value: str | None) -> None:
        self._choice_values = [val for val, _ in choices]
        self.set_options(Option(_(label), id=val) for val, label in choices)
        if value in self._choice_values:
            self.highlighted = self._choice_values.index(value)

    @property
    def value(self) -> str | None:
        if self.highlighted is None:
            return None
        return self._choice_values[self.highlighted]

    def set_value(self, value: str) -> None:
        if value in self._choice_values:
            self.highlighted = self._choice_values.index(value)

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted < len(getattr(self, "_choice_values", ())):
            self.post_message(self.Changed(self, self._choice_values[highlighted]))
