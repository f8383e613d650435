"""Welcome: what is there now, at a glance (the TUI's first screen, --plain's first lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.core.answers import Answers
from wizard.core.i18n import N_, _, pad

if TYPE_CHECKING:
    from wizard.probe.facts import Facts

TITLE = N_("Welcome")
INTRO = N_(
    "This wizard installs JupyterLab, sets its password, binding, service and access "
    "method. Nothing changes until you confirm the plan on the Review step."
)
LOOKING = N_("Looking at this machine…")


def start_label(configured: bool) -> str:
    """What starting the steps means here: a first setup, or changing the current one."""
    return _("Reconfigure") if configured else _("Set up")


def glance(
    facts: Facts | None, answers: Answers, has_password: bool, configured: bool
) -> list[str]:
    """Lines describing the machine now (pure: the snapshot tests and --plain use it too)."""
    if facts is None:
        return [_(LOOKING)]
    interp = facts.interpreter
    lines = []
    if interp is None:
        lines.append(row("JupyterLab", _("not found in any Python environment")))
    elif interp.jupyterlab_version:
        lines.append(
            row(
                "JupyterLab",
                _("{version} in {python} ({kind})").format(
                    version=interp.jupyterlab_version, python=interp.executable, kind=interp.kind
                ),
            )
        )
    else:
        lines.append(
            row("JupyterLab", _("not installed in {python}").format(python=interp.executable))
        )
    lines.append(row(_("Config"), str(facts.config_dir)))
    lines.append(row(_("Password"), _("set") if has_password else _("not set (token login)")))
    ip, port = _binding(facts, answers)
    lines.append(row(_("Binding"), f"{ip}:{port}"))
    manager = answers.service.manager if configured else "none"
    lines.append(
        row(
            _("Service"),
            _("none (started by hand)")
            if manager == "none"
            else f"{manager} ({answers.service.name})",
        )
    )
    listeners = facts.listeners_on(port)
    if listeners:
        lines.append(
            row(
                _("Reachable"),
                _("port {port} is served by {listener}").format(
                    port=port, listener=listeners[0].describe()
                ),
            )
        )
    else:
        lines.append(row(_("Reachable"), _("no: nothing listens on port {port}").format(port=port)))
    return lines


def row(name: str, value: str) -> str:
    """One line of the glance: the names in a column 13 cells wide (wider for wide names)."""
    return pad(name, 12) + " " + value


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
