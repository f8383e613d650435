"""Access: how you reach JupyterLab from your own computer.

The one place the UI reads wizard.steps.access (methods, validation, instructions).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Static

from screens.base import StepScreen
from screens.widgets import ChoiceList
from wizard.errors import Problem

METHOD_LABELS = {
    "ssh-tunnel": "SSH tunnel (safest: nothing beyond loopback)",
    "direct": "Direct: browse to this machine's address and port",
    "router-tunnel": "Through a router / port forward",
    "reverse-proxy": "Behind a reverse proxy (nginx with TLS)",
}


def methods() -> list[tuple[str, str]]:
    from wizard.steps import access

    return [(m, METHOD_LABELS.get(m, m)) for m in getattr(access, "METHODS", ("ssh-tunnel",))]


def validate_access(answers: Any, facts: Any) -> list[Problem]:
    from wizard.steps import access

    return list(access.validate(answers, facts))


def instructions(answers: Any, facts: Any) -> str:
    """What the person will do from their computer (the access module's own words if it has them)."""
    from wizard.steps import access

    fn = getattr(access, "instructions", None)
    if fn is not None and facts is not None:
        try:
            result = fn(answers, facts)
        except Exception as exc:  # an unfinished module must not break the screen
            return f"(could not describe the access: {exc})"
        if isinstance(result, str):
            return result
        if callable(getattr(result, "render", None)):
            return str(result.render()).rstrip("\n")
        if isinstance(result, (list, tuple)):
            return "\n".join(str(x) for x in result)
        return str(result)
    net = answers.network
    port = net.port
    base = net.base_url
    if answers.access.method == "ssh-tunnel":
        return (
            f"From your computer:  ssh -N -L {port}:localhost:{port} USER@THIS-SERVER\n"
            f"then open http://localhost:{port}{base}"
        )
    return f"Open http://THIS-SERVER:{port}{base}"


class AccessScreen(StepScreen):
    step = "access"
    title_text = "Access: reach JupyterLab from your computer"

    def compose_body(self) -> ComposeResult:
        yield Label("Method", classes="field-label")
        yield ChoiceList(methods(), id="method")
        yield Label("You will then", classes="field-label")
        yield Static("", id="instructions", markup=False)
        yield Static("", id="access-problems", classes="problems", markup=False)

    def load(self) -> None:
        self.query_one("#method", ChoiceList).set_value(self.state.answers.access.method)
        self._show_instructions()

    @on(ChoiceList.Changed, "#method")
    def _method_changed(self, event: ChoiceList.Changed) -> None:
        self.state.answers = self.state.answers.replace("access", method=event.value)
        self._show_instructions()

    def _show_instructions(self) -> None:
        self.query_one("#instructions", Static).update(
            instructions(self.state.answers, self.state.facts)
        )

    def collect(self) -> None:
        method = self.query_one("#method", ChoiceList).value
        if method:
            self.state.answers = self.state.answers.replace("access", method=method)

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems = validate_access(self.state.answers, facts) if facts else []
        self.query_one("#access-problems", Static).update("\n".join(f"✗ {p}" for p in problems))
        return problems
