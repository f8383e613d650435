"""Apply a plan as a transaction: journal every change, undo in reverse on any failure."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wizard.apply.events import ActionStarted, ApplyEvent, Finished, Output, Progress, Undoing
from wizard.apply.journal import Journal
from wizard.apply.lock import command_line, exclusive
from wizard.core.errors import ApplyError, ApplyInterrupted, ExplainedError
from wizard.plan.actions import Action, ApplyContext, Cancelled
from wizard.plan.plan import Plan


@dataclass
class ApplyResult:
    journal_id: str | None  # None when nothing needed changing
    done: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.journal_id is not None


def apply_plan(
    plan: Plan,
    *,
    on_event: Callable[[ApplyEvent], None] = lambda event: None,
    cancelled: threading.Event | None = None,
    root: Path | None = None,
    todo: list[Action] | None = None,
) -> ApplyResult:
    """Run the plan's changes in order, reporting typed events. On failure (or cancel) undo
    what was done, then raise; the last event is always Finished."""
    # `todo`: the changes a front-end showed (is_noop may answer otherwise a moment later);
    # the event indexes are positions in it.
    todo = plan.changes() if todo is None else list(todo)
    if not todo:
        on_event(Finished(ApplyResult(None)))
        return ApplyResult(None)
    with exclusive(f"{plan.title}, {command_line()}"):
        return _apply(plan, todo, on_event, cancelled, root)


def _apply(
    plan: Plan,
    todo: list[Action],
    on_event: Callable[[ApplyEvent], None],
    cancelled: threading.Event | None,
    root: Path | None,
) -> ApplyResult:
    from wizard.core.record import current_answers_path

    journal: Journal | None = None
    try:
        journal = Journal.create(plan.title, root)
        journal.keep_answers(current_answers_path())  # so a later rollback restores them too
    except OSError as exc:  # a full disk, a read-only state dir: before anything changes
        if journal is not None:  # a journal of nothing would read as an interrupted apply
            shutil.rmtree(journal.dir, ignore_errors=True)
        raise ApplyError(
            f"cannot keep a journal of this apply ({exc.strerror}: {exc.filename or ''}); "
            "nothing was changed"
        ) from exc
    at: list[int | None] = [None]  # the action running now, for its output and progress
    ctx = ApplyContext(
        journal,
        log=lambda line: on_event(Output(at[0], line)),
        cancelled=cancelled or threading.Event(),
        progress=lambda fraction, label: on_event(Progress(at[0] or 0, fraction, label)),
    )
    done: list[Action] = []
    current: Action | None = None
    try:
        for index, action in enumerate(todo):
            if ctx.cancelled.is_set():  # between actions: stop before the next one starts
                raise Cancelled("cancelled before: " + action.description)
            current = action
            at[0] = index
            journal.running = current.description  # saved before it runs: see wizard.apply.lock
            journal.save()
            on_event(ActionStarted(index, current.description))
            current.apply(ctx)
            done.append(current)
            journal.steps.append(current.description)
            journal.running = None
            current = None
            journal.save()
    except BaseException as exc:  # includes KeyboardInterrupt: never leave a half-applied plan
        with _signals_held():  # a second Ctrl-C, kill or hangup must not cut the undo short
            failures = _undo_all([*done, current] if current else done, ctx, todo, at, on_event)
        journal.status = "failed" if failures else "rolled-back"
        what = current.description if current else "the apply"
        journal.error = f"{what}: {exc}"
        # A full disk may refuse even this: the journal then stays "applying", and the next
        # command names it as interrupted (rollback still finds every backup it made).
        with contextlib.suppress(OSError):
            journal.save()
        verb = "was interrupted" if isinstance(exc, Cancelled | KeyboardInterrupt) else "failed"
        msg = f"{what} {verb}" + (f": {exc}" if str(exc) else "")
        msg += f"\nRolled back {len(done)} completed change(s)"
        if failures:
            msg += "; could NOT undo:\n  " + "\n  ".join(failures)
        cause = exc.cause if isinstance(exc, ExplainedError) else None
        on_event(
            Finished(
                error=msg,
                failed_at=current.description if current else None,
                cause=cause,
                not_undone=tuple(failures),
                journal_id=journal.id,
            )
        )
        if isinstance(exc, KeyboardInterrupt):
            raise ApplyInterrupted(tuple(failures), journal.id) from exc
        raise ApplyError(msg, tuple(failures), journal.id) from exc
    journal.status = "applied"
    journal.save()
    result = ApplyResult(journal.id, journal.steps)
    on_event(Finished(result))
    return result


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP ignored while an undo runs (only the main thread may set
    handlers: an apply in a worker thread, the TUI's, has its signals taken care of there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _undo_all(
    actions: list[Action],
    ctx: ApplyContext,
    todo: list[Action],
    at: list[int | None],
    on_event: Callable[[ApplyEvent], None],
) -> list[str]:
    failures = []
    for a in reversed(actions):
        # By identity: two actions may share a description.
        index = next(i for i, t in enumerate(todo) if t is a)
        at[0] = index
        try:
            on_event(Undoing(index, a.description))
            a.undo(ctx)
        except Exception as exc:  # keep undoing the rest; report every failure
            failures.append(f"{a.description}: {exc}")
    return failures


def rollback_plan(journal_id: str | None = None, root: Path | None = None) -> Plan:
    """A plan that returns the machine to its state before an earlier apply: files byte for
    byte, then the service's state and a venv it created (see wizard.rollback).

    It is an ordinary plan, so a rollback is itself journaled and can be rolled back.
    """
    from wizard.apply.rollback import rollback_plan as build  # lazy: services, psutil

    return build(journal_id, root)
