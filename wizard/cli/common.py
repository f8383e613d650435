"""What several subcommands share: asking on the terminal, SIGTERM and SIGHUP as an interrupt."""

from __future__ import annotations

import os
import signal

from wizard.core.errors import InputError


def confirm(question: str) -> bool:
    """Ask on the terminal itself: stdin may be carrying the password.

    The terminal is read and written as a raw fd: a tty is not seekable, so Python's buffered
    "r+" text mode refuses to open it at all.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        raise InputError("no terminal to ask on: pass --yes to apply without asking") from exc
    try:
        os.write(fd, f"{question} [y/N] ".encode())
        with open(fd, "rb", buffering=0, closefd=False) as tty:
            answer = tty.readline().decode(errors="replace")
    except OSError as exc:  # the terminal went away while asking
        raise InputError(f"the terminal went away before an answer: {exc.strerror}") from exc
    finally:
        os.close(fd)
    return answer.strip().lower() in ("y", "yes")


def interrupt_on_signals() -> None:
    """A `kill` or a lost terminal (SIGHUP: a dropped SSH connection) mid-apply rolls back
    like Ctrl-C does, instead of leaving a half-applied plan."""

    def interrupt(signum: int, frame: object) -> None:
        # Once: a hangup often comes twice (the terminal, then the shell passing it on), and
        # a second interrupt would cut the rollback the first one started.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
