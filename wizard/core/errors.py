"""Errors with the exit status the CLI gives them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the answers, tied to the field a person must change."""

    field: str  # "network.port", "password", ...
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class WizardError(Exception):
    exit_code = 1


class InputError(WizardError):
    """Bad answers or bad input: nothing was changed (exit 2)."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ApplyError(WizardError):
    """An apply failed; what it had done was rolled back (exit 1), but for `not_undone`."""

    exit_code = 1

    def __init__(
        self, message: str, not_undone: tuple[str, ...] = (), journal_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.not_undone, self.journal_id = not_undone, journal_id


class ApplyInterrupted(KeyboardInterrupt):
    """An apply stopped by Ctrl-C, a kill or a hangup; what it had done was rolled back, but
    for `not_undone` (then `journal_id` is the apply to roll back)."""

    def __init__(self, not_undone: tuple[str, ...] = (), journal_id: str | None = None) -> None:
        super().__init__()
        self.not_undone, self.journal_id = not_undone, journal_id


class ExplainedError(RuntimeError):
    """An action's failure that knows its decisive cause (one line a person reads first, e.g.
    the log line saying the port was taken), apart from the long message."""

    def __init__(self, message: str, cause: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
