"""The transaction engine on real files: atomic writes, journal, undo on failure, rollback."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from wizard.apply.engine import apply_plan, rollback_plan
from wizard.apply.events import Finished, event_text
from wizard.apply.journal import Journal, list_journals
from wizard.core.errors import ApplyError, ApplyInterrupted, InputError
from wizard.plan.actions import Action, ApplyContext, RunCommand, WriteFile
from wizard.plan.effects import ServiceEffect, VenvEffect, sha256
from wizard.plan.plan import Plan


class Boom(Action):
    description = "a step that fails"

    def preview(self) -> str:
        return "boom\n"

    def apply(self, ctx: ApplyContext) -> None:
        raise RuntimeError("it broke")


def snapshot(d: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(d)): (p.read_bytes(), p.stat().st_mode & 0o7777)
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "tree"
    d.mkdir()
    (d / "a.txt").write_bytes(b"old a\n")
    os.chmod(d / "a.txt", 0o640)
    (d / "gone.txt").write_bytes(b"to be removed\n")
    return d


def test_apply_writes_journals_and_rolls_back_byte_for_byte(tree: Path) -> None:
    before = snapshot(tree)
    plan = Plan("t")
    plan.actions = [
        WriteFile(tree / "a.txt", b"new a\n"),
        WriteFile(tree / "sub" / "dir" / "b.json", b"{}\n", mode=0o600),
        WriteFile(tree / "gone.txt", None),
    ]
    result = apply_plan(plan)
    assert result.changed
    assert (tree / "a.txt").read_bytes() == b"new a\n"
    assert (tree / "a.txt").stat().st_mode & 0o777 == 0o640  # mode kept
    assert (tree / "sub/dir/b.json").stat().st_mode & 0o777 == 0o600
    assert not (tree / "gone.txt").exists()
    assert not list(tree.rglob(".*.tmp"))  # no temp files left

    j = Journal.load(result.journal_id or "")
    assert j.status == "applied" and len(j.files) == 3

    rb = apply_plan(rollback_plan(result.journal_id))
    assert rb.changed
    assert snapshot(tree) == before
    assert not (tree / "sub").exists()  # the directories the apply created are gone too
    # the rollback is itself journaled, so it can be rolled back
    apply_plan(rollback_plan(rb.journal_id))
    assert (tree / "a.txt").read_bytes() == b"new a\n"


def test_second_apply_of_the_same_plan_changes_nothing(tree: Path) -> None:
    def plan() -> Plan:
        return Plan("t", [WriteFile(tree / "a.txt", b"x\n", mode=0o600)])

    assert apply_plan(plan()).changed
    second = apply_plan(plan())
    assert not second.changed and second.journal_id is None
    assert plan().render().startswith("Nothing to change")


def test_failure_undoes_everything_in_reverse(tree: Path) -> None:
    before = snapshot(tree)
    plan = Plan("t")
    plan.actions = [
        WriteFile(tree / "a.txt", b"changed\n"),
        WriteFile(tree / "new" / "c.txt", b"c\n"),
        Boom(),
    ]
    lines: list[str] = []
    with pytest.raises(ApplyError) as err:
        apply_plan(plan, on_event=lambda event: lines.append(event_text(event) or ""))
    assert "a step that fails failed: it broke" in str(err.value)
    assert "Rolled back 2" in str(err.value)
    assert snapshot(tree) == before
    assert not (tree / "new").exists()
    assert any(line.startswith("↶ undo") for line in lines)
    assert list_journals()[-1].status == "rolled-back"


class StuckUndo(Action):
    description = "a change that cannot be undone"

    def preview(self) -> str:
        return "stuck\n"

    def apply(self, ctx: ApplyContext) -> None:
        pass

    def undo(self, ctx: ApplyContext) -> None:
        raise OSError("read-only file system")


def test_a_failed_undo_is_said_with_the_rollback_that_restores_the_rest(tree: Path) -> None:
    finished: list[Finished] = []
    plan = Plan("t")
    plan.actions = [WriteFile(tree / "a.txt", b"changed\n"), StuckUndo(), Boom()]
    with pytest.raises(ApplyError) as err:
        apply_plan(plan, on_event=lambda e: finished.extend([e] if isinstance(e, Finished) else []))
    journal = list_journals()[-1]
    assert journal.status == "failed"
    assert err.value.not_undone == finished[0].not_undone
    assert len(finished[0].not_undone) == 1 and "read-only" in finished[0].not_undone[0]
    outcome = finished[0].outcome()
    assert "1 change(s) could NOT be undone" in outcome, outcome
    assert f"jupyter-setup-wizard rollback {journal.id}" in outcome, outcome
    assert "as before" not in outcome
    assert (tree / "a.txt").read_bytes() != b"changed\n"  # what could be undone was


def test_failed_command_rolls_back_and_reports_output(tree: Path) -> None:
    before = snapshot(tree)
    plan = Plan(
        "t", [WriteFile(tree / "a.txt", b"x\n"), RunCommand(["sh", "-c", "echo oops; exit 3"])]
    )
    with pytest.raises(ApplyError, match="exited with status 3:\noops"):
        apply_plan(plan)
    assert snapshot(tree) == before


def test_rollback_of_unknown_or_rolled_back_apply_is_an_input_error(tree: Path) -> None:
    with pytest.raises(InputError, match="no applied change"):
        rollback_plan()
    with pytest.raises(InputError, match="no readable apply journal"):
        rollback_plan("nope")
    with pytest.raises(ApplyError):
        apply_plan(Plan("t", [WriteFile(tree / "a.txt", b"x"), Boom()]))
    failed = list_journals()[-1]
    with pytest.raises(InputError, match="rolled-back"):
        rollback_plan(failed.id)


def test_rollback_warns_when_a_file_changed_since(tree: Path) -> None:
    res = apply_plan(Plan("t", [WriteFile(tree / "a.txt", b"ours\n")]))
    (tree / "a.txt").write_bytes(b"edited by hand\n")
    plan = rollback_plan(res.journal_id)
    assert any("changed since apply" in n.text for n in plan.notes)
    rb = apply_plan(plan)
    assert (tree / "a.txt").read_bytes() == b"old a\n"
    # the hand edit was backed up by the rollback's own journal
    j = Journal.load(rb.journal_id or "")
    assert j.backup_bytes(j.files[0]) == b"edited by hand\n"


def test_journal_files_are_private(tree: Path) -> None:
    res = apply_plan(Plan("t", [WriteFile(tree / "a.txt", b"x\n")]))
    j = Journal.load(res.journal_id or "")
    assert j.dir.stat().st_mode & 0o777 == 0o700
    for p in j.dir.rglob("*"):
        if p.is_file():
            assert p.stat().st_mode & 0o777 == 0o600, p


def test_a_command_that_hangs_is_stopped_at_its_timeout(tree: Path) -> None:
    before = snapshot(tree)
    plan = Plan("t", [WriteFile(tree / "a.txt", b"x\n"), RunCommand(["sleep", "30"], timeout=0.5)])
    with pytest.raises(ApplyError, match=r"did not finish within [01] s"):
        apply_plan(plan)
    assert snapshot(tree) == before


def test_cancel_between_actions_stops_before_the_next_and_undoes_the_done(tree: Path) -> None:
    import threading

    before = snapshot(tree)
    cancel = threading.Event()
    undone: list[str] = []

    def log(line: str) -> None:
        if line.startswith("▶ write") and "b.txt" in line:
            cancel.set()  # the person presses cancel while the second write runs
        if line.startswith("↶"):
            undone.append(line)

    plan = Plan(
        "t",
        [
            WriteFile(tree / "a.txt", b"1\n"),
            WriteFile(tree / "b.txt", b"2\n"),
            RunCommand(["touch", str(tree / "never")]),
        ],
    )
    with pytest.raises(ApplyError, match="was interrupted: cancelled before: run touch"):
        apply_plan(plan, on_event=lambda e: log(event_text(e) or ""), cancelled=cancel)
    assert not (tree / "never").exists()
    assert len(undone) == 2  # each completed write undone exactly once
    assert snapshot(tree) == before


# --------------------------------------------------------------------------- effects


def test_a_journal_without_effects_still_loads_and_rolls_back(tree: Path) -> None:
    """Journals written before effects existed (no "effects" key) stay usable."""
    res = apply_plan(Plan("t", [WriteFile(tree / "a.txt", b"new\n")]))
    j = Journal.load(res.journal_id or "")
    raw = json.loads((j.dir / "journal.json").read_text())
    del raw["effects"], raw["answers_before"]
    (j.dir / "journal.json").write_text(json.dumps(raw))
    old = Journal.load(j.id)
    assert old.effects == [] and old.answers_before is None and old.status == "applied"
    plan = rollback_plan(j.id)
    assert [type(a).__name__ for a in plan.actions] == ["WriteFile"]
    apply_plan(plan)
    assert (tree / "a.txt").read_bytes() == b"old a\n"


def test_effects_round_trip_and_unknown_ones_are_skipped(tmp_path: Path) -> None:
    j = Journal.create("t", tmp_path / "j")
    svc = ServiceEffect("background", "jl", config_dir="/c", installed=True, active=True)
    assert j.record(svc)
    # a service is recorded once: the first state is the one before the apply
    assert not j.record(ServiceEffect("background", "jl", installed=False))
    j.record(VenvEffect("/v", "abc", created_dirs=["/x"]))
    raw = json.loads((j.dir / "journal.json").read_text())
    raw["effects"].append({"kind": "firewall-rule", "port": 1})  # from a newer wizard
    raw["effects"][0]["future_field"] = 1
    raw["effects"].append({"kind": "venv"})  # damaged: required fields missing
    (j.dir / "journal.json").write_text(json.dumps(raw))
    back = Journal.load(j.id, tmp_path / "j")
    assert back.effects == [svc, VenvEffect("/v", "abc", created_dirs=["/x"])]
    assert back.service_effect("background", "jl") == svc


def _fake_venv(path: Path, tmp_path: Path) -> Journal:
    """A directory that looks like a venv, recorded as created by an applied journal."""
    path.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    (path / "bin").mkdir()
    (path / "bin" / "python").write_text("")
    res = apply_plan(Plan("t", [WriteFile(tmp_path / "cfg.json", b"{}\n")]))
    j = Journal.load(res.journal_id or "")
    j.record(
        VenvEffect(
            str(path),
            sha256((path / "pyvenv.cfg").read_bytes()),
            created_dirs=[str(tmp_path / "data"), str(tmp_path / "data" / "venvs")],
        )
    )
    return j


def test_rollback_removes_the_venv_the_apply_created(tmp_path: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "jl"
    j = _fake_venv(venv, tmp_path)
    plan = rollback_plan(j.id)
    assert "$ rm -r" in plan.render() or "remove the venv" in plan.render()
    assert any("does not bring it back" in n.text for n in plan.notes)
    apply_plan(plan)
    assert not (tmp_path / "data").exists()  # the venv and the dirs made for it
    assert not (tmp_path / "cfg.json").exists()


def test_rollback_leaves_a_venv_alone_when_it_is_not_ours_any_more(tmp_path: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "jl"
    j = _fake_venv(venv, tmp_path)
    (venv / "pyvenv.cfg").write_text("home = /opt/other\n")  # recreated by someone else
    plan = rollback_plan(j.id)
    assert any("left alone" in n.text for n in plan.notes)
    assert not any(type(a).__name__ == "RemoveVenv" for a in plan.actions)
    apply_plan(plan)
    assert (venv / "bin" / "python").exists()


def test_rollback_puts_the_answers_of_record_back(tmp_path: Path) -> None:
    from wizard.core.record import current_answers_path

    answers = current_answers_path()
    answers.parent.mkdir(parents=True, exist_ok=True)
    answers.write_bytes(b"[network]\nport = 8001\n")
    res = apply_plan(Plan("t", [WriteFile(tmp_path / "c.json", b"{}\n")]))
    answers.write_bytes(b"[network]\nport = 8002\n")  # what the CLI saves after the apply
    apply_plan(rollback_plan(res.journal_id))
    assert answers.read_bytes() == b"[network]\nport = 8001\n"


def test_an_interrupt_while_the_watchers_start_stops_the_child_and_leaves_no_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM (KeyboardInterrupt) landing while run_streaming starts its threads: the child
    is stopped and no timer is left to keep the process from exiting."""
    import threading

    from wizard.plan import actions

    real_start = threading.Thread.start
    children: list[int] = []

    def start(self: threading.Thread) -> None:
        if getattr(self, "_target", None) is actions._kill_on_cancel:
            children.append(self._args[0].pid)  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    ctx = ApplyContext(Journal.create("t", tmp_path / "j"))
    with pytest.raises(KeyboardInterrupt):
        actions.run_streaming(["sleep", "60"], ctx, env=None, timeout=600)
    assert children, "the interrupt came while the watcher started"
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # stopped and reaped
    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join(5)  # cancelled: it ends at once
        assert not timer.is_alive()


class Interrupted(Action):
    description = "a step interrupted by Ctrl-C"

    def preview(self) -> str:
        return "interrupt\n"

    def apply(self, ctx: ApplyContext) -> None:
        raise KeyboardInterrupt


class KilledWhileUndoing(WriteFile):
    """Its undo is where a second signal arrives (a kill after a Ctrl-C)."""

    def undo(self, ctx: ApplyContext) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # a handler would have run by now
        super().undo(ctx)


def test_an_interrupt_rolls_back_through_further_signals_and_says_what_it_left(
    tree: Path,
) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    saved = signal.signal(signal.SIGTERM, interrupt)
    try:
        before = snapshot(tree)
        plan = Plan("t")
        plan.actions = [
            KilledWhileUndoing(tree / "a.txt", b"changed\n"),
            StuckUndo(),
            Interrupted(),
        ]
        with pytest.raises(ApplyInterrupted) as err:
            apply_plan(plan)
    finally:
        signal.signal(signal.SIGTERM, saved)
    assert snapshot(tree) == before  # the write was undone although two signals came
    assert len(err.value.not_undone) == 1 and "read-only" in err.value.not_undone[0]
    assert err.value.journal_id == list_journals()[-1].id
    assert list_journals()[-1].status == "failed"
