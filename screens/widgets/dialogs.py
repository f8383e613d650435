"""Modal dialogs: a yes/no confirmation and the help overlay with every key."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.widgets.button import Button
from screens.widgets.footer import KeysFooter
from screens.widgets.translated import TranslatedBindings
from wizard.core.i18n import N_, _

HELP_TEXT = N_("""\
Everywhere
  F1 or ?        this help (? only when not typing in a field)
  Ctrl+N         next step (checks this step first)
  Enter          next field; on the last field or a list: next step
  Esc            back to the previous step (closes dialogs)
  Tab/Shift+Tab  move between fields, buttons and the step list
  1 … 8          jump to a step (when not typing in a field)
  Ctrl+R         jump to the review (from any field)
  Ctrl+Q         quit (during an apply: asks, then rolls back)

Lists
  Up/Down        choose (the highlighted entry is the choice)

Password
  Space          toggle "keep the current password" (when focused)

Access
  Enter          on the method: into its fields (SSH tunnel: next step)
  C or Ctrl+Y    copy the ssh command (OSC 52: works over SSH; in tmux
                 it needs set -g set-clipboard on)

Checkboxes
  Space/Enter    tick or untick (X: ticked, blank: not)

Review
  A or Ctrl+N    apply the plan
  Esc            back: nothing has been changed yet

Apply
  S              live status (after the apply)
  W              back to the start, to reconfigure
  Q              quit (after the apply)
""")


class HelpScreen(TranslatedBindings, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "dismiss_help", N_("Close help")),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(_("Keys"), id="help-title")
            with VerticalScroll():
                yield Static(_(HELP_TEXT), markup=False, id="help-text")
        yield KeysFooter()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ConfirmScreen(TranslatedBindings, ModalScreen[bool]):
    """Ask a yes/no question; Y/Enter on Yes, N/Esc for no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes")),
        Binding("n,escape", "answer(False)", N_("No")),
    ]

    def __init__(self, question: str, yes: str = N_("Yes"), no: str = N_("No")) -> None:
        super().__init__()
        self.question = question
        self.yes = _(yes)
        self.no = _(no)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, markup=False, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="warning")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
