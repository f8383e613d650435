"""Apply: one line per action (running / done / failed), live output, progress, rollback shown.

The plan runs in a thread worker through wizard.apply.apply_plan; the UI only listens to its
log lines ("▶ action" starts one, "↶ undo: action" takes one back) and never touches the system.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar, RichLog, Static

from screens.access import instructions
from wizard.plan.steps.install import PipInstall, PipProgress, pip_progress

if TYPE_CHECKING:
    from screens.app import WizardApp

MARKS = {
    "pending": ("·", ""),
    "running": ("⋯", "bold yellow"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "undone": ("↶", "magenta"),
}


class ApplyScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "status", "Status"),
        Binding("w", "welcome", "Start again"),
        Binding("escape", "review", "Back to review"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, plan: Any) -> None:
        super().__init__(id="apply")
        self.plan = plan
        self.actions = list(plan.changes())
        self.states = ["pending"] * len(self.actions)
        self.running: int | None = None
        self.finished = False
        self.failed = False
        self.result_text = ""
        self.pip: PipProgress | None = None  # while a pip action streams: where it is
        self.undoing = False

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

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
        yield Footer()

    def on_mount(self) -> None:
        self._render_actions()
        self.query_one("#apply-result").display = False
        self.query_one("#pip-row").display = False
        self.query_one("#apply-log", RichLog).focus()
        self.wizard.applying = True
        self.wizard.cancel_apply.clear()
        self.wizard.quit_after_apply = False
        self.refresh_bindings()
        self._run(self.wizard.cancel_apply, self.wizard.state.answers)

    # -- the worker ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def _run(self, cancelled: threading.Event, answers: Any) -> None:
        from wizard.apply.engine import apply_plan
        from wizard.core.errors import ApplyError

        # apply_plan itself stops at the cancel event, inside commands and between actions,
        # and rolls back what was done.
        def log(line: str) -> None:
            self.app.call_from_thread(self._on_line, line)

        try:
            result = apply_plan(self.plan, log=log, cancelled=cancelled)
        except ApplyError as exc:
            self.app.call_from_thread(self._on_failed, str(exc))
            return
        except Exception as exc:  # not expected from apply_plan; still never a frozen screen
            self.app.call_from_thread(self._on_failed, f"unexpected error: {exc}")
            return
        from wizard.core.record import save_current

        save_current(answers)
        self.app.call_from_thread(self._on_done, result.journal_id)

    # -- UI updates (main thread) ----------------------------------------------------------

    def _on_line(self, line: str) -> None:
        log = self.query_one("#apply-log", RichLog)
        if line.startswith("▶ "):
            if self.running is not None:
                self._set(self.running, "done")
            nxt = self.states.index("pending") if "pending" in self.states else None
            self.running = nxt
            if nxt is not None:
                self._set(nxt, "running")
                if isinstance(self.actions[nxt], PipInstall):
                    self.pip = PipProgress()
                    self._show_pip()
            log.write(Text(line, style="bold"))
        elif line.startswith("↶ undo: "):
            self.undoing = True  # pip's uninstall lines are not the install's progress
            desc = line.removeprefix("↶ undo: ")
            for i in reversed(range(len(self.actions))):
                if self.actions[i].description == desc and self.states[i] in ("done", "running"):
                    self._set(i, "failed" if i == self.running else "undone")
                    break
            log.write(Text(line, style="magenta"))
        else:
            if self.pip is not None and not self.undoing and self._running_pip():
                progress = pip_progress(self.pip, line)
                if progress != self.pip:
                    self.pip = progress
                    self._show_pip()
            log.write(Text(line))

    def _running_pip(self) -> bool:
        return self.running is not None and isinstance(self.actions[self.running], PipInstall)

    def _show_pip(self) -> None:
        """pip's phase and counts, and a bar once there is a total to measure against."""
        if self.pip is None:
            return
        self.query_one("#pip-row").display = True
        self.query_one("#pip-label", Label).update(f"pip: {self.pip.label()}")
        bar = self.query_one("#pip-bar", ProgressBar)
        fraction = self.pip.fraction
        if fraction is None and self.pip.phase != "failed" and not self.finished:
            bar.update(total=None)  # resolving: an indeterminate bar, the label counts
        else:
            bar.update(total=100, progress=round((fraction or 0) * 100))

    def _set(self, i: int, state: str) -> None:
        self.states[i] = state
        self.query_one("#apply-progress", ProgressBar).progress = self.states.count("done")
        self._render_actions()

    def _render_actions(self) -> None:
        text = Text()
        for action, state in zip(self.actions, self.states, strict=True):
            mark, style = MARKS[state]
            text.append(f" {mark} ", style=style)
            text.append(f"{action.description}  [{state}]\n")
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
        text = (
            f"✓ Applied (ID {journal_id}). Undo with: jupyter-setup-wizard rollback {journal_id}\n\n"
            + instructions(st.answers, st.facts)
            + "\n\nS: live status   W: start again (reconfigure)   Q: quit"
        )
        self._result(text, error=False)
        st.password = ""  # the plaintexts are not needed any more
        st.proxy_password = ""
        st.step_problems.clear()
        st.configured = True
        self.wizard.reprobe()
        if self.wizard.quit_after_apply:  # asked to stop too late: everything was applied
            self.wizard.exit(0)

    def _on_failed(self, message: str) -> None:
        self.failed = True
        if (
            self.pip is not None
            and self.pip.phase not in ("done", "failed")
            and self._running_pip()
        ):
            self.pip = dataclasses.replace(self.pip, phase="failed")
            self._show_pip()
        if self.running is not None and self.states[self.running] == "running":
            self._set(self.running, "failed")
        self._finish()
        cancelled = self.wizard.cancel_apply.is_set()
        head = "Stopped" if cancelled else "✗ The apply failed"
        text = (
            f"{head}; every change it made was rolled back, so the machine is as before.\n\n"
            f"{message}\n\n"
            "Next: Esc returns to the review; fix the step named above (or what the log shows)"
            " and apply again. W: start again   Q: quit"
        )
        self._result(text, error=True)
        if self.wizard.quit_after_apply:
            self.wizard.exit(1)

    def _result(self, text: str, *, error: bool) -> None:
        result = self.query_one("#apply-result", Static)
        result.update(text)
        result.set_class(error, "-error")
        result.display = True
        result.scroll_visible()

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("status", "welcome", "quit"):
            return True if self.finished else None
        if action == "review":
            return True if self.finished and self.failed else None
        return True

    def action_status(self) -> None:
        self.wizard.show_status()

    def action_welcome(self) -> None:
        self.wizard.goto("welcome")

    def action_review(self) -> None:
        self.wizard.goto("review")
