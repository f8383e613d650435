"""The wizard as a newcomer meets it at 80x24 (#13): fields that agree, the focus where the
typing goes, no typed value repeated on screen, marks that say what is true now, a result that
is readable without scrolling, plans that scroll wherever the focus is."""

from __future__ import annotations

from typing import Any

from screens.apply import ApplyScreen, action_window
from screens.install import InstallScreen
from screens.network import NetworkScreen
from screens.review import ReviewScreen
from screens.service import ServiceScreen
from screens.widgets import ChoiceList, Field, StepList
from tests.functional.wizard_helpers import (
    SNAP_ROOT,
    fixed_facts,
    planned,
    screen_text,
    settle,
    snapshot_app,
    type_into,
    wait_apply_done,
)
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan

SECRET = "Tunnel-Pass-42"


async def _to_create_venv(pilot: Any) -> InstallScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InstallScreen)
    screen.query_one("#action", ChoiceList).set_value("create-venv")
    await settle(pilot)
    return screen


async def test_the_venv_interpreter_follows_the_venv_path(monkeypatch: Any) -> None:
    """Item 1: with create-venv the interpreter is shown, not asked, and moves with the path;
    Next goes on, and no field switched the action back."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _to_create_venv(pilot)
        assert not screen.query_one("#python").display  # no second field to agree with
        assert not screen.query_one("#envs").display
        await type_into(pilot, "venv_path", "/opt/jupyterlab")
        assert "/opt/jupyterlab/bin/python" in str(screen.query_one("#venv-python").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not isinstance(app.screen, InstallScreen), app.state.step_problems
        assert app.state.answers.install.action == "create-venv"
        assert app.state.answers.jupyter.python == "/opt/jupyterlab/bin/python"
        # Back to an existing environment: the one listed, never the venv's.
        await pilot.press("2")
        await settle(pilot)
        screen.query_one("#action", ChoiceList).set_value("keep")
        await settle(pilot)
        screen.collect()
        assert app.state.answers.jupyter.python == "/opt/jlab/bin/python"


async def test_a_failed_next_focuses_the_wrong_field_and_repeats_no_typed_value(
    monkeypatch: Any,
) -> None:
    """Item 2: a password typed into the wrong field is never echoed, in the toast or beside
    the field; the cursor goes to the field to fix."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _to_create_venv(pilot)
        await type_into(pilot, "version", SECRET)
        await type_into(pilot, "base_python", "/usr/bin/python3")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen  # not let through
        assert app.focused is screen.query_one("#version", Field).input
        said = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        assert "Not yet" in said and "to fix first" in said  # the toast says so
        assert SECRET not in said and "Tu…" not in said  # and repeats nothing typed
        shown = screen_text(app)
        message = str(screen.query_one("#version .field--message").render())
        assert "is not a version spec" in message and "'Tu…' (14 characters)" in message
        # The typed value is only where it was typed: in its input, nowhere else.
        assert shown.count(SECRET) == 1, shown


async def test_marks_say_what_is_true_now(monkeypatch: Any) -> None:
    """Item 3: a ✗ from a failed Next goes once the step is fixed, even when left by a jump;
    a plan made clears every mark."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, NetworkScreen)
        await type_into(pilot, "port", "80x")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "✗" in str(app.screen.query_one(StepList).get_option_at_index(3).prompt)
        await type_into(pilot, "port", "8888")
        await pilot.press("ctrl+r")  # away without Next
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen) and app.screen.planned is not None
        marks = [str(o.prompt) for o in app.screen.query_one(StepList).options]
        assert not any("✗" in m for m in marks), marks


async def test_focus_is_on_a_field_after_every_jump(monkeypatch: Any) -> None:
    """Item 3: the step list never takes the focus (typing never goes there by surprise)."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("2", "3", "4", "5", "6", "4"):
            await pilot.press(key)
            await settle(pilot)
            assert app.focused is not None and not isinstance(app.focused, StepList), key
            assert app.focused.screen is app.screen
        await pilot.press("tab", "tab", "tab", "tab", "tab")
        assert not isinstance(app.focused, StepList)


