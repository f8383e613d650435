"""What every step screen shares: the step list, the body, Back/Next, inline problems; and
`Wizard`, what the screens use of the app (so no screen imports the app module)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from screens.widgets.footer import KeysFooter
from screens.widgets.step_list import StepList
from screens.widgets.translated import TranslatedBindings
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _, ngettext
from wizard.forms.state import STEP_NAMES, STEPS, Prober, WizardState

if TYPE_CHECKING:
    from textual.app import App

    from wizard.core.answers import Answers
    from wizard.probe.environments import Environment
    from wizard.session import Planned


class Wizard(Protocol):
    """What the screens use of the wizard's app (screens.app.WizardApp)."""

    state: WizardState
    environments: list[Environment] | None
    prober: Prober
    probe_error: str | None
    probing: bool
    applying: bool
    cancel_apply: threading.Event
    quit_after_apply: bool
    farewell: str

    def restart_with_sudo(self) -> None: ...

    applied_answers: Answers

    def reprobe(self, python: str | None = None) -> None: ...
    def goto(self, step: str, *, apply: bool = False) -> None: ...
    def step_marks(self) -> dict[str, str]: ...
    def start_apply(self, planned: Planned) -> None: ...
    def show_status(self) -> None: ...
    def switch_language(self, code: str) -> None: ...


def wizard_of(app: App[int]) -> Wizard:
    """The running app as the screens see it (the wizard's screens only run in WizardApp)."""
    return cast("Wizard", app)


def shown(widget: Widget) -> bool:
    """Displayed, and so are all its containers (a hidden group hides its fields)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


class StepScreen(TranslatedBindings, Screen[None]):
    """One wizard step. Subclasses give `step`, `title`, compose_body, load, collect, check."""

    step: ClassVar[str] = ""
    title_text: ClassVar[str] = ""
    apply_when_ready = False  # review only: apply the plan once made (the apply screen's retry)
    intro: ClassVar[str] = ""

    # The first field of the step, never the step list.
    AUTO_FOCUS = "#body Input, #body ChoiceList, #body Checkbox, #body Button, #body #plan-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", N_("Next"), priority=True),
        Binding("escape", "back", N_("Back")),
        Binding("ctrl+r", f"jump({len(STEPS)})", N_("Review"), priority=True),
        *[Binding(str(i), f"jump({i})", f"Step {i}", show=False) for i in range(1, len(STEPS) + 1)],
    ]

    @property
    def wizard(self) -> Wizard:
        return wizard_of(self.app)

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="frame"):
            yield StepList(STEPS, self.step, self.wizard.step_marks())
            with VerticalScroll(id="body"):
                yield Static(_(self.title_text), classes="step-title", markup=False)
                if self.intro:
                    yield Static(_(self.intro), classes="step-intro", markup=False)
                yield from self.compose_body()
        yield KeysFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    # -- hooks for each step ---------------------------------------------------------------

    def load(self) -> None:
        """Fill the widgets from the state (called on show and when the facts change)."""

    def collect(self) -> None:
        """Put what the widgets hold into the state."""

    def check(self) -> list[Problem]:
        """Validate this step with the core validators and show the problems inline."""
        return []

    # -- lifecycle -------------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.sub_title = _(self.title_text)
        self.query_one(StepList).refresh_marks(self.wizard.step_marks())
        self.load()
        # Textual centres the field it focuses, hiding the step's title and intro above the
        # first field: a step starts at its top when its first field has the focus.
        self.call_after_refresh(self._show_top)

    def _show_top(self) -> None:
        first = next((w for w in self.query(self.AUTO_FOCUS) if w.focusable), None)
        if first is not None and self.focused is first:
            self.query_one("#body").scroll_home(animate=False)

    def facts_changed(self) -> None:
        """The probe finished (or ran again): show what depends on the facts, keeping what
        the person has typed so far."""
        self.collect()
        self.load()

    # -- navigation ------------------------------------------------------------------------

    def problem_lines(
        self, problems: Iterable[Problem], where: Callable[[Problem], str] = str
    ) -> str:
        """Problems not tied to one field, one '✗' line each, no typed value repeated."""
        # The fields' modules load with the first screen that has fields, not before the
        # first paint (the welcome has none).
        from screens.widgets.field import typed_values
        from wizard.forms.fields import scrub

        typed = typed_values(self)
        return "\n".join(scrub(f"✗ {p}{where(p)}", typed) for p in problems)

    def first_wrong(self) -> Widget | None:
        """Where a failed Next puts the focus: the first field marked wrong, else the first
        field of the step (a problem without a field is shown under the fields)."""
        from screens.widgets.field import Field

        wrong = [f for f in self.query(Field) if f.has_class("-error") and shown(f)]
        if wrong:
            return wrong[0].input
        return next((w for w in self.query(self.AUTO_FOCUS) if shown(w) and w.focusable), None)

    def action_next(self) -> None:
        self.collect()
        problems = self.check()
        self.state.step_problems[self.step] = problems
        self.query_one(StepList).refresh_marks(self.wizard.step_marks())
        if problems:
            target = self.first_wrong()
            if target is not None:
                self.set_focus(target)
            self.notify(
                ngettext(
                    "{count} thing to fix first, marked ✗ on this step; the cursor is on the first.",
                    "{count} things to fix first, marked ✗ on this step; the cursor is on the first.",
                    len(problems),
                ).format(count=len(problems)),
                title=_("Not yet"),
                severity="error",
            )
            return
        i = STEP_NAMES.index(self.step)
        if i + 1 < len(STEP_NAMES):
            self.wizard.goto(STEP_NAMES[i + 1])

    def leave(self) -> None:
        """Before going to another step: keep what was typed; a step marked ✗ is checked again,
        so its mark says what is true now (fixed, or still wrong)."""
        self.collect()
        if self.step in self.state.step_problems:
            self.state.step_problems[self.step] = self.check()

    def action_back(self) -> None:
        self.leave()
        i = STEP_NAMES.index(self.step)
        if i > 0:
            self.wizard.goto(STEP_NAMES[i - 1])

    def action_jump(self, number: int) -> None:
        self.leave()
        if 1 <= number <= len(STEP_NAMES):
            self.wizard.goto(STEP_NAMES[number - 1])

    @on(StepList.Jump)
    def _jump(self, event: StepList.Jump) -> None:
        self.leave()
        self.wizard.goto(event.step)

    def advance_from(self, field: Input) -> None:
        """Enter in a field: the next visible field, or Next on the last one."""
        inputs = [w for w in self.query(Input) if shown(w) and not w.disabled]
        if field in inputs and inputs.index(field) + 1 < len(inputs):
            # set_focus now, not focus() (deferred): the keys already queued go to the next field.
            self.set_focus(inputs[inputs.index(field) + 1])
        else:
            self.action_next()

    @on(OptionList.OptionSelected)  # a ChoiceList's: it has no message class of its own
    def _choice_selected(self, event: OptionList.OptionSelected) -> None:
        from screens.widgets.choice import ChoiceList

        if isinstance(event.option_list, ChoiceList):
            event.stop()
            self.action_next()
