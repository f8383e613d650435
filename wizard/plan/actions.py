"""Plan actions: each can say what it will do (preview), do it (apply) and take it back (undo)."""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wizard.core.fileops import (
    atomic_write,
    file_stat,
    make_dirs,
    owner_for_new,
    read_file,
    remove_dir,
    remove_file,
)
from wizard.core.i18n import _
from wizard.core.run_as import RunAs, owner_of
from wizard.plan.effects import ApplyJournal, FileEntry, sha256

Log = Callable[[str], None]
ReportProgress = Callable[[float | None, str], None]  # (fraction 0..1 or None, label)


@dataclass
class ApplyContext:
    journal: ApplyJournal
    log: Log = lambda line: None
    cancelled: threading.Event = field(default_factory=threading.Event)
    progress: ReportProgress = lambda fraction, label: None


class Cancelled(Exception):
    """The person cancelled an apply in progress."""


class Action(ABC):
    """One step of a plan."""

    description: str
    # What its preview is, for `apply --json`: "file" a diff, "command" the command line(s) it
    # runs, "check" what it looks at (it changes nothing itself).
    kind = "command"
    target = ""  # what it acts on: a path, a unit, an environment

    @abstractmethod
    def preview(self) -> str:
        """What will happen, as a person reads it: a unified diff, a command line."""

    def is_noop(self) -> bool:
        """True when the machine is already in the state this action would produce."""
        return False

    @abstractmethod
    def apply(self, ctx: ApplyContext) -> None: ...

    def undo(self, ctx: ApplyContext) -> None:  # noqa: B027 - most commands have nothing to undo
        """Take back what apply did (best effort, in the same session)."""


# Password hashes are not the password, but they still do not belong on a screen or in a log.
_HASH_RE = re.compile(r"(argon2:\$argon2\w*\$[^\"'\s]*|\b(?:sha\d+|md5):[0-9a-f]+:[0-9a-f]+)")


def redact(text: str) -> str:
    return _HASH_RE.sub("<password hash>", text)


class WriteFile(Action):
    """Write (or, with content None, remove) one file atomically, journaled with a backup."""

    kind = "file"

    def __init__(
        self,
        path: Path,
        content: bytes | None,
        *,
        mode: int | None = None,
        owner: tuple[int, int] | None = None,
        why: str = "",
        prune_dirs: Sequence[str] = (),
        dirs_owner: tuple[int, int] | None = None,
    ) -> None:
        self.path = path
        self.target = str(path)
        self.dirs_owner = dirs_owner  # directories it creates (None: owned like their parent)
        self.prune_dirs = list(prune_dirs)  # with content None: dirs to remove if left empty
        self.content = content
        self.mode = mode  # None: keep the file's current mode (0644 when new)
        self.owner = owner  # None: keep the current owner (the directory's owner when new)
        verb = _("remove {path}") if content is None else _("write {path}")
        self.description = verb.format(path=path) + (_(" ({why})").format(why=why) if why else "")
        self._entry: FileEntry | None = None

    def current(self) -> bytes | None:
        return read_file(self.path)

    def is_noop(self) -> bool:
        now = self.current()
        if now != self.content:
            return False
        if now is None:
            return True
        st = file_stat(self.path)
        assert st is not None  # it was just read
        if self.owner is not None and (st.st_uid, st.st_gid) != self.owner:
            return False
        return self.mode is None or (st.st_mode & 0o7777) == self.mode

    def preview(self) -> str:
        before = self.current()
        old = redact((before or b"").decode("utf-8", "replace")).splitlines(keepends=True)
        new = redact((self.content or b"").decode("utf-8", "replace")).splitlines(keepends=True)
        diff = "".join(
            difflib.unified_diff(
                old,
                new,
                fromfile=str(self.path) if before is not None else "/dev/null",
                tofile=str(self.path) if self.content is not None else "/dev/null",
            )
        )
        if not diff and self.mode is not None:
            return f"chmod {self.mode:04o} {self.path}\n"
        return diff

    def apply(self, ctx: ApplyContext) -> None:
        entry = ctx.journal.backup(self.path)
        self._entry = entry
        if self.content is None:
            remove_file(self.path)
            remove_empty_dirs(self.prune_dirs)
        else:
            made = make_dirs(self.path.parent, owner=self.dirs_owner)
            entry.created_dirs = [str(d) for d in made]
            mode = self.mode if self.mode is not None else (entry.mode or 0o644)
            owner = self.owner
            if owner is None and entry.existed and os.geteuid() == 0:
                owner = (entry.uid or 0, entry.gid or 0)
            elif owner is None:
                owner = owner_for_new(self.path)
            atomic_write(self.path, self.content, mode, owner)
            entry.sha256_after = sha256(self.content)
        ctx.journal.save()

    def undo(self, ctx: ApplyContext) -> None:
        if self._entry is not None:
            restore_entry(ctx.journal, self._entry)


def restore_entry(journal: ApplyJournal, entry: FileEntry) -> None:
    """Put a file back exactly as the journal found it (bytes, mode, owner); remove dirs we made."""
    path = Path(entry.path)
    data = journal.backup_bytes(entry)
    now = file_stat(path)
    unchanged = (
        data is not None
        and now is not None
        and (now.st_mode & 0o7777, now.st_uid, now.st_gid) == (entry.mode, entry.uid, entry.gid)
        and read_file(path) == data
    )
    if unchanged:
        return  # never changed (the write failed before its rename): nothing to undo
    if data is None:
        remove_file(path)
    else:
        make_dirs(path.parent)
        owner = (entry.uid, entry.gid) if os.geteuid() == 0 and entry.uid is not None else None
        atomic_write(path, data, entry.mode or 0o644, owner)  # type: ignore[arg-type]
    remove_empty_dirs(entry.created_dirs)


