"""Network: the address and port Jupyter listens on, its root directory and base URL.

The one place the UI reads wizard.steps.network's validators; each message shows under its field.
"""

from __future__ import annotations

import contextlib

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from screens.base import StepScreen
from screens.widgets import Field
from wizard.core.errors import Problem
from wizard.probe.facts import Facts


def field_problems(name: str, value: str, facts: Facts | None) -> list[Problem]:
    """The core's verdict on one network field, as typed."""
    from wizard.plan.steps import network

    if name == "ip":
        return network.validate_ip(value.strip(), facts) if facts else []
    if name == "port":
        try:
            port = int(value.strip())
        except ValueError:
            return [Problem("network.port", f"{value.strip()!r} is not a number")]
        if facts is None:
            return network.validate_port(port, Facts(None, ""), runs_as_root=True)
        return network.validate_port(port, facts, runs_as_root=facts.euid == 0)
    if name == "root_dir":
        return network.validate_root_dir(value.strip() or network.default_root_dir())
    if name == "base_url":
        return network.validate_base_url(value.strip())
    return []


def ip_hint(facts: Facts | None) -> str:
    base = "127.0.0.1 = this machine only (safest); 0.0.0.0 / :: / all = every address"
    if facts is None:
        return base
    mine = sorted({a.address for a in facts.addresses if not a.ip.is_loopback})
    return base + (f"; this machine has: {', '.join(mine)}" if mine else "")


def ip_warning(ip: str) -> str | None:
    from wizard.plan.steps import network

    if ip and not network.is_loopback(ip.strip()):
        return "beyond loopback: anyone who can reach this machine can try to log in"
    return None


class NetworkScreen(StepScreen):
    step = "network"
    title_text = "Network: where JupyterLab listens"

    FIELDS = ("ip", "port", "root_dir", "base_url")

    def compose_body(self) -> ComposeResult:
        from wizard.plan.steps.network import default_root_dir

        yield Field("Listen address", id="ip", hint=ip_hint(None))
        yield Field(
            "Port", id="port", hint="1024-65535; a busy port is an error, never a silent move"
        )
        yield Field(
            "Root directory (notebooks)",
            id="root_dir",
            placeholder=default_root_dir(),
            hint=f"empty = the home directory ({default_root_dir()})",
        )
        yield Field("Base URL", id="base_url", hint="/ or /jupyter/ behind a proxy")
        yield Static("", id="network-note", markup=False)

    def load(self) -> None:
        net = self.state.answers.network
        values = {
            "ip": net.ip,
            "port": str(net.port),
            "root_dir": net.root_dir,
            "base_url": net.base_url,
        }
        for name in self.FIELDS:
            self.query_one(f"#{name}", Field).input.value = values[name]
        self.query_one("#ip", Field).hint = ip_hint(self.state.facts)
        if self.state.step_problems.get(self.step):
            self.check()
        else:
            self._show("ip", net.ip, only_if_bad=False)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removesuffix("-input")
        if name in self.FIELDS:
            self._show(name, event.value, only_if_bad=False)

    def _show(self, name: str, value: str, *, only_if_bad: bool) -> list[Problem]:
        problems = field_problems(name, value, self.state.facts)
        warning = ip_warning(value) if name == "ip" else None
        if problems or warning or not only_if_bad:
            self.query_one(f"#{name}", Field).show(problems, warning=warning)
        return problems

    def collect(self) -> None:
        values = {n: self.query_one(f"#{n}", Field).value.strip() for n in self.FIELDS}
        changes: dict[str, object] = {
            "ip": values["ip"],
            "root_dir": values["root_dir"],
            "base_url": values["base_url"],
        }
        # A non-number is reported by check(); the answers keep the last valid port.
        with contextlib.suppress(ValueError):
            changes["port"] = int(values["port"])
        self.state.answers = self.state.answers.replace("network", **changes)

    def check(self) -> list[Problem]:
        problems: list[Problem] = []
        for name in self.FIELDS:
            problems += self._show(name, self.query_one(f"#{name}", Field).value, only_if_bad=False)
        if problems:
            bad = problems[0].field.split(".")[-1]
            self.query_one(f"#{bad}", Field).input.focus()
        return problems
