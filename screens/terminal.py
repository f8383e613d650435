"""Losing the terminal: a hangup ends the app instead of leaving it spinning, or frozen.

When the terminal goes away (an SSH connection drops, tmux is killed), Textual's input thread
reads the hung-up tty as an endless end-of-file and spins at 100 % of a core, and its writer
thread dies on the first EIO, after which every write blocks the app for good. The driver
below prevents both and tells the app once, with a TerminalLost message, on SIGHUP or SIGTERM
(su turns a hangup into SIGTERM for its child), or when stdin or the output reports a hangup
or an error. What ending means is the app's choice: an apply in progress is stopped and rolled
back first.
"""

from __future__ import annotations

import select
import signal
import threading
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

HANGUP_EXIT = 129  # 128 + SIGHUP, as a shell reports a process ended by a hangup


class TerminalLost(Message):
    """The terminal is gone (or the process was told to end): the app should end now."""


class _Output:
    """The driver's output file, which turns a write to a lost terminal into a no-op."""

    def __init__(self, file: IO[str], lost: threading.Event) -> None:
        self._file = file
        self._lost = lost

    def write(self, text: str) -> int:
        if not self._lost.is_set():
            try:
                return self._file.write(text)
            except OSError:  # EIO on a hung-up tty; the watcher reports it
                self._lost.set()
        return len(text)

    def flush(self) -> None:
        if not self._lost.is_set():
            try:
                self._file.flush()
            except OSError:
                self._lost.set()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...
        return getattr(self._file, name)


class GuardedDriver(LinuxDriver):
    """Textual's Linux driver, plus a watcher that notices the terminal going away."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gone = threading.Event()  # set by a signal, a failed write or the poll below
        self._told = False
        assert self._file is not None, "no stderr to draw on"
        self._output = _Output(self._file, self._gone)
        self._file = self._output  # type: ignore[assignment]
        self._stop_watching = threading.Event()
        self._handlers: dict[int, Any] = {}

    def start_application_mode(self) -> None:
        for sig in (signal.SIGHUP, signal.SIGTERM):
            # Only flags it: the watcher thread posts the message (it wakes the event loop).
            self._handlers[sig] = signal.signal(sig, lambda signum, frame: self._gone.set())
        threading.Thread(target=self._watch, name="terminal-watch", daemon=True).start()
        super().start_application_mode()  # type: ignore[no-untyped-call]

    def stop_application_mode(self) -> None:
        self._stop_watching.set()
        super().stop_application_mode()
        for sig, handler in self._handlers.items():  # after the app, a signal ends us again
            signal.signal(sig, handler)

    def _watch(self) -> None:
        poller = select.poll()
        for fd in {self.fileno, self._output.fileno()}:
            poller.register(fd, 0)  # no events asked: POLLHUP, POLLERR, POLLNVAL only
        while not self._stop_watching.is_set():
            if poller.poll(200):
                self._gone.set()
            if self._gone.is_set():
                self._lose()
                return

    def _lose(self) -> None:
        if self._told:
            return
        self._told = True
        self._gone.set()
        self.exit_event.set()  # Textual's input thread stops reading end-of-file in a loop
        self._app.post_message(TerminalLost())
