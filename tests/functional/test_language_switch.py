"""L on Welcome: the wizard switches between English and 简体中文 at once, every step follows,
and the choice is remembered in the state dir for the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.wizard_helpers import screen_text, settle, snapshot_app
from wizard.core import i18n


@pytest.fixture(autouse=True)
def _english(tmp_path: Path, monkeypatch: Any) -> Iterator[None]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    i18n.set_language("en")
    yield
    i18n.set_language("en")


async def _remembered_soon() -> str | None:
    import asyncio

    for _i in range(50):
        if i18n.remembered_path().exists():
            return i18n.remembered()
        await asyncio.sleep(0.05)
    return None


async def test_l_on_welcome_switches_to_chinese_and_remembers(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # a step made in English first: it must be made again
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert "Set up" in screen_text(app)
        await pilot.press("l")
        await settle(pilot)
        shown = screen_text(app)
        assert "开始配置" in shown and "欢迎" in shown and "下一步" in shown, shown
        assert "Set up" not in shown
        assert await _remembered_soon() == "zh_CN"
        await pilot.press("2")
        await settle(pilot)
        assert "配置目录：" in screen_text(app)  # the Install step, made again in Chinese
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("l")  # and back
        await settle(pilot)
        assert "Set up" in screen_text(app)
        await pilot.press("5")
        await settle(pilot)
        assert "Listen address" in screen_text(app)
    assert i18n.remembered() == "en"
    assert i18n.select() == "en"
