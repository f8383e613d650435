"""Snapshots of every wizard screen at 80x24 and 120x40, with fixed facts and paths.

Update only after looking at the report: pytest --snapshot-update tests/functional/test_wizard_snapshots.py
(this whole file: updating a subset deletes the other tests' snapshots).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.functional.wizard_helpers import SNAP_ROOT, planned, settle, snapshot_app
from wizard.core.answers import Answers
from wizard.plan.actions import RunCommand, WriteFile
from wizard.plan.plan import Plan

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
    "kernels": ["3"],
    "password": ["4", *_password_keys()],
    "network": ["5"],
    "service": ["6"],
    "access": ["7"],
    "review": ["4", *_password_keys(), "ctrl+r"],
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
        await _goto(pilot, ["5"])
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
        pilot.app.start_apply(planned(pilot.app, plan))
        for _ in range(100):
            await settle(pilot)
            if getattr(pilot.app.screen, "finished", False):
                break
        await pilot.pause(0.2)
        # Auto-scroll of the log races the final layout: pin it to the end.
        pilot.app.screen.query_one("#apply-log").scroll_end(animate=False, immediate=True)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def _type(pilot: Any, field_id: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#{field_id}-input")
    field.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await settle(pilot)


async def _method(pilot: Any, method: str) -> None:
    await _goto(pilot, ["7"])
    methods = pilot.app.screen.query_one("#method")
    methods.focus()
    while methods.value != method:
        await pilot.press("down")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_access_router_tunnel_error(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _method(pilot, "router-tunnel")
        await _type(pilot, "lan_ip", "192.168.1.99")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_access_reverse_proxy_mismatch(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    # The machine's nginx/openssl must not show: the fixed answers name the site file, and
    # both programs count as installed.
    real_which = shutil.which
    monkeypatch.setattr(
        shutil,
        "which",
        lambda name, *a, **k: (
            f"/usr/sbin/{name}" if name in ("nginx", "openssl") else real_which(name, *a, **k)
        ),
    )
    current = Answers().replace(
        "access",
        method="reverse-proxy",
        self_signed=True,
        nginx_site=str(SNAP_ROOT / "site.conf"),
        htpasswd_file=str(SNAP_ROOT / "htpasswd"),
    )
    app = snapshot_app(monkeypatch, current=current)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["7"])
        await _type(pilot, "server_name", "lab.example.org")
        await _type(pilot, "basic_auth_user", "ada")
        await _type(pilot, "proxy_pw1", "plum tree 4 ever")
        await _type(pilot, "proxy_pw2", "plum tree 4 evr")
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_access_reverse_proxy_acme(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    """ACME chosen on a machine without certbot: the help (port 80, the production CA's
    limits), the three fields (an e-mail the grammar refuses) and the consent to install it."""
    import dataclasses

    tools = {"nginx": "/usr/sbin/nginx", "openssl": "/usr/bin/openssl", "certbot": None}
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: tools[name] if name in tools else real_which(name)
    )
    current = Answers().replace(
        "access", method="reverse-proxy", self_signed=True, nginx_site=str(SNAP_ROOT / "site.conf")
    )
    app = snapshot_app(monkeypatch, current=current)
    prober = app.prober
    app.prober = lambda python, cdir: dataclasses.replace(prober(python, cdir), euid=0)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["7"])
        await _type(pilot, "server_name", "lab.example.org")
        tls = pilot.app.screen.query_one("#tls")
        tls.focus()
        while tls.value != "acme":
            await pilot.press("down")
        await settle(pilot)
        await _type(pilot, "acme_email", "ada at example.org")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_service_as_root(size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["6"])
        pilot.app.screen.query_one("#manager").set_value("systemd-system")
        await settle(pilot)
        await _type(pilot, "user", "root")
        await pilot.press("tab")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_install_create_venv(size: tuple[int, int], snap_compare: Any, monkeypatch: Any) -> None:
    import wizard.forms.install

    monkeypatch.setattr(
        wizard.forms.install,
        "venv_defaults",
        lambda: (
            "/home/ada/.local/share/jupyter-setup-wizard/venvs/jupyterlab",
            "/usr/bin/python3",
        ),
    )
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["2"])
        pilot.app.screen.query_one("#action").set_value("create-venv")
        await settle(pilot)
        pilot.app.screen.query_one("#base_python-input").focus()
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_focus_visible_without_colour(
    size: tuple[int, int], snap_compare: Any, monkeypatch: Any
) -> None:
    """NO_COLOR: the focused field's label is in reverse video, a focused list has heavy corners
    (never colour alone); here the Network step's port field has the focus."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(monkeypatch)

    async def run_before(pilot: Any) -> None:
        await _goto(pilot, ["5", "tab"])

    assert snap_compare(app, terminal_size=size, run_before=run_before)
