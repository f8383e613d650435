"""Check the config Jupyter will actually load against what the wizard means it to be.

Before apply (the plan's would-be files, shown in Review and `--dry-run`), after the config is
written (a gate: a mismatch rolls the apply back), and with service manager `none` a brief real
start of jupyter-lab on a free loopback port, since nothing else would start it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.core.errors import InputError, Problem
from wizard.core.fileops import UnsafePath, read_file, read_text
from wizard.core.i18n import _
from wizard.core.run_as import RunAs
from wizard.plan.actions import Action, ApplyContext, Look, Poll, WriteFile
from wizard.plan.plan import Plan
from wizard.plan.service.health import answers_http
from wizard.plan.steps.config import owned
from wizard.plan.steps.password import MODERN_KEY
from wizard.probe.effective_config import (
    ALIASES,
    ConfigCheckError,
    Effective,
    Request,
    load_effective,
    load_many,
)
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import (
    CONFIG_STEMS,
    ConfigFile,
    TraitKey,
    parse_config_text,
)


def expected(desired: dict[TraitKey, Any]) -> dict[str, Any]:
    """The desired traits as the loader script reports them (the hash as its digest)."""
    out: dict[str, Any] = {}
    for (cls, trait), value in desired.items():
        if (cls, trait) == MODERN_KEY:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
        out[f"{cls}.{trait}"] = value
    return out


def problems(
    eff: Effective,
    want: dict[str, Any],
    texts: dict[str, str],
    *,
    known_links: LinkErrors | None,
) -> list[str]:
    """What is wrong with what Jupyter loads: a file it cannot load, an extension that no longer
    links (one in `known_links`, failing before the apply already, is not the wizard's doing;
    None: what failed before is unknown, so no link failure counts), a trait that is not the
    wanted value (with the file and line that win), a TLS setup it could not start with."""
    out = [_("Jupyter cannot load {error}").format(error=err) for err in eff.errors]
    if out:
        return out
    out += [
        _("the {name} extension would fail to link with the written config ({error})").format(
            name=name, error=msg
        )
        for name, msg in eff.link_errors
        if known_links is not None and (name, msg) not in known_links
    ]
    for name, value in want.items():
        got = eff.values.get(name)
        if got != value:
            shown = _("another password") if name.endswith("hashed_password") else repr(got)
            wanted = _("the new one") if name.endswith("hashed_password") else repr(value)
            out.append(
                _("{name} would be {shown}, not {wanted}: {winner}").format(
                    name=name, shown=shown, wanted=wanted, winner=winner(eff, name, texts)
                )
            )
    if eff.ssl_error:
        out.append(
            _("Jupyter would not start with its TLS settings ({error}): {winner}").format(
                error=eff.ssl_error, winner=winner(eff, "ServerApp.ssl_options", texts)
            )
        )
    return out


def winner(eff: Effective, name: str, texts: dict[str, str]) -> str:
    """'<file> line N wins' for the file that sets `name` last (its line when it can be told)."""
    if eff.winner(name) is None:
        return _where(eff, name, texts)
    return _("{where} wins").format(where=_where(eff, name, texts))


def _line_of(path: str, name: str, text: str | None) -> int | None:
    if text is None:
        text = read_text(Path(path), limit=CONFIG_LIMIT)
        if text is None:
            return None
    trait = name.split(".", 1)[1]
    names = {name, *ALIASES.get(name, ()), f"NotebookApp.{trait}"}
    cf = parse_config_text(ConfigFile(Path(path), text))
    lines = [s.lines[0] for s in cf.settings if s.name in names and s.lines]
    if lines:
        return lines[-1]
    # Set some other way (c.ServerApp.update(...), setattr): the last line naming the trait.
    word = re.compile(rf"\b{re.escape(trait)}\b")
    found = [i for i, line in enumerate(text.splitlines(), 1) if word.search(line)]
    return found[-1] if found and not cf.is_json else None


def overlay(plan: Plan, facts: Facts) -> dict[str, str | None]:
    """The plan's would-be config files (path -> text; None: removed)."""
    names = {f"{stem}{ext}" for stem in CONFIG_STEMS for ext in (".py", ".json")}
    dirs = set(facts.config_dirs)
    return {
        str(a.path): None if a.content is None else a.content.decode("utf-8")
        for a in plan.actions
        if isinstance(a, WriteFile) and a.path.name in names and str(a.path.parent) in dirs
    }


