"""What an apply reports while it runs: typed events, so no front-end parses log text.

The engine sends them to one callback, in order. `index` is the action's position in
`plan.changes()`. The CLI and --plain print them with `event_text`; the TUI turns them into
Textual messages.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from wizard.apply.engine import ApplyResult


@dataclass(frozen=True)
class ActionStarted:
    index: int
    description: str


@dataclass(frozen=True)
class Output:
    """A line an action printed (a command's output, or what it is doing)."""

    index: int | None  # None: the engine's own line (the rollback summary)
    line: str


@dataclass(frozen=True)
class Progress:
    """How far a long action is: fraction 0..1, or None while it cannot tell (indeterminate)."""

    index: int
    fraction: float | None
    label: str


@dataclass(frozen=True)
class Undoing:
    index: int
    description: str


@dataclass(frozen=True)
class Finished:
    """The apply ended: `result` on success, else `error` (what was rolled back, and why);
    `failed_at` names the action that failed, `cause` its decisive line when it knows one,
    `not_undone` the undos that failed too (then `journal_id` is the one to roll back)."""

    result: ApplyResult | None = None
    error: str | None = None
    failed_at: str | None = None
    cause: str | None = None
    not_undone: tuple[str, ...] = ()
    journal_id: str | None = None

    def outcome(self) -> str:
        return failure_outcome(self.not_undone, self.journal_id)


def failure_outcome(not_undone: tuple[str, ...], journal_id: str | None) -> str:
    """After a failed apply: the state it left, in one line a person reads second."""
    if not not_undone:
        return "Every change it made was rolled back: the machine is as before."
    return (
        f"{len(not_undone)} change(s) could NOT be undone (see the log); fix the cause, then"
        f" `jupyter-setup-wizard rollback {journal_id}` restores the rest."
    )


ApplyEvent = ActionStarted | Output | Progress | Undoing | Finished


def event_text(event: ApplyEvent) -> str | None:
    """The line a text front-end prints for an event (None: nothing to print)."""
    if isinstance(event, ActionStarted):
        return f"▶ {event.description}"
    if isinstance(event, Undoing):
        return f"↶ undo: {event.description}"
    if isinstance(event, Output):
        return event.line
    if isinstance(event, Finished) and event.error:
        return event.error
    return None  # Progress: the output lines already tell a terminal where it is


def print_events(event: ApplyEvent, file: TextIO | None = None) -> None:
    """An `on_event` for the command line: each event's line, flushed as it happens (to
    `file`, default stdout; `apply --json` keeps stdout for its JSON)."""
    text = event_text(event)
    if text is not None:
        # A terminal that went away (EIO) must not stop the undo that follows a hangup: the
        # journal keeps the record.
        with contextlib.suppress(OSError):
            print(text, file=file, flush=True)
