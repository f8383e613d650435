"""Welcome: what is there now, at a glance, and the choice: set up / reconfigure, or status."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from screens.base import StepScreen
from screens.widgets.button import Button
from wizard.core.i18n import N_, _, language
from wizard.forms import welcome as form


class WelcomeScreen(StepScreen):
    step = "welcome"
    title_text = form.TITLE
    intro = form.INTRO
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "status", N_("Status")),
        Binding("q", "app.quit", N_("Quit"), show=False),
        # English <-> 简体中文, remembered for the next start (the help lists it).
        Binding("l", "language", N_("Language"), show=False),
    ]

    def compose_body(self) -> ComposeResult:
        # Composed as load() would fill them: the first paint is the finished screen.
        yield Static(self._glance(), id="glance", markup=False)
        with Horizontal(id="welcome-buttons"):
            yield Button(form.start_label(self.state.configured), id="setup", variant="primary")
            yield Button(_("Status"), id="status")
            yield Button(_("Quit"), id="quit")

    def on_mount(self) -> None:
        self.query_one("#setup", Button).focus()

    def _glance(self) -> str:
        st = self.state
        if self.wizard.probe_error:
            return _("Could not probe: {error}").format(error=self.wizard.probe_error)
        return "\n".join(form.glance(st.facts, st.answers, st.has_current_password, st.configured))

    def load(self) -> None:
        glance = self.query_one("#glance", Static)
        text = self._glance()
        if glance.content != text:  # an update re-lays out the screen: only when it changes
            glance.update(text)
        self.query_one("#setup", Button).label = form.start_label(self.state.configured)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup":
            self.action_next()
        elif event.button.id == "status":
            self.action_status()
        else:
            self.app.exit(0)

    def action_status(self) -> None:
        self.wizard.show_status()

    async def action_language(self) -> None:
        """The other language, at once on this screen, and remembered (in a thread)."""
        self.wizard.switch_language("en" if language() == "zh_CN" else "zh_CN")
        await self.recompose()
        self.on_mount()
        self.load()
        self.sub_title = _(self.title_text)
