"""Service: how JupyterLab is kept running (systemd system/user unit, background, or by hand).

The one place the UI reads wizard.steps.service (managers, validation).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList, Field
from screens.widgets.tick import TickBox
from wizard.core.errors import Problem

MANAGER_LABELS = {
    "none": "None: I start jupyter-lab myself",
    "systemd-system": "systemd system service (starts at boot; needs root)",
    "systemd-user": "systemd user service (runs while you are logged in, or with linger)",
    "background": "Background process (no systemd; stops at reboot)",
}


def managers() -> list[tuple[str, str]]:
    from wizard.plan.service import step as service

    names = getattr(service, "MANAGERS", ("none",))
    return [(m, MANAGER_LABELS.get(m, m)) for m in names]


def validate_service(answers: Any, facts: Any) -> list[Problem]:
    from wizard.plan.service import step as service

    return list(service.validate(answers, facts))


ROOT_RISK = (
    "! JupyterLab would run as root: whoever logs in to it (the password or a leaked token) "
    "can read, change or delete anything on this machine. Prefer a normal account in "
    '"Run as user"; tick this only if you accept that.'
)


def runs_as_root(answers: Any, facts: Any) -> bool:
    """The service would run as root (uid 0): only then is allow_root asked."""
    import pwd

    from wizard.plan.service import step as service

    if facts is None or answers.service.manager in (None, "none"):
        return False
    try:
        return pwd.getpwnam(service.service_user(answers, facts)).pw_uid == 0
    except KeyError:
        return False


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
        yield Static(ROOT_RISK, id="root-risk", markup=False)
        yield TickBox("Run as root anyway (allow_root)", id="allow_root")
        yield TickBox("Start at boot / login (enable)", id="enable")
        yield Static("", id="service-problems", classes="problems", markup=False)

    def load(self) -> None:
        s = self.state.answers.service
        self.query_one("#manager", ChoiceList).set_value(s.manager)
        self.query_one("#name", Field).input.value = s.name
        self.query_one("#user", Field).input.value = s.user
        self.query_one("#enable", TickBox).value = s.enable
        self.query_one("#allow_root", TickBox).value = s.allow_root
        self._update_visibility(s.manager)

    def _typed_answers(self, manager: str | None) -> Any:
        s = self.state.answers.service
        return self.state.answers.replace(
            "service",
            manager=manager or s.manager,
            user=self.query_one("#user", Field).value.strip(),
        )

    def _update_visibility(self, manager: str | None) -> None:
        managed = manager not in (None, "none")
        for wid in ("#name", "#user", "#enable"):
            self.query_one(wid).display = managed
        root = runs_as_root(self._typed_answers(manager), self.state.facts)
        self.query_one("#allow_root").display = root
        self.query_one("#root-risk").display = root

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
        problems = validate_service(self.state.answers, facts) if facts else []
        by_field = {"service.name": "#name", "service.user": "#user"}
        for fld, wid in by_field.items():
            self.query_one(wid, Field).show([p for p in problems if p.field == fld])
        rest = [p for p in problems if p.field not in by_field]
        self.query_one("#service-problems", Static).update("\n".join(f"✗ {p}" for p in rest))
        return problems
