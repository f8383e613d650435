"""The visible list of steps: where you are, which steps have problems, any step one key away."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class StepList(OptionList):
    """Shown, clicked, or reached by the digit keys; never in the Tab order, so the focus is
    always on a field of the step (keys typed never go to the list by surprise)."""

    can_focus = False

    DEFAULT_CSS = """
    StepList { width: 18; height: 1fr; border: none; padding: 0; }
    """

    class Jump(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(
        self, steps: Sequence[tuple[str, str]], current: str, marks: dict[str, str]
    ) -> None:
        self._steps = list(steps)
        super().__init__(*self._build_options(current, marks), id="steps")
        self._current = current
        self._marks = dict(marks)

    def _build_options(self, current: str, marks: dict[str, str]) -> list[Option]:
        out = []
        for i, (name, title) in enumerate(self._steps, 1):
            pointer = "▶" if name == current else " "
            mark = marks.get(name, " ")
            out.append(Option(f"{pointer}{i} {title} {mark}", id=name))
        return out

    def on_mount(self) -> None:
        names = [n for n, _ in self._steps]
        if self._current in names:
            self.highlighted = names.index(self._current)

    def refresh_marks(self, marks: dict[str, str]) -> None:
        if marks == self._marks:  # rebuilding the options re-lays out the whole screen
            return
        self._marks = dict(marks)
        highlighted = self.highlighted
        self.set_options(self._build_options(self._current, marks))
        self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(event.option.id))
