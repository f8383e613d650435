"""Helpers for the wizard's Pilot and snapshot tests: fixed facts, an app factory, key driving."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

from textual.widgets import Input

from screens.app import WizardApp
from wizard.core.answers import Answers
from wizard.plan.plan import Plan
from wizard.probe.environments import Environment
from wizard.probe.facts import Address, Facts
from wizard.probe.interpreter import Interpreter
from wizard.probe.jupyter_config import scan_config_dirs
from wizard.probe.person import Person
from wizard.session import Planned

SNAP_ROOT = Path("/tmp/jsw-snapshot")  # fixed, so paths in snapshots never change
SNAP_PYTHON = "/opt/jlab/bin/python"


def fixed_interpreter(config_dir: str) -> Interpreter:
    return Interpreter(
        executable=SNAP_PYTHON,
        python_version="3.11.7",
        prefix="/opt/jlab",
        is_venv=True,
        is_conda=False,
        externally_managed=False,
        has_pip=True,
        has_venv=True,
        scripts_dir="/opt/jlab/bin",
        versions={"jupyterlab": "4.2.5", "jupyter_server": "2.14.2", "jupyter_core": "5.7.2"},
        config_path=["/opt/jlab/etc/jupyter", config_dir, "/usr/local/etc/jupyter", "/etc/jupyter"],
        config_dir=config_dir,
        runtime_dir=str(SNAP_ROOT / "runtime"),
    )


def fixed_facts(config_dir: str) -> Facts:
    facts = Facts(
        interpreter=fixed_interpreter(config_dir),
        config_dir=config_dir,
        addresses=[
            Address("lo", "127.0.0.1", socket.AF_INET),
            Address("eth0", "192.168.1.20", socket.AF_INET),
            Address("lo", "::1", socket.AF_INET6),
        ],
        listeners=[],
        ssh_connection="192.168.1.5 50000 192.168.1.20 22",
        systemd_running=True,
        euid=1000,
        user="ada",
        person=Person("ada", 1000, 1000, str(SNAP_ROOT / "home"), via_sudo=False),
    )
    facts.config_files = scan_config_dirs(facts.config_dirs)
    return facts


def FixedEnv() -> Environment:
    """The one environment discovery finds on the fixed machine (a real Environment, so the
    install step's suggestion reads every field it needs)."""
    return Environment(
        python=SNAP_PYTHON,
        python_version="3.11.7",
        kind="venv",
        prefix=str(Path(SNAP_PYTHON).parent.parent),
        jupyterlab_version="4.2.5",
        pip_ok=True,
    )


def snapshot_app(
    monkeypatch: Any,
    current: Answers | None = None,
    envs: list[Environment] | None = None,
    python: str | None = SNAP_PYTHON,
) -> WizardApp:
    """An app whose every visible fact is fixed: paths, addresses, users, interpreter; `envs`:
    the environments discovery finds (default: one with JupyterLab); `python`: the one given
    on the command line (None: the wizard suggests one from `envs`)."""
    # A blinking cursor would make two runs of the same screen differ.
    monkeypatch.setattr(Input, "cursor_blink", False)
    # The fixed machine's user (ada) does not exist here, so no managed service could pass
    # validation: the screens keep the answers' manager (the suggestion has its own tests).
    monkeypatch.setattr("wizard.forms.service.suggested", lambda answers, facts: answers)
    shutil.rmtree(SNAP_ROOT, ignore_errors=True)
    (SNAP_ROOT / "home").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(SNAP_ROOT / "home"))
    # Where the Kernels step says kernels go: the fixed home's, not the test's own XDG dir.
    monkeypatch.setenv("XDG_DATA_HOME", str(SNAP_ROOT / "home" / ".local" / "share"))
    monkeypatch.delenv("JUPYTER_DATA_DIR", raising=False)
    config_dir = str(SNAP_ROOT / "home" / ".jupyter")
    return WizardApp(
        python=python,
        config_dir=config_dir,
        prober=lambda python, cdir: fixed_facts(config_dir),
        current=current,
        discover=lambda: [FixedEnv()] if envs is None else envs,
    )


async def settle(pilot: Any) -> None:
    """Let workers (probe, plan, apply) finish and the screen catch up."""
    for _ in range(100):  # the first probe starts a moment after the first paint
        if pilot.app.probed_once:
            break
        await pilot.pause(0.05)
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def planned(app: WizardApp, plan: Plan) -> Planned:
    """A hand-made plan as the review screen hands it over: with the wizard's answers and facts."""
    return Planned(app.state.answers, app.state.facts, plan)  # type: ignore[arg-type]


def screen_text(app: WizardApp) -> str:
    """What the terminal shows now, as text lines (toasts and footer included): the screenshot's
    characters placed by their cell, so a test can ask what a person can read."""
    import html
    import re
    from collections import defaultdict

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
    cell = re.compile(
        r'<text class="[\w-]*-r\d+" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.S
    )
    for m in cell.finditer(svg):
        text = html.unescape(re.sub(r"<[^>]+>", "", m.group(3))).replace("\xa0", " ")
        rows[float(m.group(2))].append((float(m.group(1)), text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.rstrip())
    return "\n".join(lines)


async def type_into(pilot: Any, field_id: str, text: str) -> None:
    """Focus a field, clear it and type `text` key by key, as a person does."""
    from screens.widgets import Field

    field = pilot.app.screen.query_one(f"#{field_id}", Field)
    field.input.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await settle(pilot)


async def wait_apply_done(pilot: Any, timeout: float = 60.0) -> Any:
    """The apply screen once its apply has finished (AssertionError after `timeout`)."""
    import time

    from screens.apply import ApplyScreen

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, ApplyScreen) and screen.finished:
            return screen
    raise AssertionError(f"apply did not finish; screen is {pilot.app.screen}")
