"""What several subcommands share: asking on the terminal, SIGTERM as an interrupt."""

from __future__ import annotations

import signal

from wizard.core.errors import InputError


def confirm(question: str) -> bool:
    """Ask on the terminal itself: stdin may be carrying the password."""
    try:
        with open("/dev/tty", "r+", encoding="utf-8") as tty:
            tty.write(f"{question} [y/N] ")
            tty.flush()
            return tty.readline().strip().lower() in ("y", "yes")
    except OSError as exc:
        raise InputError("no terminal to ask on: pass --yes to apply without asking") from exc


def interrupt_on_sigterm() -> None:
    """A `kill` mid-apply rolls back like Ctrl-C does, instead of leaving a half-applied plan."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
