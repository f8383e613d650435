"""Install: which Python environment runs JupyterLab, and whether to install/upgrade it there.

The one place that reads wizard.steps.install (actions, validation) and wizard.environments
(discovery) for the UI.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Static

from screens.base import StepScreen
from screens.state import env_label, env_python
from screens.widgets import ChoiceList, Field
from wizard.core.errors import Problem

ACTION_LABELS = {
    "keep": "Keep: use this environment as it is",
    "install": "Install JupyterLab into this environment",
    "upgrade": "Upgrade JupyterLab in this environment",
    "create-venv": "Create a new virtual environment with JupyterLab",
}


def install_actions() -> list[tuple[str, str]]:
    from wizard.plan.steps import install

    actions = getattr(install, "ACTIONS", ("keep",))
    return [(a, ACTION_LABELS.get(a, a)) for a in actions]


def validate_install(answers: Any, facts: Any) -> list[Problem]:
    from wizard.plan.steps import install

    return list(install.validate(answers, facts))


def venv_defaults() -> tuple[str, str]:
    """(venv path, base Python) a create-venv uses when its answers are empty."""
    from wizard.plan.steps.install import default_base_python
    from wizard.probe.environments import default_venv_path

    return str(default_venv_path()), default_base_python()


class InstallScreen(StepScreen):
    step = "install"
    title_text = "Install: where JupyterLab runs"
    intro = "The Python environment whose JupyterLab will serve, and what to do with it."

    def compose_body(self) -> ComposeResult:
        yield Static("", id="interp-facts", markup=False)
        yield Label("Environments found", classes="field-label", id="envs-label")
        yield ChoiceList([("", "Looking for Python environments…")], id="envs")
        yield Field(
            "Python interpreter",
            hint="Absolute path; Enter checks it.",
            id="python",
        )
        yield Label("What to do", classes="field-label")
        yield ChoiceList(install_actions(), id="action")
        yield Field(
            "New virtual environment path",
            hint="absolute path; a new or empty directory",
            id="venv_path",
        )
        yield Field(
            "Base Python (makes the venv)",
            hint="runs `-m venv`: the venv gets its Python version",
            id="base_python",
        )
        yield Field("JupyterLab version (optional pip spec)", hint="e.g. >=4.2", id="version")
        yield Static("", id="install-problems", classes="problems", markup=False)

    def on_mount(self) -> None:
        # Always shown (first in the focus order, whatever the timing of discovery).
        self._shown_envs: list[tuple[str, str]] = []

    def _show_envs(self) -> None:
        envs = [(env_python(e), env_label(e)) for e in self.wizard.environments or []]
        current = self.state.answers.jupyter.python
        if current and current not in [p for p, _ in envs]:
            envs = [(current, f"{current}  (chosen)"), *envs]
        if not envs and self.wizard.environments is not None:
            envs = [("", "None found: type the interpreter's path below")]
        if not envs or envs == self._shown_envs:
            return
        self._shown_envs = envs
        lst = self.query_one("#envs", ChoiceList)
        lst.set_choices(envs, current or envs[0][0])

    def load(self) -> None:
        a = self.state.answers
        self.query_one("#python", Field).input.value = a.jupyter.python
        self.query_one("#action", ChoiceList).set_value(a.install.action)
        venv, base = venv_defaults()
        self.query_one("#venv_path", Field).input.value = a.install.venv_path or venv
        self.query_one("#base_python", Field).input.value = a.install.base_python or base
        self.query_one("#version", Field).input.value = a.install.version
        self._update_visibility(a.install.action)
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
        self.query_one("#venv_path").display = action == "create-venv"
        self.query_one("#base_python").display = action == "create-venv"
        self.query_one("#version").display = action in ("install", "upgrade", "create-venv")

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
        venv, base = venv_defaults()
        typed_venv = self.query_one("#venv_path", Field).value.strip()
        typed_base = self.query_one("#base_python", Field).value.strip()
        self.state.answers = a.replace(
            "install",
            action=action,
            # The defaults stay "" in the answers: they mean "the default", wherever it is.
            venv_path="" if typed_venv == venv else typed_venv,
            base_python="" if typed_base == base else typed_base,
            version=self.query_one("#version", Field).value.strip(),
        )
        self._maybe_reprobe()

    def _maybe_reprobe(self) -> None:
        python = self.query_one("#python", Field).value.strip()
        if python and python != self.state.answers.jupyter.python:
            if self.state.answers.install.action == "create-venv":
                # Another environment was picked: use it instead of making a new venv.
                self.state.answers = self.state.answers.replace("install", action="keep")
                self.query_one("#action", ChoiceList).set_value("keep")
            self.wizard.probe_error = None
            self.state.facts = None
            self.wizard.reprobe(python)
            self._show_facts()

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems: list[Problem] = []
        if facts is not None and not self.wizard.probing:
            problems = validate_install(self.state.answers, facts)
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