def as_they_are(plan: Plan, facts: Facts) -> dict[str, str | None]:
    """The config files the plan writes, as they are now (None: not there)."""
    on_disk = {str(cf.path): cf for cf in facts.config_files}
    out: dict[str, str | None] = {}
    for path in overlay(plan, facts):
        cf = on_disk.get(path)
        if cf is None or not cf.error:  # one it could not read: as it is on disk at the time
            out[path] = cf.text if cf else None
    return out


def table(eff: Effective) -> str:
    """One line of what Jupyter will run with (no secret: whether a password/token is set)."""
    v = eff.values
    shown = []
    for name in ("ip", "port", "port_retries", "allow_remote_access", "base_url", "root_dir"):
        shown.append(f"{name}={v.get('ServerApp.' + name)!r}")
    if v.get("ServerApp.certfile") or v.get("ServerApp.ssl_options"):
        shown.append(f"TLS certfile={v.get('ServerApp.certfile')!r}")
    if v.get("ServerApp.trust_xheaders"):
        shown.append("trust_xheaders=True")
    shown.append(
        _("password set") if v.get("PasswordIdentityProvider.hashed_password") else _("no password")
    )
    token = str(v.get("IdentityProvider.token") or "")
    tokens = {"generated": _("random token"), "set": _("token from config")}
    shown.append(tokens.get(token, _("no token")))
    return ", ".join(s for s in shown if s)


def can_check(facts: Facts) -> bool:
    i = facts.interpreter
    return bool(i and i.versions.get("jupyter_server") and os.path.exists(i.executable))


def kept(merged: dict[str, str], desired: dict[TraitKey, Any]) -> dict[str, str]:
    """The settings the wizard does not own, by the trait Jupyter reads them into (NotebookApp.X
    is ServerApp.X; IdentityProvider.token is fed by the legacy ServerApp.token)."""
    mine = {f"{cls}.{trait}" for cls, trait in owned(desired)}
    out = {}
    for name, value in merged.items():
        cls, trait = name.split(".", 1)
        name = f"ServerApp.{trait}" if cls == "NotebookApp" else name
        fed_by = {"IdentityProvider.token": "ServerApp.token"}.get(name)
        if name not in mine and fed_by not in mine and "jpserver_extensions" not in name:
            out[name] = value
    return out


def effect_changes(
    today: Effective, after: Effective, desired: dict[TraitKey, Any], texts: dict[str, str]
) -> list[str]:
    """The author's settings whose effect the apply changes though no line of theirs is touched
    (today an extension fails to link and Jupyter drops what its link passes on, e.g.)."""
    was, will = kept(today.merged, desired), kept(after.merged, desired)
    fixed = [_("the {name} extension fails to link ({error})").format(name=n, error=m)
             for n, m in today.link_errors if (n, m) not in after.link_errors]  # fmt: skip
    why = (
        _("; today {failures}, and Jupyter drops what its link passes on").format(
            failures=", ".join(fixed)
        )
        if fixed
        else ""
    )
    out = []
    for name in sorted(set(was) | set(will)):
        if was.get(name) != will.get(name):
            # The line as the author knows it (today's file), else as the plan writes it.
            eff = today if today.winner(name) else after
            where = _where(eff, name, {} if eff is today else texts)
            default = _("the default")
            out.append(
                _(
                    "{name} changes effect ({where}): {today} today, {after} after this apply"
                ).format(
                    name=name,
                    where=where,
                    today=was.get(name, default),
                    after=will.get(name, default),
                )
                + why
            )
    return out


def _where(eff: Effective, name: str, texts: dict[str, str]) -> str:
    """'<file> line N' (or just the file) that sets `name` last."""
    path = eff.winner(name)
    if path is None:
        return _("no config file sets it (Jupyter's default)")
    line = _line_of(path, name, texts.get(path))
    return _("{path} line {line}").format(path=path, line=line) if line else path


