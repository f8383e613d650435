"""Install: which Python environment runs JupyterLab, and whether to install/upgrade it there.

Its fields, choices, defaults and checks are wizard.forms.install's.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList, Field
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms import install as form
from wizard.forms.fields import Choice, FieldSpec

NONE_FOUND = Choice("", N_("None found: type the interpreter's path below"))


def _field(spec: FieldSpec) -> Field:
    return Field(spec.label, hint=spec.help, id=spec.name)


class InstallScreen(StepScreen):
    step = "install"
    title_text = form.TITLE
    intro = form.INTRO

    def compose_body(self) -> ComposeResult:
        yield Static("", id="interp-facts", markup=False)
        # What to do comes first: it decides which fields follow (an environment to use, or
        # the new venv's path), so nothing below it ever hides the field you are in.
        yield Label(form.ACTION.label, classes="field-label")
        yield ChoiceList(form.actions(), id="action")
        yield Label(form.ENVS.label, classes="field-label", id="envs-label")
        yield ChoiceList([form.SEARCHING], id="envs")
        yield _field(form.PYTHON)
        yield _field(form.VENV_PATH)
        yield Static("", id="venv-python", markup=False)
        yield _field(form.BASE_PYTHON)
        yield _field(form.VERSION)
        yield Label(form.INSTALLER.label, classes="field-label", id="installer-label")
        yield ChoiceList(form.installers(), id="installer")
        yield _field(form.INDEX_URL)
        yield Static("", id="installer-line", markup=False)
        yield Checkbox(form.LANGUAGE_PACK.label, id="language_pack")
        yield Static("", id="install-problems", classes="problems", markup=False)

    def on_mount(self) -> None:
        self._shown_envs: list[Choice] = []

    def _existing_python(self) -> str:
        """The environment chosen to run in; none while a new venv is to be made."""
        answers = self.state.answers
        return "" if answers.install.action == "create-venv" else answers.jupyter.python

    def _show_envs(self) -> None:
        current = self._existing_python()
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
        self.query_one("#python", Field).input.value = self._existing_python()
        self.query_one("#action", ChoiceList).set_value(values[form.ACTION.name])
        for spec in (form.VENV_PATH, form.BASE_PYTHON, form.VERSION):
            self.query_one(f"#{spec.name}", Field).input.value = values[spec.name]
        self.query_one("#installer", ChoiceList).set_value(values[form.INSTALLER.name])
        self.query_one("#index_url", Field).input.value = values[form.INDEX_URL.name]
        self.query_one("#language_pack", Checkbox).value = bool(values[form.LANGUAGE_PACK.name])
        self._update_visibility(values[form.ACTION.name])
        self._show_envs()
        self._show_facts()

    def _show_facts(self) -> None:
        facts = self.state.facts
        text = _("Checking the interpreter…")
        if self.wizard.probe_error:
            text = f"✗ {self.wizard.probe_error}"
        elif facts is not None and facts.interpreter is not None:
            i = facts.interpreter
            text = (
                f"Python {i.python_version} ({i.kind}), "
                + (
                    f"JupyterLab {i.jupyterlab_version}"
                    if i.jupyterlab_version
                    else _("no JupyterLab yet")
                )
                + _("\nConfig dir: {path}").format(path=facts.config_dir)
            )
        self.query_one("#interp-facts", Static).update(text)

    def _update_visibility(self, action: str | None) -> None:
        shown = form.shown(action)
        for name in (form.ENVS.name, form.PYTHON.name):
            self.query_one(f"#{name}").display = name in shown
        self.query_one("#envs-label").display = form.ENVS.name in shown
        for spec in (form.VENV_PATH, form.BASE_PYTHON, form.VERSION):
            self.query_one(f"#{spec.name}").display = spec.name in shown
        venv_line = self.query_one("#venv-python", Static)
        venv_line.display = form.VENV_PATH.name in shown
        venv_line.update(form.venv_interpreter(self.query_one("#venv_path", Field).value))
        for wid in ("#installer", "#installer-label", "#index_url", "#installer-line"):
            self.query_one(wid).display = form.INSTALLER.name in shown
        self.query_one("#language_pack").display = form.LANGUAGE_PACK.name in shown
        self.query_one("#installer-line", Static).update(
            form.installer_line(self.state.answers, self.state.facts)
        )

    @on(ChoiceList.Changed, "#action")
    def _action_changed(self, event: ChoiceList.Changed) -> None:
        self._update_visibility(event.value)
        python = self.query_one("#python", Field)
        chosen = self.query_one("#envs", ChoiceList).value
        if event.value != "create-venv" and not python.value.strip() and chosen:
            python.input.value = chosen  # back from a new venv: the environment listed above

    @on(Input.Changed, "#venv_path-input")
    def _venv_path_changed(self, event: Input.Changed) -> None:
        self.query_one("#venv-python", Static).update(form.venv_interpreter(event.value))

    @on(ChoiceList.Changed, "#envs")
    def _env_changed(self, event: ChoiceList.Changed) -> None:
        field = self.query_one("#python", Field)
        if event.value and field.input.value != event.value:
            field.input.value = event.value

    def collect(self) -> None:
        a = self.state.answers
        action = self.query_one("#action", ChoiceList).value or a.install.action
        typed = {
            spec.name: self.query_one(f"#{spec.name}", Field).value
            for spec in (
                form.PYTHON,
                form.VENV_PATH,
                form.BASE_PYTHON,
                form.VERSION,
                form.INDEX_URL,
            )
        }
        typed[form.INSTALLER.name] = (
            self.query_one("#installer", ChoiceList).value or a.install.installer
        )
        pack = self.query_one("#language_pack", Checkbox)
        typed[form.LANGUAGE_PACK.name] = form.PACK_LOCALE if pack.value else ""
        self.state.answers = form.collect(a, action, typed)
        if self.state.answers.jupyter.python != a.jupyter.python:
            self.wizard.probe_error = None
            self.state.facts = None
            self.wizard.reprobe(self.state.answers.jupyter.python)
            self._show_facts()

    next_when_probed = False  # Next was pressed while the interpreter was being checked

    def action_next(self) -> None:
        self.collect()
        if self.wizard.probing:  # a moment: go on (or say what is wrong) once it is checked
            self.next_when_probed = True
            self.notify(_("Checking the interpreter; Next follows in a moment."), timeout=3)
            return
        super().action_next()

    def leave(self) -> None:
        self.next_when_probed = False  # gone elsewhere: that Next is no longer wanted
        super().leave()

    def facts_changed(self) -> None:
        super().facts_changed()
        if self.next_when_probed and not self.wizard.probing and self.app.screen is self:
            self.next_when_probed = False
            super().action_next()

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems: list[Problem] = []
        if facts is not None and not self.wizard.probing:
            problems = form.validate(self.state.answers, facts)
        elif self.wizard.probe_error:
            problems = [Problem("jupyter.python", self.wizard.probe_error)]
        else:  # never let an unchecked interpreter through
            problems = [Problem("jupyter.python", _(form.CHECKING))]
        python = self.query_one("#python", Field)
        by_field = {
            "install.venv_path": "#venv_path",
            "install.base_python": "#base_python",
            "install.version": "#version",
        }
        if python.display:  # with create-venv the interpreter is no field of its own
            by_field["jupyter.python"] = "#python"
        else:
            python.show()
        for fld, wid in by_field.items():
            self.query_one(wid, Field).show([p for p in problems if p.field == fld])
        rest = [p for p in problems if p.field not in by_field]
        self.query_one("#install-problems", Static).update(self.problem_lines(rest))
        return problems
