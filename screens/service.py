"""Service: how JupyterLab is kept running (systemd system/user unit, background, or by hand).

Its fields, choices and checks are wizard.forms.service's.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList, Field
from screens.widgets.tick import TickBox
from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms import service as form


class ServiceScreen(StepScreen):
    step = "service"
    title_text = form.TITLE
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sudo", N_("Restart with sudo"), show=False),
    ]

    def compose_body(self) -> ComposeResult:
        yield Label(form.MANAGER.label, classes="field-label")
        yield ChoiceList(form.managers(), id="manager")
        yield Field(form.NAME.label, id=form.NAME.name, hint=form.NAME.help)
        yield Field(form.USER.label, id=form.USER.name, hint=form.USER.help)
        yield Static(_(form.ROOT_RISK), id="root-risk", markup=False)
        yield TickBox(form.ALLOW_ROOT.label, id=form.ALLOW_ROOT.name)
        yield TickBox(form.ENABLE.label, id=form.ENABLE.name)
        yield Static("", id="service-problems", classes="problems", markup=False)

    def load(self) -> None:
        s = self.state.answers.service
        self.query_one("#manager", ChoiceList).set_value(s.manager)
        self.query_one("#name", Field).input.value = s.name
        self.query_one("#user", Field).input.value = s.user
        self.query_one("#enable", TickBox).value = s.enable
        self.query_one("#allow_root", TickBox).value = s.allow_root
        self._update_visibility(s.manager)

    def _typed_answers(self, manager: str | None) -> Answers:
        s = self.state.answers.service
        return self.state.answers.replace(
            "service",
            manager=manager or s.manager,
            user=self.query_one("#user", Field).value.strip(),
        )

    def _update_visibility(self, manager: str | None) -> None:
        managed = form.managed(manager)
        for wid in ("#name", "#user", "#enable"):
            self.query_one(wid).display = managed
        root = form.runs_as_root(self._typed_answers(manager), self.state.facts)
        self.query_one("#allow_root").display = root
        self.query_one("#root-risk").display = root
        # Said on the spot, with the way forward, not only after Next.
        sudo = form.needs_sudo(manager, self.state.facts)
        self.query_one("#service-problems", Static).update(_(form.SUDO_HINT) if sudo else "")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sudo":
            return form.needs_sudo(self.query_one("#manager", ChoiceList).value, self.state.facts)
        return super().check_action(action, parameters)

    def action_sudo(self) -> None:
        self.collect()
        self.wizard.restart_with_sudo()

    @on(ChoiceList.Changed, "#manager")
    def _manager_changed(self, event: ChoiceList.Changed) -> None:
        self._update_visibility(event.value)

    @on(Input.Changed, "#user-input")
    def _user_changed(self, event: Input.Changed) -> None:
        self._update_visibility(self.query_one("#manager", ChoiceList).value)

    def collect(self) -> None:
        s = self.state.answers.service
        self.state.answers = self.state.answers.replace(
            "service",
            manager=self.query_one("#manager", ChoiceList).value or s.manager,
            name=self.query_one("#name", Field).value.strip() or s.name,
            user=self.query_one("#user", Field).value.strip(),
            enable=self.query_one("#enable", TickBox).value,
            # Only an acknowledgement of what is on screen: never kept for another user.
            allow_root=self.query_one("#allow_root", TickBox).value
            and self.query_one("#allow_root").display,
        )

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems = form.validate(self.state.answers, facts) if facts else []
        by_field = {"service.name": "#name", "service.user": "#user"}
        for fld, wid in by_field.items():
            self.query_one(wid, Field).show([p for p in problems if p.field == fld])
        rest = [p for p in problems if p.field not in by_field]
        self.query_one("#service-problems", Static).update(self.problem_lines(rest))
        return problems