CONFIG_LIMIT = 16 * 1024 * 1024  # no config file is larger; a larger one is not read
# The files Jupyter's loaders may read: path -> sha256 of its bytes.
Fingerprint = dict[str, str]
LinkErrors = frozenset[tuple[str, str]]  # (extension, message)


@dataclass(frozen=True)
class Checked:
    """What the check before apply loaded: the search path, the fingerprint of the files in
    it, and the extensions that failed to link with today's config (None: not loaded)."""

    config_path: list[str]
    fingerprint: Fingerprint
    links_today: LinkErrors | None


def fingerprint(config_path: list[str], files: dict[str, str | None] | None = None) -> Fingerprint:
    """Every jupyter_*.py/.json in the search path (and its *.d dirs), as the bytes on disk or
    the plan's would-be `files`: equal fingerprints load the same config."""
    files = files or {}
    found: dict[str, str | None] = {}
    for d in config_path:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            path = os.path.join(d, name)
            if name.endswith(".d") and os.path.isdir(path):
                with contextlib.suppress(OSError):
                    found |= {
                        os.path.join(path, n): "" for n in os.listdir(path) if n.endswith(".json")
                    }
            elif name.startswith("jupyter_") and name.endswith((".py", ".json")):
                found[path] = ""
    for path in found:
        try:
            data = read_file(Path(path), limit=CONFIG_LIMIT)
        except UnsafePath:
            # A link, FIFO or huge file in a user's config dir: never read through as root, and
            # never equal to what was checked (Jupyter, run as that user, reads it instead).
            found[path] = f"unread:{secrets.token_hex(8)}"
            continue
        except OSError:
            data = None
        found[path] = None if data is None else hashlib.sha256(data).hexdigest()
    for path, text in files.items():
        found[path] = None if text is None else hashlib.sha256(text.encode()).hexdigest()
    return {p: h for p, h in found.items() if h is not None}


def check_before(
    plan: Plan,
    facts: Facts,
    desired: dict[TraitKey, Any],
    *,
    run_as: tuple[int, int] | None,
) -> Checked | None:
    """Load today's config and the would-be one with the target's Jupyter (one run); InputError
    on any problem, else notes: what Jupyter will run with, and any author setting whose effect
    changes. Returns the fingerprint of the files checked (None: not checked)."""
    assert facts.interpreter is not None
    files = overlay(plan, facts)
    cwd = str(desired.get(("ServerApp", "root_dir")) or "/")
    alone = fingerprint(facts.config_dirs, files)
    if _only_wizard_settings(alone, files, desired):
        plan.note("info", _("Jupyter loads the wizard's own settings alone (no other config file but extensions' enabling JSON on its search path): nothing else to check"))  # fmt: skip
        return Checked(facts.config_dirs, alone, None)
    try:
        today, eff = _load_both(facts, files, cwd, run_as, alone)
    except ConfigCheckError as exc:
        plan.note(
            "warning",
            _("the config Jupyter will load was not checked before apply: {exc}").format(exc=exc),
        )
        return None
    texts = {p: t for p, t in files.items() if t is not None}
    links_today = frozenset(today.link_errors)
    found = problems(eff, expected(desired), texts, known_links=links_today)
    if found:
        raise InputError([Problem("config", p) for p in found])
    plan.note(
        "info",
        _("Jupyter will run with (checked with {executable}): {table}").format(
            executable=facts.interpreter.executable, table=table(eff)
        ),
    )
    if not today.errors:  # a config Jupyter cannot load today is refused before this
        for change in effect_changes(today, eff, desired, texts):
            plan.note("warning", change)
    return Checked(eff.config_path, fingerprint(eff.config_path, files), links_today)


# Loads by what decides them: the TUI plans again at every visit of Review, and a load of a
# non-trivial config takes seconds while the same bytes with the same packages load the same
# config. Worker threads plan too: the dict is guarded.
_LOADS: dict[tuple[Any, ...], tuple[Effective, Effective, Fingerprint]] = {}
_LOADS_LOCK = threading.Lock()


