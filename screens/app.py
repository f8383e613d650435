"""The Textual wizard: the App, its screens, global keys, and the probe that fills in after paint.

Startup stays light on purpose (the first screen must paint fast): the planner, password
hashing and the step screens' core modules are imported when first needed, and the probe
runs in a thread worker after the first paint.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import get_current_worker

from screens.terminal import HANGUP_EXIT, GuardedDriver, TerminalLost
from screens.widgets.dialogs import ConfirmScreen, HelpScreen
from wizard.core.answers import Answers
from wizard.core.errors import WizardError
from wizard.core.i18n import N_, _, language, remember, set_language
from wizard.forms.state import (
    STEP_NAMES,
    Prober,
    WizardState,
    discover_environments,
    suggested_answers,
)

if TYPE_CHECKING:
    from screens.base import StepScreen, Wizard
    from screens.status import StatusScreen
    from wizard.probe.environments import Environment
    from wizard.probe.facts import Facts
    from wizard.session import Planned

HERE = Path(__file__).parent
PROBE_DELAY = 0.15  # seconds after the first paint


def _real_probe(python: str | None, config_dir: str | None) -> Facts:
    from wizard.probe.facts import probe

    return probe(python, config_dir)


class WizardApp(App[int]):
    """jupyter-setup-wizard's full-screen UI."""

    TITLE = "jupyter-setup-wizard"
    CSS_PATH = HERE / "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", N_("Help")),
        Binding("question_mark", "help", N_("Help"), show=False),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
        Binding("ctrl+c", "quit", N_("Quit"), show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        python: str | None = None,
        config_dir: str | None = None,
        prober: Prober | None = None,
        current: Answers | bool | None = True,
        discover: Callable[[], list[Environment]] | None = None,
    ) -> None:
        """`prober`, `discover` and `current` let tests inject the machine (True: load it)."""
        super().__init__(driver_class=GuardedDriver)
        if current is True:
            from wizard.core.record import load_current

            current = load_current()
        previous = current if isinstance(current, Answers) else None
        answers = previous or Answers()
        self.discover: Callable[[], list[Environment]] = discover or discover_environments
        # discovered once, after the first paint
        self.environments: list[Environment] | None = None
        if python:
            answers = answers.replace("jupyter", python=python)
        if config_dir is not None:
            answers = answers.replace("jupyter", config_dir=config_dir)
        self.state = WizardState(answers=answers, configured=previous is not None)
        # What the machine has (the record, or the first suggestion): quitting with other
        # answers, or a typed password, asks first.
        self.applied_answers = answers
        self.prober: Prober = prober or _real_probe
        self.probe_error: str | None = None
        self.probing = False
        self.probed_once = False  # tests and benchmarks wait for the first probe
        # Apply in progress: the cancel event, and whether the person asked to quit.
        self.applying = False
        self.cancel_apply = threading.Event()
        self.quit_after_apply = False
        self.terminal_lost = False
        self.farewell = ""  # printed when the app exits: the access instructions of an apply
        self.restart_argv: list[str] = []  # run instead when the app exits (restart with sudo)
        self._step_screens: dict[str, StepScreen] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def get_default_screen(self) -> StepScreen:
        # The welcome is the bottom of the stack itself: no blank screen under it to compose,
        # lay out and switch from before the first paint.
        welcome = self.step_screen("welcome")
        # What push_screen gives a screen and switch_screen takes away (Textual gives the
        # default screen none, so switching from it would fail).
        welcome._push_result_callback(self, None)
        return welcome

    def on_mount(self) -> None:
        # The probe (subprocesses, a filesystem walk) starts once the first screen is on the
        # terminal and has had a moment to take keys; its results fill in when ready.
        self.call_after_refresh(self.set_timer, PROBE_DELAY, self.reprobe)
        self.call_after_refresh(self.set_timer, PROBE_DELAY, self._look_for_interrupted)

    @work(thread=True, group="interrupted", exit_on_error=False)
    def _look_for_interrupted(self) -> None:
        """An apply a crash left half done is named here, as every command names it."""
        from wizard.apply.lock import interrupted, interrupted_text

        for journal in interrupted():
            self.call_from_thread(
                self.notify, interrupted_text(journal), severity="warning", timeout=30
            )

    def step_screen(self, name: str) -> StepScreen:
        """The screen of a step, made on first use (so startup composes only the welcome)."""
        screen = self._step_screens.get(name)
        if screen is None:
            module = importlib.import_module(f"screens.{name}")
            screen_cls: type[StepScreen] = getattr(module, f"{name.capitalize()}Screen")
            screen = screen_cls()
            self.install_screen(screen, name)
            self._step_screens[name] = screen
        return screen

    # -- language --------------------------------------------------------------------------

    def switch_language(self, code: str) -> None:
        """Every text in `code` from now on: the step screens made so far are made again when
        next shown (the current one recomposes itself); the choice is kept for the next start."""
        set_language(code)
        current = self.screen
        for name, screen in list(self._step_screens.items()):
            if screen is not current and screen not in self.screen_stack:
                del self._step_screens[name]
                self.uninstall_screen(name)
        self._remember_language(language())
        self.refresh_bindings()

    @work(thread=True, group="language", exit_on_error=False)
    def _remember_language(self, code: str) -> None:
        try:
            remember(code)
        except (OSError, WizardError) as exc:  # not worth more than a line: it is in use now
            self.call_from_thread(
                self.notify,
                _("The language could not be remembered: {error}").format(error=exc),
                severity="warning",
            )

    # -- facts -----------------------------------------------------------------------------

    def reprobe(self, python: str | None = None) -> None:
        """Probe (again) for the chosen interpreter, in a thread; screens update when done."""
        if python is not None:
            self.state.answers = self.state.answers.replace("jupyter", python=python)
        self.probing = True
        self._probe_worker(self.state.answers)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def _probe_worker(self, answers: Answers) -> None:
        # Imported here, in the thread: the session's modules would hold up the first keys.
        from wizard.forms.password import is_set as password_is_set
        from wizard.session import probe_target  # the one rule for what to probe

        if self.environments is None:
            try:
                envs = list(self.discover())
            except Exception:  # discovery is a convenience; the path can still be typed
                envs = []
            self.environments = envs
            if not answers.jupyter.python and not self.state.configured:
                answers = suggested_answers(answers, envs)
                self.call_from_thread(self._set_answers, answers)
        python, config_dir = probe_target(answers)
        try:
            facts: Facts | None = self.prober(python, config_dir)
            error = None
        except WizardError as exc:
            facts, error = None, str(exc)
        except Exception as exc:  # a core bug must show on the screens, not leave them waiting
            facts, error = None, _("unexpected error while probing: {error}").format(error=exc)
        has_password = facts is not None and password_is_set(facts)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._facts_ready, facts, error, has_password)

    def _set_answers(self, answers: Answers) -> None:
        if not self.state.answers.jupyter.python:
            self.state.answers = self.applied_answers = answers

    def _facts_ready(self, facts: Facts | None, error: str | None, has_password: bool) -> None:
        self.probing = False
        if not self.probed_once and facts is not None and not self.state.configured:
            # First setup: the service manager that fits this machine (as --plain does).
            from wizard.forms import service as service_form  # after the first paint

            untouched = self.state.answers == self.applied_answers
            self.state.answers = service_form.suggested(self.state.answers, facts)
            if untouched:
                self.applied_answers = self.state.answers
        self.probed_once = True
        self.state.facts = facts
        self.probe_error = error
        self.state.has_current_password = has_password
        if has_password and not self.state.password:
            self.state.keep_password = True
        if not has_password:
            self.state.keep_password = False
        for screen in self._step_screens.values():
            if screen.is_mounted:
                screen.facts_changed()

    # -- navigation ------------------------------------------------------------------------

    def goto(self, step: str, *, apply: bool = False) -> None:
        """Show a step; `apply` on review: apply its plan as soon as it is made (a retry)."""
        if self.applying:
            self.notify(_("An apply is running; wait for it or press Ctrl+Q to stop it."))
            return
        if self.screen.id == step or getattr(self.screen, "step", None) == step:
            return
        screen = self.step_screen(step)
        screen.apply_when_ready = apply
        self.switch_screen(screen)

    def step_marks(self) -> dict[str, str]:
        return {
            name: ("✗" if problems else "✓") for name, problems in self.state.step_problems.items()
        }

    def start_apply(self, planned: Planned) -> None:
        from screens.apply import ApplyScreen

        self.switch_screen(ApplyScreen(planned))

    def show_status(self) -> None:
        try:  # the status screen is built separately; stay usable without it
            status = importlib.import_module("screens.status")
        except ImportError:
            self.notify(_("The status screen is not available in this build."), severity="warning")
            return
        screen_cls = getattr(status, "StatusScreen", None)
        if screen_cls is None:
            self.notify(_("The status screen is not available in this build."), severity="warning")
            return
        self.push_screen(screen_cls())

    def on_status_screen_fix_requested(self, message: StatusScreen.FixRequested) -> None:
        """A finding on the status screen: go to the step that fixes it."""
        if getattr(self.screen, "FixRequested", None) is not None:
            self.pop_screen()
        step = message.step
        if step in STEP_NAMES:
            self.goto(step)

    # -- global actions --------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def restart_with_sudo(self) -> None:
        """Exit, then run the same wizard with sudo, handing the answers over (not the password)."""
        from wizard.session import hand_over

        handed = hand_over(self.state.answers)
        me = Path(sys.argv[0])
        wizard = [str(me)] if me.is_absolute() and me.name == "jupyter-setup-wizard" else [
            sys.executable, "-m", "wizard",
        ]  # fmt: skip
        self.restart_argv = ["sudo", *wizard, "--lang", language(), "--resume", str(handed)]
        self.exit(0)

    def unapplied(self) -> bool:
        """Answers or a password the person gave that no apply has made true yet (compared
        with their defaults filled in: an empty venv path left as it was is the default one)."""
        from wizard.plan.steps.install import resolve_answers

        given = resolve_answers(self.state.answers) != resolve_answers(self.applied_answers)
        return given or bool(self.state.password)

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmScreen):
            return
        if not self.applying:
            if not self.unapplied():
                self.exit(0)
                return
            self.push_screen(
                ConfirmScreen(
                    _(
                        "Your answers are not applied yet, and quitting forgets them.\n\nQuit anyway?"
                    ),
                    yes=_("Quit"),
                    no=_("Keep going"),
                ),
                lambda leave: self.exit(0) if leave else None,
            )
            return

        def answered(stop: bool | None) -> None:
            if stop and self.applying:
                self.stop_apply_and_quit()
                self.notify(_("Stopping: rolling back what was done…"), severity="warning")

        self.push_screen(
            ConfirmScreen(
                _(
                    "An apply is in progress.\n\nStop it and roll back everything it changed, then quit?"
                ),
                yes=_("Stop and roll back"),
                no=_("Keep applying"),
            ),
            answered,
        )

    def stop_apply_and_quit(self) -> None:
        """Cancel the apply in progress; the apply screen quits once it is rolled back."""
        self.quit_after_apply = True
        self.cancel_apply.set()

    def on_terminal_lost(self, message: TerminalLost) -> None:
        """The terminal went away: end now, an apply in progress rolled back first."""
        self.terminal_lost = True
        if self.applying:
            self.stop_apply_and_quit()
        else:
            self.exit(HANGUP_EXIT)


if TYPE_CHECKING:

    def _is_a_wizard(app: WizardApp) -> Wizard:
        return app  # mypy checks that WizardApp is what the screens expect (screens.base.Wizard)


def run_app(resume: Path | None = None) -> int:
    current: Answers | bool = True
    if resume is not None:  # only then: the session's imports would slow every launch
        from wizard.session import take_over

        current = take_over(resume)
    app = WizardApp(current=current)
    code = app.run()
    if app.terminal_lost:  # nobody to print to, or to restart for
        return HANGUP_EXIT
    if app.farewell:  # after an apply: how to reach JupyterLab, kept in the terminal
        print(app.farewell)
    if app.restart_argv:  # the person asked for root: the same wizard, with sudo, same answers
        print(_("Restarting with sudo…"), flush=True)
        os.execvp(app.restart_argv[0], app.restart_argv)
    return int(code or 0)
