"""The yardstick for bench_startup: a bare Textual app (a Static and a Footer) that paints the
same words the wizard's welcome does and answers F1 the way the wizard's help does."""

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Static


class Bare(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("f1", "help", "Help"), ("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("Welcome\n\nSet up", id="body")
        yield Footer()

    def action_help(self) -> None:
        self.query_one("#body", Static).update("Everywhere")


if __name__ == "__main__":
    Bare().run()