def _packages_state(prefix: str) -> tuple[tuple[str, int], ...]:
    """When the environment's packages last changed (an install adds or removes a dist-info
    dir, so its site-packages dir's mtime moves): extensions and their links come from there."""
    out = []
    for site in sorted(Path(prefix).glob("lib/python*/site-packages")):
        with contextlib.suppress(OSError):
            out.append((str(site), site.stat().st_mtime_ns))
    return tuple(out)


def _load_both(
    facts: Facts,
    files: dict[str, str | None],
    cwd: str,
    run_as: tuple[int, int] | None,
    would_be: Fingerprint,
) -> tuple[Effective, Effective]:
    """Today's config and the would-be one, loaded in one run of the target's Jupyter."""
    assert facts.interpreter is not None
    python = facts.interpreter.executable
    key = (python, facts.config_dir, cwd, run_as, tuple(sorted(would_be.items())),
           tuple(sorted(fingerprint(facts.config_dirs).items())),
           _packages_state(facts.interpreter.prefix))  # fmt: skip
    with _LOADS_LOCK:
        hit = _LOADS.get(key)
    # The path Jupyter searched may be longer than the one probed (its own rules): unchanged too.
    if hit is not None and fingerprint(hit[0].config_path) == hit[2]:
        return hit[0], hit[1]
    requests = [Request(facts.config_dir, {}, cwd), Request(facts.config_dir, files, cwd)]
    today, eff = load_many(python, requests, run_as=run_as)
    with _LOADS_LOCK:
        if len(_LOADS) >= 16:
            _LOADS.pop(next(iter(_LOADS)))
        _LOADS[key] = (today, eff, fingerprint(today.config_path))
    return today, eff


# What `jupyter server extension enable` (and the Notebook 6 equivalent) writes.
_ENABLING = {"ServerApp.jpserver_extensions", "NotebookApp.nbserver_extensions"}


def _only_wizard_settings(
    fp: Fingerprint, files: dict[str, str | None], desired: dict[TraitKey, Any]
) -> bool:
    """Every file on the search path is the wizard's own JSON (only the settings it means) or
    an extension's enabling JSON (only _ENABLING): what Jupyter loads is then the
    plan's settings by construction, and loading it would prove nothing more."""
    mine = {f"{cls}.{trait}" for cls, trait in desired}
    for path in fp:
        if not path.endswith(".json"):
            return False
        try:
            text = files[path] if path in files else read_text(Path(path), limit=CONFIG_LIMIT)
            data = json.loads(text or "")
        except ValueError:
            return False
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            return False
        names = {f"{cls}.{k}" for cls, section in data.items() for k in section}
        if not names <= (mine if path in files else _ENABLING):
            return False
    return True


