"""Apply: one line per action (running / done / failed), live output, progress, rollback shown.

The plan runs in a thread worker through wizard.session.apply; the engine's typed events
(wizard.apply.events) reach the screen as Textual messages, in order. The UI never touches
the system itself.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, ProgressBar, RichLog, Static

from screens.base import Wizard, wizard_of
from screens.widgets.footer import KeysFooter
from wizard.apply.events import (
    ActionStarted,
    ApplyEvent,
    Finished,
    Output,
    Progress,
    Undoing,
    event_text,
)
from wizard.core.errors import ApplyError, WizardError
from wizard.forms.access import instructions, next_step

if TYPE_CHECKING:
    from wizard.session import Planned

MARKS = {
    "pending": ("·", ""),
    "running": ("⋯", "bold yellow"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "undone": ("↶", "magenta"),
}


# At 80x24 the action list keeps this many lines, the running action always among them.
WINDOW = 7


def action_window(states: list[str], running: int | None, size: int = WINDOW) -> range:
    """Which actions to list: all when they fit, else `size` lines around the running one (the
    first pending one before the start, the last at the end)."""
    n = len(states)
    if n <= size:
        return range(n)
    focus = running if running is not None else (n - 1 if "pending" not in states else 0)
    start = min(max(focus - size // 2, 0), n - size)
    return range(start, start + size)


class ApplyScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "status", "Status"),
        Binding("r", "retry", "Apply again"),
        Binding("w", "welcome", "Start again"),
        Binding("escape", "review", "Back to review"),
        Binding("q", "app.quit", "Quit", show=False),  # Ctrl+Q, shown by the app, too
        Binding("up", "scroll_result(-1)", "Scroll", show=False),
        Binding("down", "scroll_result(1)", "Scroll", show=False),
        Binding("pageup", "scroll_result(-10)", "Scroll", show=False),
        Binding("pagedown", "scroll_result(10)", "Scroll", show=False),
    ]

    def __init__(self, planned: Planned) -> None:
        super().__init__(id="apply")
        self.planned = planned
        self.actions = list(planned.plan.changes())
        self.states = ["pending"] * len(self.actions)
        self.running: int | None = None
        self.finished = False
        self.failed = False
        self.result_text = ""
        self.undoing = False

    @property
    def wizard(self) -> Wizard:
        return wizard_of(self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="apply-frame"):
            yield Static("Applying the plan", classes="step-title")
            yield Static("", id="apply-actions")
            yield ProgressBar(total=len(self.actions), show_eta=False, id="apply-progress")
            with Horizontal(id="pip-row"):
                yield Label("", id="pip-label", markup=False)
                # Determinate until pip resolves (see _finish).
                yield ProgressBar(total=100, show_eta=False, id="pip-bar")
            yield RichLog(id="apply-log", wrap=True, markup=False, max_lines=2000)
            yield Static("", id="apply-result", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._render_actions()
        self.query_one("#apply-result").display = False
        self.query_one("#pip-row").display = False
        self.query_one("#apply-log", RichLog).focus()
        self.wizard.applying = True
        self.wizard.cancel_apply.clear()
        self.wizard.quit_after_apply = False
        self.refresh_bindings()
        self._run(self.wizard.cancel_apply)

    # -- the worker ------------------------------------------------------------------------

    class EngineEvent(Message):
        """One event of the apply engine, carried from the worker thread to the screen."""

        def __init__(self, event: ApplyEvent) -> None:
            super().__init__()
            self.event = event

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def _run(self, cancelled: threading.Event) -> None:
        from wizard import session

        # The engine stops at the cancel event, inside commands and between actions, and
        # rolls back what was done; its last event is always Finished.
        def post(event: ApplyEvent) -> None:
            self.post_message(self.EngineEvent(event))

        try:
            session.apply(self.planned, on_event=post, cancelled=cancelled, todo=self.actions)
        except ApplyError:
            return  # its Finished event carries the message
        except WizardError as exc:  # refused before it began (another apply runs, ...)
            post(Finished(error=str(exc)))
        except Exception as exc:  # not expected from the engine; still never a frozen screen
            post(Finished(error=f"unexpected error: {exc}"))

    # -- UI updates (main thread) ----------------------------------------------------------

    def on_apply_screen_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        log = self.query_one("#apply-log", RichLog)
        if isinstance(event, ActionStarted):
            if self.running is not None:
                self._set(self.running, "done")
            self.running = event.index
            self._set(event.index, "running")
            log.write(Text(event_text(event) or "", style="bold"))
        elif isinstance(event, Undoing):
            self.undoing = True  # pip's uninstall lines are not the install's progress
            if self.states[event.index] in ("done", "running"):
                self._set(event.index, "failed" if event.index == self.running else "undone")
            log.write(Text(event_text(event) or "", style="magenta"))
        elif isinstance(event, Progress):
            if not self.undoing:
                self._show_progress(event)
        elif isinstance(event, Output):
            log.write(Text(event.line))
        elif event.error is not None:
            log.write(Text(event.error))
            self._on_failed(event)
        else:
            self._on_done(event.result.journal_id if event.result else None)

    def _show_progress(self, event: Progress) -> None:
        """A long action's phase, and a bar once it has a total to measure against."""
        self.query_one("#pip-row").display = True
        self.query_one("#pip-label", Label).update(event.label)
        bar = self.query_one("#pip-bar", ProgressBar)
        if event.fraction is None and not self.finished:
            bar.update(total=None)  # resolving: an indeterminate bar, the label counts
        else:
            bar.update(total=100, progress=round((event.fraction or 0) * 100))

    def _set(self, i: int, state: str) -> None:
        self.states[i] = state
        self.query_one("#apply-progress", ProgressBar).progress = self.states.count("done")
        self._render_actions()

    def _render_actions(self) -> None:
        shown = action_window(self.states, self.running)
        text = Text()
        if shown.start:
            text.append(f"   … {shown.start} more above\n", style="dim")
        for i in shown:
            mark, style = MARKS[self.states[i]]
            text.append(f" {mark} ", style=style)
            text.append(f"{self.actions[i].description}  [{self.states[i]}]\n")
        if shown.stop < len(self.actions):
            text.append(f"   … {len(self.actions) - shown.stop} more below\n", style="dim")
        text.rstrip()
        self.query_one("#apply-actions", Static).update(text)

    def _finish(self) -> None:
        self.finished = True
        # Never leave the bar animating (an indeterminate bar kept the app from exiting in a
        # real terminal): pip's own end is shown by its label.
        bar = self.query_one("#pip-bar", ProgressBar)
        if bar.total is None:
            bar.update(total=100, progress=0)
        self.wizard.applying = False
        self.refresh_bindings()

    def _on_done(self, journal_id: str | None) -> None:
        for i in range(len(self.states)):
            self._set(i, "done")
        self._finish()
        st = self.wizard.state
        answers, facts = self.planned.answers, self.planned.facts
        nxt = next_step(answers, facts)
        text = (
            f"✓ Applied (ID {journal_id}).\n{nxt}\n"
            "S: live status · W: start again (reconfigure) · Q: quit (this stays printed)\n\n"
            f"{instructions(answers, facts)}\n\n"
            f"Undo with: jupyter-setup-wizard rollback {journal_id}"
        )
        # The result is what the person came for (the ssh command): at 80x24 it gets the whole
        # frame; the actions all succeeded, and the log is in the journal.
        for done_with in ("#apply-actions", "#apply-progress", "#pip-row", "#apply-log"):
            self.query_one(done_with).display = False
        self.query_one("#apply-result").add_class("-done")
        self._result(text, error=False)
        self.wizard.farewell = f"{instructions(answers, facts)}\n\nNext:\n{nxt}"
        self.wizard.applied_answers = st.answers
        st.password = ""  # the plaintexts are not needed any more
        st.proxy_password = ""
        st.step_problems.clear()
        st.configured = True
        self.wizard.reprobe()
        if self.wizard.quit_after_apply:  # asked to stop too late: everything was applied
            self.app.exit(0)

    def _on_failed(self, event: Finished) -> None:
        self.failed = True
        if self.running is not None and self.states[self.running] == "running":
            self._set(self.running, "failed")
        self._finish()
        if self.wizard.cancel_apply.is_set():
            head = "Stopped"
        else:
            head = "✗ The apply failed" + (f" at: {event.failed_at}" if event.failed_at else "")
        why = f"why: {event.cause}\n" if event.cause else ""
        text = (
            f"{head}\n{why}{event.outcome()}\n"
            "Next: R applies again · Esc back to the review to change a step · Q quits\n\n"
            f"{event.error}"
        )
        # What went wrong and what to do next come first and take the frame (the log's tail
        # is in the message); the action list shows which one failed.
        for done_with in ("#apply-progress", "#pip-row", "#apply-log"):
            self.query_one(done_with).display = False
        self.query_one("#apply-result").add_class("-done")
        self._result(text, error=True)
        if self.wizard.quit_after_apply:
            self.app.exit(1)

    def _result(self, text: str, *, error: bool) -> None:
        result = self.query_one("#apply-result", Static)
        result.update(text)
        result.set_class(error, "-error")
        result.display = True
        result.scroll_visible()

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys are offered only when they work: none but Ctrl+Q (stop) while applying."""
        if action in ("status", "welcome"):
            return self.finished
        if action in ("review", "retry"):
            return self.finished and self.failed
        return True

    def action_scroll_result(self, lines: int) -> None:
        result = self.query_one("#apply-result")
        if result.display:
            result.scroll_relative(y=lines, animate=False)

    def action_status(self) -> None:
        self.wizard.show_status()

    def action_welcome(self) -> None:
        self.wizard.goto("welcome")

    def action_review(self) -> None:
        self.wizard.goto("review")

    def action_retry(self) -> None:
        self.wizard.goto("review", apply=True)
