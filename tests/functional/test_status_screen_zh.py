"""The live status screen in Simplified Chinese: snapshots at 80x24 and 110x36, the finding's
message and fix as the core words them in zh_CN (codes and steps stay English)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from screens.status import StatusApp
from tests.functional.test_status_screen import fixed_snapshot, screen_of, until
from tests.functional.test_wizard_snapshots_zh import english_words
from tests.functional.wizard_helpers import screen_text
from wizard.core import i18n
from wizard.core.i18n import _
from wizard.verify.status.model import Finding, Snapshot


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


def chinese_snapshot() -> Snapshot:
    """fixed_snapshot, its findings worded as wizard.verify words them in zh_CN."""
    snap = fixed_snapshot()
    findings = [
        Finding(
            "bind_loopback_only",
            "error",
            _(
                "JupyterLab listens on {addresses} only, but the access method "
                "{method} reaches it over the LAN"
            ).format(addresses="127.0.0.1", method="direct"),
            _("bind an address of this machine (or all addresses) in the Network step"),
            "network",
        ),
        Finding(
            "legacy_password",
            "warning",
            _(
                "{where} sets {setting}, a legacy key that overrides "
                "PasswordIdentityProvider.hashed_password"
            ).format(
                where="/home/ann/.jupyter/jupyter_server_config.py"
                + _(" line {line}").format(line=3),
                setting="ServerApp.password",
            ),
            _("set the password again in the Password step"),
            "password",
        ),
    ]
    return dataclasses.replace(snap, findings=findings)


@pytest.mark.parametrize("size", [(80, 24), (110, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_status_screen_snapshot_zh(size: tuple[int, int], snap_compare: Any) -> None:
    app = StatusApp(interval=3600, take=chinese_snapshot)

    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_no_english_on_the_chinese_status_screen() -> None:
    app = StatusApp(interval=3600, take=chinese_snapshot)
    async with app.run_test(size=(110, 36)) as pilot:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.pause()
        shown = screen_text(app)
    # the service line is the service manager's own words (wizard/plan: the lang-pack branch)
    service = {"running", "enabled", "active", "jupyterlab", "service", "since", "main"}
    assert (
        english_words(shown)
        - {
            *service,
            "ann",
            "direct",
            "passwordidentityprovider",
            "hashed",
            "password",
            "serverapp",
            "last",
            "apply",
        }
        == set()
    ), shown
