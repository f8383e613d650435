"""Service: how JupyterLab is kept running (systemd system/user unit, background, or by hand).

The one place the UI reads wizard.steps.service (managers, validation).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList, Field
from wizard.errors import Problem

MANAGER_LABELS = {
    "none": "None: I start jupyter-lab myself",
    "systemd-system": "systemd system service (starts at boot; needs root)",
    "systemd-user": "systemd user service (runs while you are logged in, or with linger)",
    "background": "Background process (no systemd; stops at reboot)",
}


def managers() -> list[tuple[str, str]]:
    from wizard.steps import service

    names = getattr(service, "MANAGERS", ("none",))
    return [(m, MANAGER_LABELS.get(m, m)) for m in names]


def validate_service(answers: Any, facts: Any) -> list[Problem]:
    from wizard.steps import service

    return list(service.validate(answers, facts))


class ServiceScreen(StepScreen):
    step = "service"
    title_text = "Service: keep JupyterLab running"

    def compose_body(self) -> ComposeResult:
        yield Label("Manager", classes="field-label")
        yield ChoiceList(managers(), id="manager")
        yield Field("Service name", id="name", hint="the unit is <name>.service")
        yield Field(
            "Run as user", id="user", hint="empty = you (or the sudo user when run as root)"
        )
        yield Checkbox("Start at boot / login (enable)", id="enable")
        yield Static("", id="service-problems", classes="problems", markup=False)

    def load(self) -> None:
        s = self.state.answers.service
        self.query_one("#manager", ChoiceList).set_value(s.manager)
        self.query_one("#name", Field).input.value = s.name
        self.query_one("#user", Field).input.value = s.user
        self.query_one("#enable", Checkbox).value = s.enable
        self._update_visibility(s.manager)

    def _update_visibility(self, manager: str | None) -> None:
        managed = manager not in (None, "none")
        for wid in ("#name", "#user", "#enable"):
            self.query_one(wid).display = managed

    @on(ChoiceList.Changed, "#manager")
    def _manager_changed(self, event: ChoiceList.Changed) -> None:
        self._update_visibility(event.value)

    def collect(self) -> None:
        s = self.state.answers.service
        self.state.answers = self.state.answers.replace(
            "service",
            manager=self.query_one("#manager", ChoiceList).value or s.manager,
            name=self.query_one("#name", Field).value.strip() or s.name,
            user=self.query_one("#user", Field).value.strip(),
            enable=self.query_one("#enable", Checkbox).value,
        )

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems = validate_service(self.state.answers, facts) if facts else []
        by_field = {"service.name": "#name", "service.user": "#user"}
        for fld, wid in by_field.items():
            self.query_one(wid, Field).show([p for p in problems if p.field == fld])
        rest = [p for p in problems if p.field not in by_field]
        self.query_one("#service-problems", Static).update("\n".join(f"✗ {p}" for p in rest))
        return problems