async def test_review_scrolls_with_the_usual_keys_wherever_the_focus_is(monkeypatch: Any) -> None:
    """Item 5."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.planned is not None
        scroll = screen.query_one("#plan-scroll")
        screen.set_focus(None)
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y > 0
        await pilot.press("home")
        await settle(pilot)
        assert scroll.scroll_y == 0


async def test_the_result_shows_the_ssh_command_without_scrolling(monkeypatch: Any) -> None:
    """Item 4: after an apply at 80x24 the next step (the exact ssh command) is on screen."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        writes = [
            WriteFile(SNAP_ROOT / "home" / f"f{i}.txt", b"x\n", why="example") for i in range(12)
        ]
        app.start_apply(planned(app, Plan("test", writes)))
        await wait_apply_done(pilot)
        shown = screen_text(app)
        assert "Applied (ID" in shown
        assert "ssh -N -L 8888:localhost:8888 -- ada@192.168.1.20" in shown, shown
        assert "Then open:  http://localhost:8888/lab" in shown, shown
        assert app.farewell.rstrip().endswith("Then open:  http://localhost:8888/lab")
        assert "r Apply again" not in shown and "esc Back to review" not in shown  # keys that work
        assert "s Status" in shown.splitlines()[-1], shown


def test_the_action_list_keeps_the_running_action_in_view() -> None:
    """Item 4: at most 7 lines, the running action among them, from the first to the last."""
    states = ["done"] * 5 + ["running"] + ["pending"] * 6
    shown = action_window(states, 5)
    assert len(shown) == 7 and 5 in shown
    assert action_window(states, 0) == range(7)
    assert action_window(states, 11) == range(5, 12)
    assert action_window(["pending"] * 3, None) == range(3)


async def test_keys_during_an_apply_are_only_those_that_work(monkeypatch: Any) -> None:
    """Item 4: no "Start again" or "Back to review" offered while the apply runs."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = ApplyScreen(planned(app, Plan("test", [])))
        screen.finished = False
        for action in ("welcome", "review", "retry", "status"):
            assert not screen.check_action(action, ())
        screen.finished = screen.failed = True
        assert screen.check_action("retry", ()) and screen.check_action("review", ())


async def test_a_machine_without_systemd_gets_the_background_manager(monkeypatch: Any) -> None:
    """Item 6: on first setup the Service step offers what fits (not "none")."""
    import pwd

    from screens.app import WizardApp
    from wizard.probe.person import Person

    real = pwd.getpwnam("daemon")  # a user that exists here, as the fixed machine's person
    config_dir = str(SNAP_ROOT / "cfg")

    def no_systemd(python: str | None, cdir: str | None) -> Any:
        facts = fixed_facts(config_dir)
        facts.systemd_running = False
        facts.person = Person("daemon", real.pw_uid, real.pw_gid, real.pw_dir, via_sudo=False)
        return facts

    app = WizardApp(python="/opt/jlab/bin/python", prober=no_systemd, current=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, ServiceScreen)
        assert app.screen.query_one("#manager", ChoiceList).value == "background"
        assert not app.unapplied()  # a suggestion is not an answer the person gave


async def test_an_interrupted_apply_is_named_on_screen(monkeypatch: Any, tmp_path: Any) -> None:
    """As every command does: the TUI says which apply a crash left half done, and how to undo
    it (printing it before the full-screen UI would hide it at once)."""
    from wizard.apply.journal import Journal

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    journal = Journal.create("a test apply")  # "applying", and no process holds the lock
    journal.running = "write something"
    journal.save()
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said = " ".join(n.message for n in app._notifications)
        assert f"apply {journal.id} (a test apply) was interrupted" in said, said
        assert f"jupyter-setup-wizard rollback {journal.id}" in said


async def test_review_repeats_no_typed_value(monkeypatch: Any) -> None:
    """Item 2 on Review: a problem with a value typed elsewhere shows it masked."""
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.state.answers = app.state.answers.replace("install", action="upgrade", version=SECRET)
        await pilot.press("ctrl+r")
        await settle(pilot)
        shown = screen_text(app)
        assert "install.version: 'Tu…' (14 characters) is not a version" in shown, shown
        assert SECRET not in shown
        assert "a Apply" not in shown  # offered only once there is a plan to apply
