"""Welcome: what is there now, at a glance (the TUI's first screen, --plain's first lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.core.answers import Answers

if TYPE_CHECKING:
    from wizard.probe.facts import Facts

TITLE = "Welcome"
INTRO = (
    "This wizard installs JupyterLab, sets its password, binding, service and access "
    "method. Nothing changes until you confirm the plan on the Review step."
)
LOOKING = "Looking at this machine…"


def start_label(configured: bool) -> str:
    """What starting the steps means here: a first setup, or changing the current one."""
    return "Reconfigure" if configured else "Set up"


def glance(
    facts: Facts | None, answers: Answers, has_password: bool, configured: bool
) -> list[str]:
    """Lines describing the machine now (pure: the snapshot tests and --plain use it too)."""
    if facts is None:
        return [LOOKING]
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


def _binding(facts: Facts, answers: Answers) -> tuple[str, int]:
    """The binding Jupyter would use by its config files, else the answers' values."""
    from wizard.plan.steps.password import effective_files

    ip: object = None
    port: object = None
    for cf in effective_files(facts):
        for cls in ("ServerApp", "NotebookApp"):
            s_ip, s_port = cf.get(cls, "ip"), cf.get(cls, "port")
            if ip is None and s_ip is not None and s_ip.literal:
                ip = s_ip.value
            if port is None and s_port is not None and s_port.literal:
                port = s_port.value
    shown_ip = answers.network.ip if ip is None else (ip or "all")
    shown_port = port if isinstance(port, int) else answers.network.port
    return str(shown_ip), int(shown_port)
