"""Install: which Python environment runs JupyterLab, and whether to install/upgrade it there.

Its fields, choices, defaults and checks are wizard.forms.install's.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList, Field
from wizard.core.errors import Problem
from wizard.forms import install as form
from wizard.forms.fields import Choice, FieldSpec

NONE_FOUND = Choice("", "None found: type the interpreter's path below")


def _field(spec: FieldSpec) -> Field:
    return Field(spec.label, hint=spec.help, id=spec.name)


class InstallScreen(StepScreen):
    step = "install"
    title_text = form.TITLE
    intro = form.INTRO

    def compose_body(self) -> ComposeResult:
        yield Static("", id="interp-facts", markup=False)
        yield Label(form.ENVS.label, classes="field-label", id="envs-label")
        yield ChoiceList([form.SEARCHING], id="envs")
        yield _field(form.PYTHON)
        yield Label(form.ACTION.label, classes="field-label")
        yield ChoiceList(form.actions(), id="action")
        yield _field(form.VENV_PATH)
        yield _field(form.BASE_PYTHON)
        yield _field(form.VERSION)
        yield Label(form.INSTALLER.label, classes="field-label", id="installer-label")
        yield ChoiceList(form.installers(), id="installer")
        yield _field(form.INDEX_URL)
        yield Static("", id="installer-line", markup=False)
        yield Static("", id="install-problems", classes="problems", markup=False)

    def on_mount(self) -> None:
        # Always shown (first in the focus order, whatever the timing of discovery).
        self._shown_envs: list[Choice] = []

    def _show_envs(self) -> None:
        current = self.state.answers.jupyter.python
        envs = form.env_choices(self.wizard.environments or [], current)
        if not envs and self.wizard.environments is not None:
            envs = [NONE_FOUND]
        if not envs or envs == self._shown_envs:
            return
        self._shown_envs = envs
        lst = self.query_one("#envs", ChoiceList)
        lst.set_choices(envs, current or envs[0].value)

    def load(self) -> None:
        values = form.values(self.state.answers)
        self.query_one("#python", Field).input.value = values[form.PYTHON.name]
        self.query_one("#action", ChoiceList).set_value(values[form.ACTION.name])
        for spec in (form.VENV_PATH, form.BASE_PYTHON, form.VERSION):
            self.query_one(f"#{spec.name}", Field).input.value = values[spec.name]
        self.query_one("#installer", ChoiceList).set_value(values[form.INSTALLER.name])
        self.query_one("#index_url", Field).input.value = values[form.INDEX_URL.name]
        self._update_visibility(values[form.ACTION.name])
        self._show_envs()
        self._show_facts()

    def _show_facts(self) -> None:
        facts = self.state.facts
        text = "Checking the interpreter…"
        if self.wizard.probe_error:
            text = f"✗ {self.wizard.probe_error}"
        elif facts is not None and facts.interpreter is not None:
            i = facts.interpreter
            text = (
                f"Python {i.python_version} ({i.kind}), "
                + (
                    f"JupyterLab {i.jupyterlab_version}"
                    if i.jupyterlab_version
                    else "no JupyterLab yet"
                )
                + f"\nConfig dir: {facts.config_dir}"
            )
        self.query_one("#interp-facts", Static).update(text)

    def _update_visibility(self, action: str | None) -> None:
        shown = form.shown(action)
        for spec in (form.VENV_PATH, form.BASE_PYTHON, form.VERSION):
            self.query_one(f"#{spec.name}").display = spec.name in shown
        for wid in ("#installer", "#installer-label", "#index_url", "#installer-line"):
            self.query_one(wid).display = form.INSTALLER.name in shown
        self.query_one("#installer-line", Static).update(
            form.installer_line(self.state.answers, self.state.facts)
        )

    @on(ChoiceList.Changed, "#action")
    def _action_changed(self, event: ChoiceList.Changed) -> None:
        self._update_visibility(event.value)

    @on(ChoiceList.Changed, "#envs")
    def _env_changed(self, event: ChoiceList.Changed) -> None:
        if not event.value:
            return
        field = self.query_one("#python", Field)
        if field.input.value != event.value:
            field.input.value = event.value
            self._maybe_reprobe()

    def collect(self) -> None:
        a = self.state.answers
        action = self.query_one("#action", ChoiceList).value or a.install.action
        typed = {
            spec.name: self.query_one(f"#{spec.name}", Field).value
            for spec in (form.VENV_PATH, form.BASE_PYTHON, form.VERSION, form.INDEX_URL)
        }
        typed[form.INSTALLER.name] = (
            self.query_one("#installer", ChoiceList).value or a.install.installer
        )
        self.state.answers = form.collect(a, action, typed)
        self._maybe_reprobe()

    def _maybe_reprobe(self) -> None:
        python = self.query_one("#python", Field).value.strip()
        if python and python != self.state.answers.jupyter.python:
            action = form.action_for(self.state.answers, python)
            if action != self.state.answers.install.action:
                # Another environment was picked: use it instead of making a new venv.
                self.state.answers = self.state.answers.replace("install", action=action)
                self.query_one("#action", ChoiceList).set_value(action)
            self.wizard.probe_error = None
            self.state.facts = None
            self.wizard.reprobe(python)
            self._show_facts()

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems: list[Problem] = []
        if facts is not None and not self.wizard.probing:
            problems = form.validate(self.state.answers, facts)
        elif self.wizard.probe_error:
            problems = [Problem("jupyter.python", self.wizard.probe_error)]
        self.query_one("#python", Field).show(
            [p for p in problems if p.field.startswith("jupyter")]
        )
        by_field = {"install.venv_path": "#venv_path", "install.base_python": "#base_python"}
        for fld, wid in by_field.items():
            self.query_one(wid, Field).show([p for p in problems if p.field == fld])
        rest = [
            p for p in problems if not p.field.startswith("jupyter") and p.field not in by_field
        ]
        self.query_one("#install-problems", Static).update("\n".join(f"✗ {p}" for p in rest))
        return problems
