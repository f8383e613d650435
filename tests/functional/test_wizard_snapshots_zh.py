"""The wizard in Simplified Chinese (zh_CN): snapshots of every screen and of the error states
at 80x24 and 120x40, and no English on them but names and commands.

Update only after looking at the report:
pytest --snapshot-update tests/functional/test_wizard_snapshots_zh.py (this whole file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional import test_wizard_snapshots as en
from tests.functional.wizard_helpers import screen_text, settle, snapshot_app
from tests.support.zh_words import english_words
from wizard.core import i18n

SIZES = en.SIZES


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", list(en.STEPS))
def test_step_screen_zh(
    step: str, size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await en._goto(pilot, en.STEPS[step])

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_network_with_errors_zh(size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    en.test_network_with_errors(size, snap_compare, monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_access_router_tunnel_error_zh(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    en.test_access_router_tunnel_error(size, snap_compare, monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_access_reverse_proxy_mismatch_zh(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    en.test_access_reverse_proxy_mismatch(size, snap_compare, monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_service_as_root_zh(size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    en.test_service_as_root(size, snap_compare, monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_apply_failed_with_rollback_zh(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    en.test_apply_failed_with_rollback(size, snap_compare, monkeypatch)


# -- no English left -------------------------------------------------------------------------


@pytest.mark.parametrize("step", list(en.STEPS))
async def test_no_english_on_the_chinese_screens(step: str, monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await en._goto(pilot, en.STEPS[step])
        await settle(pilot)
        shown = screen_text(app)
    assert english_words(shown) == set(), shown
