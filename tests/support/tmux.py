"""Drive a terminal program in a private tmux server and read its screen.

``TmuxSession`` starts its own server (``tmux -L <unique> -f /dev/null``), so the runner's tmux
config and sessions are never involved, and kill() takes everything down with it. The pane
stays around after the program exits (remain-on-exit), so its last screen and exit status
can still be read. Stdlib only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.ports import HarnessError, descendants, kill_pids, stop_process, wait_until

SESSION = "main"
TARGET = f"{SESSION}:0.0"


class TmuxSession:
    """One private tmux server holding one session with one pane."""

    def __init__(self, name: str | None = None, *, tmux_path: str = "tmux") -> None:
        found = shutil.which(tmux_path)
        if found is None:
            raise HarnessError(f"{tmux_path} not found: apt-get install tmux")
        self.tmux_path = found
        self.name = name or f"jsw-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.startup_seconds = 0.0
        # Where tmux -L puts the socket; removed by kill() (tmux leaves it behind).
        tmpdir = os.environ.get("TMUX_TMPDIR") or "/tmp"
        self.socket_path = Path(tmpdir) / f"tmux-{os.getuid()}" / self.name
        self._server_log = Path(tempfile.gettempdir()) / f"{self.name}.tmux.log"
        self._server: subprocess.Popen[bytes] | None = None
        self._pane_pid: int | None = None
        self._dead_since: float | None = None
        # The program's exit status, written by a tiny sh wrapper: tmux 3.3a sometimes marks a
        # pane dead without ever recording its status.
        self._status_file = Path(tempfile.gettempdir()) / f"{self.name}.status"

    # -- lifecycle -------------------------------------------------------------------------

    def new_session(
        self,
        argv: Sequence[str],
        width: int = 100,
        height: int = 30,
        env: Mapping[str, str] | None = None,
        *,
        cwd: str | Path | None = None,
        ready_timeout: float = 10.0,
    ) -> None:
        """Start ``argv`` in a ``width`` x ``height`` pane; ``env`` is added to the environment.

        Returns once the pane exists; wait for the program's own output with wait_for_text().
        """
        if self._server is not None:
            raise HarnessError("session already started; use a new TmuxSession")
        t0 = time.monotonic()
        self._start_server(ready_timeout)
        cmd = ["new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height)]
        if cwd is not None:
            cmd += ["-c", str(cwd)]
        for key, value in (env or {}).items():
            cmd += ["-e", f"{key}={value}"]
        # Options must exist before the program runs: remain-on-exit keeps a finished pane's
        # screen readable. window-size manual pins the geometry even if a client attaches; it
        # is set after new-session because tmux 3.3a crashes setting it with no session yet.
        self._tmux(
            "set-option", "-g", "remain-on-exit", "on", ";",
            "set-option", "-g", "default-terminal", _default_terminal(), ";",
            "set-option", "-g", "history-limit", "5000", ";",
            *cmd, "--", *self._wrapped(argv), ";",
            "set-option", "-w", "-t", f"{SESSION}:0", "window-size", "manual",
        )  # fmt: skip
        self._pane_pid = int(
            wait_until(
                lambda: self._display("#{pane_pid}").strip() or None,
                timeout=ready_timeout,
                what="tmux pane to start",
                process=self._server,
                log=self._server_log,
            )[0]
        )
        self.startup_seconds = time.monotonic() - t0

    def _wrapped(self, argv: Sequence[str]) -> list[str]:
        script = 'st=0; "$@" || st=$?; printf %s "$st" > "$0.tmp" && mv "$0.tmp" "$0"; exit "$st"'
        return ["/bin/sh", "-c", script, str(self._status_file), *argv]

    def kill(self) -> None:
        """Kill the pane's processes and the tmux server, remove the socket; idempotent."""
        if self._pane_pid is not None:
            # Killed while the server still runs, so the server reaps them (PID 1 here does
            # not reap orphans) and programs ignoring SIGHUP cannot outlive the test.
            kill_pids([self._pane_pid, *descendants(self._pane_pid)], grace=1.0)
            self._pane_pid = None
        if self._server is not None:
            self._tmux("kill-server", check=False)
            stop_process(self._server, timeout=5.0)
            self._server = None
        self.socket_path.unlink(missing_ok=True)
        self._server_log.unlink(missing_ok=True)
        self._status_file.unlink(missing_ok=True)

    def kill_server(self) -> None:
        """SIGKILL the tmux server alone, as when a terminal vanishes: the pane's processes
        see their terminal hang up and are left to end on their own (kill() sweeps later)."""
        if self._server is None:
            raise HarnessError("no tmux server to kill")
        self._server.kill()
        self._server.wait(timeout=5)
        self._server = None

    def _start_server(self, timeout: float) -> None:
        # -D keeps the server in the foreground as our child: it is reaped and waited for,
        # instead of a daemon that would end up as a zombie of a non-reaping PID 1.
        self.socket_path.parent.mkdir(mode=0o700, exist_ok=True)
        with self._server_log.open("wb") as log:
            self._server = subprocess.Popen(
                [self.tmux_path, "-L", self.name, "-f", "/dev/null", "-D"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
                start_new_session=True,
            )
        wait_until(
            lambda: self._tmux("show-options", "-g", check=False).returncode == 0 or None,
            timeout=timeout,
            what=f"tmux server {self.name} to accept commands",
            process=self._server,
            log=self._server_log,
        )

    def __enter__(self) -> TmuxSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

    # -- interaction -----------------------------------------------------------------------

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        """``send-keys``: key names like ``Enter``, ``C-c``, ``Down``, or text if ``literal``."""
        self._tmux("send-keys", "-t", TARGET, *(["-l"] if literal else []), "--", *keys)

    def type_text(self, text: str) -> None:
        """Type ``text`` literally (no key-name interpretation)."""
        self.send_keys(text, literal=True)

    def capture(self, *, escapes: bool = False, history: bool = False) -> str:
        """The visible screen as text (``capture-pane -p``); ``escapes`` keeps colours."""
        args = ["capture-pane", "-p", "-t", TARGET]
        if escapes:
            args.append("-e")
        if history:
            args += ["-S", "-"]
        return self._tmux(*args).stdout

    def wait_for_text(self, text_or_regex: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Poll the screen until it contains the text (or the regex matches); return it.

        capture-pane drops trailing spaces of screen lines, so a text's lines are matched with
        their trailing whitespace stripped (``"name? "`` finds the prompt ``name? ``); write
        regexes accordingly. Fails at once if the program exited and the screen is final.
        """
        if isinstance(text_or_regex, re.Pattern):
            pattern = text_or_regex
        else:
            trimmed = "\n".join(line.rstrip() for line in text_or_regex.split("\n"))
            pattern = re.compile(re.escape(trimmed))
        last = ""

        def found() -> str | None:
            nonlocal last
            last = self.capture()
            if pattern.search(last):
                return last
            if self.exit_status() is not None:
                last = self.capture()  # the final screen after exit
                if pattern.search(last):
                    return last
                raise HarnessError(
                    f"program exited ({self.exit_status()}) without showing {text_or_regex!r}"
                    f"\n--- last screen ---\n{last}--- end of screen ---"
                )
            return None

        try:
            return wait_until(found, timeout=timeout, what=f"{text_or_regex!r} on screen")[0]
        except HarnessError as exc:
            if "last screen" in str(exc):
                raise
            raise HarnessError(f"{exc}\n--- last screen ---\n{last}--- end of screen ---") from None

    def exit_status(self) -> int | None:
        """The program's exit status once it has exited (128+N for signal N), else None."""
        try:
            return int(self._status_file.read_text())
        except (FileNotFoundError, ValueError):
            pass
        # No status file: the wrapper itself was killed. tmux may still know, or never record it.
        out = self._display("#{pane_dead} s#{pane_dead_status} g#{pane_dead_signal}").split()
        if len(out) < 3 or out[0] != "1":
            self._dead_since = None
            return None
        status, signal = out[1][1:], out[2][1:]
        if status:
            return int(status)
        if signal:
            return -int(signal)
        now = time.monotonic()
        if self._dead_since is None:
            self._dead_since = now
        return -1 if now - self._dead_since > 1.0 else None  # exited, status unknown

    def wait_for_exit(self, timeout: float = 10.0) -> int:
        """Wait until the program exits; return its exit status."""
        return wait_until(
            self.exit_status,
            timeout=timeout,
            what="program to exit",
            log=lambda: f"last screen:\n{self.capture()}",
        )[0]

    @property
    def pane_pid(self) -> int | None:
        return self._pane_pid

    # -- internals -------------------------------------------------------------------------

    def _display(self, fmt: str) -> str:
        return self._tmux("display-message", "-p", "-t", TARGET, fmt, check=False).stdout

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.tmux_path, "-L", self.name, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise HarnessError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result


def _clean_env() -> dict[str, str]:
    # A runner inside tmux must not leak its own server into ours.
    return {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}


def _default_terminal() -> str:
    # tmux-256color gives programs (Textual) full colour; fall back where terminfo lacks it.
    for base in ("/usr/share/terminfo", "/lib/terminfo", "/etc/terminfo"):
        if Path(base, "t", "tmux-256color").exists():
            return "tmux-256color"
    return "screen-256color"


@pytest.fixture
def tmux_session() -> Iterator[TmuxSession]:
    """A TmuxSession (no program started yet), killed after the test."""
    with TmuxSession() as session:
        yield session
