"""Network: the address and port Jupyter listens on, its root directory and base URL.

Its fields and checks are wizard.forms.network's; each message shows under its field.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from screens.base import StepScreen
from screens.widgets import Field
from wizard.core.errors import Problem
from wizard.forms import network as form


class NetworkScreen(StepScreen):
    step = "network"
    title_text = form.TITLE

    FIELDS = form.NAMES

    def compose_body(self) -> ComposeResult:
        yield Field(form.IP.label, id=form.IP.name, hint=form.ip_hint(None))
        yield Field(form.PORT.label, id=form.PORT.name, hint=form.PORT.help)
        yield Field(
            form.ROOT_DIR.label,
            id=form.ROOT_DIR.name,
            placeholder=form.default_root_dir(),
            hint=form.root_dir_help(),
        )
        yield Field(form.BASE_URL.label, id=form.BASE_URL.name, hint=form.BASE_URL.help)
        yield Static("", id="network-note", markup=False)

    def load(self) -> None:
        values = form.values(self.state.answers)
        for name in self.FIELDS:
            self.query_one(f"#{name}", Field).input.value = values[name]
        self.query_one("#ip", Field).hint = form.ip_hint(self.state.facts)
        if self.state.step_problems.get(self.step):
            self.check()
        else:
            self._show("ip", values["ip"], only_if_bad=False)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removesuffix("-input")
        if name in self.FIELDS:
            self._show(name, event.value, only_if_bad=False)

    def _show(self, name: str, value: str, *, only_if_bad: bool) -> list[Problem]:
        problems = form.problems(name, value, self.state.facts)
        warning = form.ip_warning(value) if name == "ip" else None
        if problems or warning or not only_if_bad:
            self.query_one(f"#{name}", Field).show(problems, warning=warning)
        return problems

    def collect(self) -> None:
        typed = {n: self.query_one(f"#{n}", Field).value for n in self.FIELDS}
        self.state.answers = form.collect(self.state.answers, typed)

    def check(self) -> list[Problem]:
        problems: list[Problem] = []
        for name in self.FIELDS:
            problems += self._show(name, self.query_one(f"#{name}", Field).value, only_if_bad=False)
        if problems:
            bad = problems[0].field.split(".")[-1]
            self.query_one(f"#{bad}", Field).input.focus()
        return problems
