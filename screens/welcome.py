"""Welcome: what is there now, at a glance, and the choice: set up / reconfigure, or status."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import StepScreen
from wizard.probe.facts import Facts


def glance(facts: Facts | None, answers: Any, has_password: bool, configured: bool) -> list[str]:
    """Lines describing the machine now (pure: the snapshot tests and --plain use it too)."""
    if facts is None:
        return ["Looking at this machine…"]
    interp = facts.interpreter
    lines = []
    if interp is None:
        lines.append("JupyterLab   not found in any Python environment")
    elif interp.jupyterlab_version:
        lines.append(
            f"JupyterLab   {interp.jupyterlab_version} in {interp.executable} ({interp.kind})"
        )
    else:
        lines.append(f"JupyterLab   not installed in {interp.executable}")
    lines.append(f"Config       {facts.config_dir}")
    lines.append("Password     " + ("set" if has_password else "not set (token login)"))
    ip, port = _binding(facts, answers)
    lines.append(f"Binding      {ip}:{port}")
    manager = answers.service.manager if configured else "none"
    lines.append(
        "Service      "
        + ("none (started by hand)" if manager == "none" else f"{manager} ({answers.service.name})")
    )
    listeners = facts.listeners_on(port)
    if listeners:
        lines.append(f"Reachable    port {port} is served by {listeners[0].describe()}")
    else:
        lines.append(f"Reachable    no: nothing listens on port {port}")
    return lines


def _binding(facts: Facts, answers: Any) -> tuple[str, int]:
    """The binding Jupyter would use by its config files, else the answers' values."""
    from wizard.plan.steps.password import effective_files

    ip: Any = None
    port: Any = None
    for cf in effective_files(facts):
        for cls in ("ServerApp", "NotebookApp"):
            s_ip, s_port = cf.get(cls, "ip"), cf.get(cls, "port")
            if ip is None and s_ip is not None and s_ip.literal:
                ip = s_ip.value
            if port is None and s_port is not None and s_port.literal:
                port = s_port.value
    ip = answers.network.ip if ip is None else (ip or "all")
    port = answers.network.port if not isinstance(port, int) else port
    return str(ip), int(port)


class WelcomeScreen(StepScreen):
    step = "welcome"
    title_text = "Welcome"
    intro = (
        "This wizard installs JupyterLab, sets its password, binding, service and access "
        "method. Nothing changes until you confirm the plan on the Review step."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "status", "Status"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="glance", markup=False)
        with Horizontal(id="welcome-buttons"):
            yield Button("Set up", id="setup", variant="primary")
            yield Button("Status", id="status")
            yield Button("Quit", id="quit")

    def on_mount(self) -> None:
        self.query_one("#setup", Button).focus()

    def load(self) -> None:
        st = self.state
        self.query_one("#glance", Static).update(
            "\n".join(glance(st.facts, st.answers, st.has_current_password, st.configured))
        )
        if self.wizard.probe_error:
            self.query_one("#glance", Static).update(f"Could not probe: {self.wizard.probe_error}")
        self.query_one("#setup", Button).label = "Reconfigure" if st.configured else "Set up"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup":
            self.action_next()
        elif event.button.id == "status":
            self.action_status()
        else:
            self.app.exit(0)

    def action_status(self) -> None:
        self.wizard.show_status()
