"""Whole wizard flows with Pilot, against a temporary config dir and a real JupyterLab venv."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from screens.app import WizardApp
from screens.network import NetworkScreen
from screens.review import ReviewScreen
from screens.widgets import Field
from tests.functional.wizard_helpers import planned, settle, wait_apply_done
from tests.support.jupyter import login, run_jupyter
from tests.support.ports import free_port
from wizard.apply.journal import list_journals
from wizard.core.record import load_current
from wizard.plan.actions import RunCommand, WriteFile
from wizard.plan.plan import Plan

PASSWORD = "correct horse battery"


def config_dir() -> Path:
    return Path(os.environ["JUPYTER_CONFIG_DIR"])


def server_config() -> dict[str, object]:
    return json.loads((config_dir() / "jupyter_server_config.json").read_text())  # type: ignore[no-any-return]


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


async def set_field(pilot, field_id: str, value: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(f"#{field_id}", Field)
    field.input.focus()
    await pilot.pause()
    field.input.value = ""
    await type_text(pilot, value)


async def first_setup(jlab: str, port: int) -> None:
    app = WizardApp(python=jlab, current=None, discover=lambda: [])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # Welcome: Set up
        await settle(pilot)
        await pilot.press("ctrl+n")  # Install: keep
        await settle(pilot)
        await pilot.press("ctrl+n")  # Kernels: as offered
        await settle(pilot)
        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await type_text(pilot, PASSWORD)
        await pilot.press("enter")  # Password -> Network
        await settle(pilot)
        assert isinstance(app.screen, NetworkScreen)
        await set_field(pilot, "port", str(port))
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")  # Network, Service, Access
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.plan is not None, app.screen.query_one("#plan").render()
        await pilot.press("a")
        screen = await wait_apply_done(pilot)
        assert not screen.failed, screen.query_one("#apply-result").render()
        assert all(s == "done" for s in screen.states)
        await pilot.press("q")
    assert app.return_value == 0


async def test_first_setup_end_to_end_and_login(jlab: str, tmp_path: Path) -> None:
    port = free_port()
    await first_setup(jlab, port)
    path = config_dir() / "jupyter_server_config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = server_config()
    assert cfg["ServerApp"]["port"] == port  # type: ignore[index]
    assert cfg["ServerApp"]["ip"] == "127.0.0.1"  # type: ignore[index]
    assert PASSWORD not in path.read_text()
    current = load_current()
    assert current is not None and current.network.port == port
    assert current.password.hashed_password == ""
    with run_jupyter(jlab, config_dir(), tmp_path / "run") as server:
        assert server.port == port
        assert login(server.url, PASSWORD)[0] == 302
        assert login(server.url, "wrong password")[0] == 401


async def test_reconfigure_only_the_port(jlab: str) -> None:
    await first_setup(jlab, free_port())
    before = server_config()
    new_port = free_port()
    app = WizardApp(python=jlab, discover=lambda: [])  # prefilled from the current setup
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.state.configured and app.state.keep_password
        await pilot.press("5")  # straight to Network
        await settle(pilot)
        await set_field(pilot, "port", str(new_port))
        await pilot.press("ctrl+r")  # straight to Review
        await settle(pilot)
        plan = app.screen.plan  # type: ignore[attr-defined]
        assert plan is not None
        # one file write, then the checks of what Jupyter loads and that it starts
        assert [type(a).__name__ for a in plan.changes()] == [
            "WriteFile",
            "ConfigGate",
            "TrialStart",
        ]
        text = plan.render()
        assert f'+    "port": {new_port}' in text and text.count("\n+ ") + text.count("\n-  ") <= 2
        await pilot.press("a")
        screen = await wait_apply_done(pilot)
        assert not screen.failed
    after = server_config()
    assert after["ServerApp"]["port"] == new_port  # type: ignore[index]
    before["ServerApp"]["port"] = new_port  # type: ignore[index]
    assert after == before  # nothing else changed, the password hash kept


async def test_validation_error_shown_and_corrected(jlab: str) -> None:
    app = WizardApp(python=jlab, current=None, discover=lambda: [])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await set_field(pilot, "port", "80x")
        await set_field(pilot, "base_url", "jupyter")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, NetworkScreen)  # not let through
        port_msg = str(app.screen.query_one("#port .field--message").render())
        url_msg = str(app.screen.query_one("#base_url .field--message").render())
        assert "'80x' is not a number" in port_msg
        assert "must look like /" in url_msg
        assert app.step_marks()["network"] == "✗"
        await set_field(pilot, "port", str(free_port()))
        await set_field(pilot, "base_url", "/jupyter/")
        assert "✗" not in str(app.screen.query_one("#port .field--message").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.step == "service"  # type: ignore[attr-defined]
        assert app.state.answers.network.base_url == "/jupyter/"
        assert app.step_marks()["network"] == "✓"


async def test_cancel_at_review_changes_nothing(jlab: str) -> None:
    app = WizardApp(python=jlab, current=None, discover=lambda: [])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.plan is not None and app.screen.plan.changes()
        await pilot.press("escape")  # back to Access: nothing applied
        await settle(pilot)
        assert app.screen.step == "access"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
    assert app.return_value == 0
    assert not config_dir().exists() or not any(config_dir().iterdir())
    assert list_journals() == []
    assert load_current() is None


def failing_plan(tmp_path: Path, *, then: list[str]) -> Plan:
    return Plan(
        "test",
        [WriteFile(tmp_path / "made-by-apply.txt", b"hello\n", why="test"), RunCommand(then)],
    )


async def test_failing_apply_shows_the_rollback(tmp_path: Path) -> None:
    app = WizardApp(
        python="/nonexistent/python",
        current=None,
        discover=lambda: [],
        prober=lambda p, c: None,  # type: ignore[arg-type,return-value]
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.start_apply(
            planned(app, failing_plan(tmp_path, then=["sh", "-c", "echo boom; exit 3"]))
        )
        screen = await wait_apply_done(pilot)
        assert screen.failed
        assert screen.states == ["undone", "failed"]
        result = str(screen.query_one("#apply-result").render())
        assert "rolled back" in result and "exited with status 3" in result
        log = "\n".join(str(line.text) for line in screen.query_one("#apply-log").lines)  # type: ignore[attr-defined]
        assert "boom" in log and "↶ undo: write" in log
        await pilot.press("escape")  # lands back on the review to fix things
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
    assert not (tmp_path / "made-by-apply.txt").exists()


async def test_quit_mid_apply_asks_and_rolls_back(tmp_path: Path) -> None:
    app = WizardApp(
        python="/nonexistent/python",
        current=None,
        discover=lambda: [],
        prober=lambda p, c: None,  # type: ignore[arg-type,return-value]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.start_apply(planned(app, failing_plan(tmp_path, then=["sleep", "30"])))
        for _ in range(50):
            await pilot.pause(0.1)
            if (tmp_path / "made-by-apply.txt").exists():
                break
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("y")
        for _ in range(100):
            await pilot.pause(0.1)
            if not app.is_running:
                break
    assert app.return_value == 1
    assert not (tmp_path / "made-by-apply.txt").exists()


async def test_status_screen_from_the_wizard_and_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from screens.status import StatusScreen
    from tests.functional.wizard_helpers import snapshot_app

    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")  # Welcome: Status
        await pilot.pause()
        assert isinstance(app.screen, StatusScreen)
        app.screen.post_message(StatusScreen.FixRequested("network", "test"))
        await settle(pilot)
        assert isinstance(app.screen, NetworkScreen)  # a finding leads to the step fixing it
        await pilot.press("escape", "escape", "escape", "escape")  # Back, step by step, to Welcome
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatusScreen)
        await pilot.press("q")
        await settle(pilot)
        assert app.screen.step == "welcome"  # type: ignore[attr-defined]


async def test_visiting_a_step_gives_no_answer(monkeypatch: object) -> None:
    """No environment has JupyterLab: Install suggests a new venv at the default path. Looking
    at the step and leaving it answers nothing, so Ctrl+Q quits without asking."""
    from tests.functional.wizard_helpers import snapshot_app

    app = snapshot_app(monkeypatch, envs=[], python=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.state.answers.install.action == "create-venv"
        for step in "2345671":  # every step, then back to Welcome
            await pilot.press(step)
            await settle(pilot)
        assert not app.unapplied(), app.state.answers
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_value == 0


async def test_quitting_with_unapplied_answers_asks_first(monkeypatch: object) -> None:
    from screens.widgets.dialogs import ConfirmScreen
    from tests.functional.wizard_helpers import snapshot_app

    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")  # Network
        await settle(pilot)
        await set_field(pilot, "port", "9999")
        await pilot.press("ctrl+n")  # the step takes the answer
        await settle(pilot)
        assert app.state.answers.network.port == 9999
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "not applied" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")  # keep going: everything still there
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and app.return_value is None
        assert app.state.answers.network.port == 9999
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_value == 0


async def test_quitting_with_nothing_changed_does_not_ask(monkeypatch: object) -> None:
    from tests.functional.wizard_helpers import snapshot_app

    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_value == 0


async def test_a_system_service_without_root_offers_sudo_keeping_the_answers(
    monkeypatch: object,
) -> None:
    """Said on the spot when chosen, not after Next; Ctrl+S hands the answers to the same
    wizard under sudo (never the password)."""
    from screens.widgets import ChoiceList
    from tests.functional.wizard_helpers import snapshot_app
    from wizard import session

    app = snapshot_app(monkeypatch)  # its facts: user ada, not root
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.state.password = "Typed-Not-Handed-1"  # as the Password step keeps it
        await pilot.press("6")
        await settle(pilot)
        app.screen.query_one("#manager", ChoiceList).set_value("systemd-system")
        await settle(pilot)
        hint = str(app.screen.query_one("#service-problems").render())
        assert "needs root" in hint and "Ctrl+S" in hint
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert app.return_value == 0
    argv = app.restart_argv
    assert argv[0] == "sudo" and argv[-2] == "--resume", argv
    handed = Path(argv[-1])
    assert "Typed-Not-Handed-1" not in handed.read_text()
    answers = session.take_over(handed)
    assert answers.service.manager == "systemd-system"
    assert answers.jupyter.python == app.state.answers.jupyter.python
    assert not handed.exists()  # read once, then gone