class ConfigGate(Poll):
    """After the config is written: Jupyter loads what the wizard meant, or the apply is
    rolled back. One look: a config does not get better by waiting."""

    def __init__(
        self,
        python: str,
        config_dir: str,
        desired: dict[TraitKey, Any],
        *,
        run_as: tuple[int, int] | None,
        after: list[Action],
        checked: Checked | None = None,
        before: dict[str, str | None] | None = None,
    ) -> None:
        super().__init__(_("the config Jupyter loads is the one written"), after=after, timeout=0)
        self.python, self.config_dir, self.run_as = python, config_dir, run_as
        # What the check before apply loaded: the same bytes load the same config, so the
        # (seconds-long) load runs again only when they differ.
        self.checked = checked
        # Not checked before (e.g. JupyterLab is installed first): the files the plan writes as
        # they were, loaded beside the written ones, tell which link failures were there before.
        self.before = before
        self.want = expected(desired)
        self.cwd = str(desired.get(("ServerApp", "root_dir")) or "/")

    def preview(self) -> str:
        return _(
            "check: {python} loads the config from {config_dir} as written (else roll back)\n"
        ).format(python=self.python, config_dir=self.config_dir)

    def look(self) -> Look:
        checked = self.checked
        if checked and fingerprint(checked.config_path) == checked.fingerprint:
            return Look(True, _("the bytes checked before apply"))
        known = checked.links_today if checked else None
        try:
            if known is None and self.before is not None:
                requests = [Request(self.config_dir, self.before, self.cwd),
                            Request(self.config_dir, {}, self.cwd)]  # fmt: skip
                was, eff = load_many(self.python, requests, run_as=self.run_as)
                known = frozenset(was.link_errors)
            else:
                eff = load_effective(self.python, self.config_dir, cwd=self.cwd, run_as=self.run_as)
        except ConfigCheckError as exc:
            return Look(False, str(exc), fatal=True)
        found = problems(eff, self.want, {}, known_links=known)
        if found:
            return Look(False, "; ".join(found), fatal=True)
        unknown = [f"{n} ({m})" for n, m in eff.link_errors] if known is None else []
        # Nothing to compare with: whether these failed before too is not known here.
        aside = _("; extensions failing to link, maybe before too: {names}").format(
            names=", ".join(unknown)
        )
        return Look(True, table(eff) + (aside if unknown else ""))

    def succeeded(self, look: Look, elapsed: float) -> str:
        return _("ok: Jupyter loads {what}").format(what=look.reason)

    def failed(self, look: Look) -> Exception:
        return RuntimeError(
            _("the written config is not what Jupyter loads: {reason}").format(reason=look.reason)
        )


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _dies_with_us() -> None:
    """In the trial server's child, before exec (after it took its user's ids, which would
    clear it): SIGTERM when the wizard dies, so a killed wizard leaves no server behind."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class TrialStart(Poll):
    """Service manager `none`: nothing else starts Jupyter, so start the real jupyter-lab once,
    with the written config, on a free loopback port (a private runtime dir, so status never
    sees it), until it answers; then stop it."""

    def __init__(
        self,
        jupyter_lab: str,
        config_dir: str,
        *,
        run_as: tuple[int, int] | None,
        cwd: str,
        after: list[Action],
        timeout: float = 60.0,
    ) -> None:
        super().__init__(
            _("jupyter-lab starts with the written config"), after=after, timeout=timeout
        )
        self.jupyter_lab, self.config_dir, self.run_as, self.cwd = (
            jupyter_lab,
            config_dir,
            run_as,
            cwd,
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = ""
        self.port = 0

    def preview(self) -> str:
        return _(
            "check: {jupyter_lab} starts with {config_dir} on a free loopback port, then is "
            "stopped (else roll back)\n"
        ).format(jupyter_lab=self.jupyter_lab, config_dir=self.config_dir)

    def begin(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._dir = tempfile.mkdtemp(prefix="jsw-trial-")
        kwargs: dict[str, Any] = {"cwd": self.cwd}
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
        who = RunAs.for_owner(self.run_as)
        as_root = who is None and os.geteuid() == 0
        if who is not None:  # their home, never root's (IPython and Jupyter look there)
            os.chown(self._dir, who.uid, who.gid)
            kwargs, env = who.popen_kwargs(cwd=self.cwd), who.env(env)
        env |= {"JUPYTER_CONFIG_DIR": self.config_dir, "JUPYTER_RUNTIME_DIR": self._dir}
        argv = [self.jupyter_lab, "--no-browser", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                *(["--allow-root"] if as_root else [])]  # fmt: skip
        with open(Path(self._dir) / "log", "wb") as log:
            self._proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True, preexec_fn=_dies_with_us, **kwargs,
            )  # fmt: skip

    def look(self) -> Look:
        assert self._proc is not None
        if self._proc.poll() is not None:
            return Look(
                False,
                _("it exited with status {status}").format(status=self._proc.returncode),
                fatal=True,
            )
        if answers_http("127.0.0.1", self.port, timeout=1.0):
            return Look(True, _("answered on 127.0.0.1:{port}").format(port=self.port))
        return Look(False, _("it does not answer yet"))

    def apply(self, ctx: ApplyContext) -> None:
        try:
            super().apply(ctx)
        finally:
            self._stop()

    def failed(self, look: Look) -> Exception:
        tail = self._log_tail()
        failed = _("jupyter-lab does not start with the written config: {reason}").format(
            reason=look.reason
        )
        return RuntimeError(f"{failed}\n{tail}" if tail else failed)

    def _log_tail(self) -> str:
        try:
            lines = (Path(self._dir) / "log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-8:])

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