def remove_empty_dirs(dirs: Sequence[str]) -> None:
    """Remove directories we created (outermost first in `dirs`), innermost first, while empty."""
    for d in reversed(dirs):
        try:
            remove_dir(Path(d))
        except OSError:
            break  # not empty any more: something else lives there now


class RunCommand(Action):
    """Run a command, streaming its output line by line; optionally undone by another command."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        description: str | None = None,
        undo_argv: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.argv = list(argv)
        self.target = self.argv[0]
        self.undo_argv = list(undo_argv) if undo_argv else None
        self.env = env
        self.timeout = timeout
        self.description = description or _("run {command}").format(command=shlex.join(self.argv))

    def preview(self) -> str:
        return "$ " + shlex.join(self.argv) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        run_streaming(self.argv, ctx, env=self.env, timeout=self.timeout)

    def undo(self, ctx: ApplyContext) -> None:
        if self.undo_argv:
            run_streaming(self.undo_argv, ctx, env=self.env, timeout=self.timeout)


def run_streaming(
    argv: Sequence[str],
    ctx: ApplyContext,
    *,
    env: dict[str, str] | None,
    timeout: float,
    as_user: RunAs | None = None,
) -> None:
    """Run argv with output streamed to ctx.log; honour cancellation; raise on failure.
    `as_user`: run it as that user (with their HOME), not as ourselves. Without it, as root,
    a program another user could change (argv[0] in their environment) runs as that user."""
    if as_user is None and os.path.isabs(argv[0]):
        as_user = owner_of(Path(argv[0]))
    identity = as_user.popen_kwargs() if as_user else {}
    if as_user:
        env = as_user.env(env)
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        env=env,
        start_new_session=True,  # keeps children from drawing over a full-screen UI
        **identity,
    )
    timed_out = threading.Event()

    def kill_on_timeout() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill_on_timeout)
    timer.daemon = True  # a timer left waiting must never hold the process open at exit
    watcher = threading.Thread(target=_kill_on_cancel, args=(proc, ctx.cancelled), daemon=True)
    tail: list[str] = []
    try:
        # Started inside the try: a SIGTERM while a thread starts still stops the child.
        timer.start()
        watcher.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            ctx.log(line)
            tail = [*tail[-19:], line]
        rc = proc.wait()
    except BaseException:  # Ctrl-C or SIGTERM while streaming: the child must not outlive the apply
        _stop(proc)
        raise
    finally:
        timer.cancel()
    if ctx.cancelled.is_set():
        raise Cancelled(_("cancelled: {command}").format(command=shlex.join(argv)))
    if timed_out.is_set():
        raise RuntimeError(
            _("{items} did not finish within {timeout:.0f} s").format(
                items=shlex.join(argv), timeout=timeout
            )
        )
    if rc != 0:
        last = "\n".join(tail[-5:])
        failed = _("{command} exited with status {status}").format(
            command=shlex.join(argv), status=rc
        )
        raise RuntimeError(f"{failed}:\n{last}" if last else failed)


def _kill_on_cancel(proc: subprocess.Popen[str], cancelled: threading.Event) -> None:
    while proc.poll() is None:
        if cancelled.wait(0.1):
            _stop(proc)
            return


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class Look:
    """One look at something a plan waits for."""

    ok: bool
    reason: str  # what was seen: why it is healthy, or what is wrong
    fatal: bool = False  # it will not get better: stop waiting

    @classmethod
    def problem(cls, problem: str | None, ok: str = "") -> Look:
        """From a check that returns None when healthy, else what is wrong."""
        return cls(True, ok) if problem is None else cls(False, problem)


class Poll(Action):
    """A gate in a plan: looks until healthy, a fatal answer, or time runs out; then raises,
    so apply_plan rolls back everything before it. The one loop for every health wait.

    With `after`, the check is part of the plan's changes only when one of those actions
    changes something. Subclasses give the look, the success line and the failure (e.g. with
    a service's last log lines). Nothing to undo.
    """

    kind = "check"

    def __init__(
        self,
        description: str,
        look: Callable[[], Look] | None = None,
        *,
        after: Sequence[Action] = (),
        timeout: float = 15.0,
        interval: float = 0.3,
    ) -> None:
        self.description = description
        self._look = look
        self.after = list(after)
        self.timeout = timeout
        self.interval = interval

    def is_noop(self) -> bool:
        return bool(self.after) and all(a.is_noop() for a in self.after)

    def preview(self) -> str:
        return _("check: {description} (up to {timeout:.0f} s, else roll back)\n").format(
            description=self.description, timeout=self.timeout
        )

    def look(self) -> Look:
        assert self._look is not None, "a Poll needs a look (or a subclass that gives one)"
        return self._look()

    def begin(self) -> None:
        """Called once before the first look (a subclass notes where it starts from)."""

    def succeeded(self, look: Look, elapsed: float) -> str:
        return _("ok: {description}").format(description=self.description)

    def failed(self, look: Look) -> Exception:
        return RuntimeError(_("health check failed: {reason}").format(reason=look.reason))

    def apply(self, ctx: ApplyContext) -> None:
        t0 = time.monotonic()
        self.begin()
        while True:
            seen = self.look()
            if seen.ok:
                ctx.log(self.succeeded(seen, time.monotonic() - t0))
                return
            if seen.fatal or time.monotonic() - t0 >= self.timeout:
                raise self.failed(seen)
            if ctx.cancelled.wait(self.interval):
                raise Cancelled(_("cancelled: {command}").format(command=self.description))
