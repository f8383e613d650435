"""Loopback port helpers, plus the wait/stop utilities every harness in tests/support shares.

Stdlib only. Nothing here sends traffic anywhere but the address it is given; callers pass
loopback (or test-namespace) addresses only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# A log source for error messages: a file to tail, or a callable producing text.
LogSource = Path | Callable[[], str] | None


class HarnessError(RuntimeError):
    """A harnessed program failed to start, answer or stop; the message carries its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now.

    The kernel picks it (bind to port 0). The port is released before returning, so another
    process could grab it before the caller binds; harnesses report that clearly in their error.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if a TCP connect to ``host:port`` succeeds now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str,
    port: int,
    timeout: float = 10.0,
    *,
    process: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    log: LogSource = None,
) -> float:
    """Wait until ``host:port`` accepts TCP connections; return the seconds it took.

    If ``process`` (the program expected to listen) exits first, fail at once instead of
    sitting out the timeout. ``log`` is included in the error either way.
    """
    return wait_until(
        lambda: port_is_open(host, port, timeout=0.5) or None,
        timeout=timeout,
        what=f"{host}:{port} to accept connections",
        process=process,
        log=log,
    )[1]


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    log: LogSource = None,
    interval: float = 0.05,
) -> tuple[T, float]:
    """Poll ``predicate`` until it returns something other than None/False.

    Returns ``(value, seconds_waited)``. Raises HarnessError on timeout or when ``process``
    exits early, with the tail of ``log``.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        value = predicate()
        if value is not None and value is not False:
            return value, time.monotonic() - start
        if process is not None and process.poll() is not None:
            # Check once more: the program may have finished its work and exited on purpose.
            value = predicate()
            if value is not None and value is not False:
                return value, time.monotonic() - start
            raise HarnessError(
                f"process {process.args!r} exited with code {process.returncode} while waiting "
                f"for {what}\n{read_log(log)}"
            )
        if time.monotonic() >= deadline:
            raise HarnessError(
                f"timed out after {timeout:.1f}s waiting for {what}\n{read_log(log)}"
            )
        time.sleep(interval)


def read_log(log: LogSource, limit: int = 6000) -> str:
    """Tail of a log source for error messages; never raises."""
    if log is None:
        return ""
    try:
        text = log() if callable(log) else log.read_text(errors="replace")
    except OSError as exc:
        return f"--- log unavailable: {exc} ---"
    if len(text) > limit:
        text = "...\n" + text[-limit:]
    return f"--- log ---\n{text}\n--- end of log ---"


def _children_by_parent() -> dict[int, list[int]]:
    table: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        table.setdefault(int(fields[1]), []).append(int(entry))
    return table


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (children, grandchildren, ...)."""
    table = _children_by_parent()
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in table.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (PID 1 here may be slow to reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] not in ("Z", "X")


def kill_pids(pids: list[int], *, grace: float = 2.0) -> None:
    """SIGTERM ``pids``, then SIGKILL whatever is still alive after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        live = [p for p in pids if pid_alive(p)]
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while live and time.monotonic() < deadline:
            live = [p for p in live if pid_alive(p)]
            time.sleep(0.02)
        if not live:
            return


def stop_process(
    process: subprocess.Popen[bytes] | subprocess.Popen[str],
    *,
    sig: int = signal.SIGTERM,
    timeout: float = 5.0,
    own_group: bool = True,
) -> None:
    """Stop ``process`` and everything it spawned; idempotent.

    Daemons like sshd ``setsid()`` their per-connection children, so killing the process group
    is not enough: the descendant tree is snapshotted while still intact and swept afterwards.
    ``own_group`` says the process was started with ``start_new_session=True``.
    """
    tree = descendants(process.pid) if process.poll() is None else []
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    if own_group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    kill_pids(tree, grace=1.0)
