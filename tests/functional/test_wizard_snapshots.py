"""Snapshots of every wizard screen at 80x24 and 120x40, with fixed facts and paths.

Update only after looking at the report: pytest --snapshot-update tests/functional/test_wizard_snapshots.py
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.wizard_helpers import SNAP_ROOT, settle, snapshot_app
from wizard.actions import RunCommand, WriteFile
from wizard.plan import Plan

SIZES = [(80, 24), (120, 40)]
PASSWORD = "Tr0ub4dor&3x"


async def _goto(pilot: Any, keys: list[str]) -> None:
    await settle(pilot)
    await pilot.press(*keys)
    await settle(pilot)


def _password_keys() -> list[str]:
    return [*PASSWORD, "enter", *PASSWORD]


STEPS: dict[str, list[str]] = {
    "welcome": [],
    "install": ["2"],
    "password": ["3", *_password_keys()],
    "network": ["4"],
    "service": ["5"],
    "access": ["6"],
    "review": ["3", *_password_keys(), "ctrl+r"],
    "help": ["f1"],
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", list(STEPS))
def test_step_screen(step: str, size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, STEPS[step])

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_network_with_errors(size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["4"])
        pilot.app.screen.query_one("#ip-input").value = "10.9.9.9"
        pilot.app.screen.query_one("#port-input").value = "80x"
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_apply_failed_with_rollback(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        plan = Plan(
            "test",
            [
                WriteFile(SNAP_ROOT / "home" / "made.txt", b"x\n", why="example"),
                RunCommand(["sh", "-c", "echo pip says no; exit 3"], description="run pip"),
            ],
        )
        pilot.app.start_apply(plan)
        for _ in range(100):
            await settle(pilot)
            if getattr(pilot.app.screen, "finished", False):
                break
        await pilot.pause(0.2)
        # Auto-scroll of the log races the final layout: pin it to the end.
        pilot.app.screen.query_one("#apply-log").scroll_end(animate=False, immediate=True)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
