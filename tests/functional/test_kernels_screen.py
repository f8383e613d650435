"""The Kernels step: one tick box per environment found, its details beneath; ticks become
`[kernels] environments`, and a ticked environment without ipykernel is refused until
`install_ipykernel` is ticked too (the core's check, under the fields)."""

from __future__ import annotations

from typing import Any

from screens.kernels import KernelsScreen
from screens.widgets.tick import TickBox
from tests.functional.wizard_helpers import SNAP_PYTHON, FixedEnv, settle, snapshot_app


async def test_ticks_become_the_answers_and_ipykernel_is_asked_for(monkeypatch: Any) -> None:
    # The fixed machine's interpreter is described from disk when the step checks it.
    monkeypatch.setattr("wizard.plan.steps.kernels.described", lambda python: FixedEnv())
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KernelsScreen)
        boxes = [b for b in screen.query(TickBox) if b.id != "install_ipykernel"]
        assert [str(b.label) for b in boxes] == [SNAP_PYTHON]
        assert "no ipykernel" in str(screen.query(".tick-detail").first().render())
        boxes[0].value = True
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen  # refused: no ipykernel there, none to be installed
        problems = str(screen.query_one("#kernels-problems").render())
        assert "has no ipykernel" in problems and "install_ipykernel" in problems
        screen.query_one("#install_ipykernel", TickBox).value = True
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is not screen
        assert app.state.answers.kernels.environments == [SNAP_PYTHON]
        assert app.state.answers.kernels.install_ipykernel
