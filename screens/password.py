"""Password: masked, entered twice, a strength hint, "keep the current password" when one exists.

The plaintext stays in memory (WizardState -> Secrets) for one apply only. Its fields and
checks are wizard.forms.password's.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Static

from screens.base import StepScreen
from screens.widgets import Field
from wizard.core.errors import Problem
from wizard.core.i18n import _
from wizard.forms import password as form


class PasswordScreen(StepScreen):
    step = "password"
    _typed: tuple[str, str] = ("", "")
    title_text = form.TITLE
    intro = form.INTRO

    def compose_body(self) -> ComposeResult:
        yield Checkbox(form.KEEP.label, id="keep")
        yield Field(form.NEW.label, password=True, id="pw1", hint="")
        yield Field(form.AGAIN.label, password=True, id="pw2", hint="")
        yield Static("", id="password-note", markup=False)

    def load(self) -> None:
        st = self.state
        keep = self.query_one("#keep", Checkbox)
        keep.display = st.has_current_password
        keep.value = st.keep_password
        self.query_one("#pw1", Field).input.value = st.password
        self.query_one("#pw2", Field).input.value = st.password
        self._update_enabled()
        self._show_strength(st.password)
        if st.has_current_password and st.keep_password:
            keep.focus()
        else:
            self.query_one("#pw1", Field).input.focus()

    def facts_changed(self) -> None:
        # Only whether a password exists depends on the facts; never touch what is being typed.
        keep = self.query_one("#keep", Checkbox)
        keep.display = self.state.has_current_password
        keep.value = self.state.keep_password
        self._update_enabled()

    def _update_enabled(self) -> None:
        keep = self.state.has_current_password and self.query_one("#keep", Checkbox).value
        for fid in ("#pw1", "#pw2"):
            self.query_one(fid, Field).input.disabled = keep
        self.query_one("#password-note", Static).update(
            form.note(self.state.has_current_password, keep)
        )

    @on(Checkbox.Changed, "#keep")
    def _keep_changed(self, event: Checkbox.Changed) -> None:
        self._update_enabled()
        if not event.value:
            self.query_one("#pw1", Field).input.focus()

    @on(Input.Changed, "#pw1-input")
    def _pw_changed(self, event: Input.Changed) -> None:
        self._show_strength(event.value)

    def _show_strength(self, pw: str) -> None:
        hint = form.strength(pw)
        self.query_one("#pw1", Field).show(
            warning=_("weak: {hint}").format(hint=hint) if hint else None
        )
        if pw and not hint:
            self.query_one("#pw1", Field).query_one(".field--message", Static).update(
                _("strength: fine")
            )

    def collect(self) -> None:
        st = self.state
        st.keep_password = st.has_current_password and self.query_one("#keep", Checkbox).value
        first = self.query_one("#pw1", Field).value
        second = self.query_one("#pw2", Field).value
        st.password = first if first == second else ""
        self._typed = (first, second)

    def check(self) -> list[Problem]:
        if self.state.keep_password:
            self.query_one("#pw2", Field).show()
            return []
        first, second = self._typed
        problems = form.problems(first, second)
        self.query_one("#pw2", Field).show(problems)
        if problems:
            self.query_one("#pw2", Field).input.focus()
        return problems
