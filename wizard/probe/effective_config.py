"""The config Jupyter will actually run with, asked of the target interpreter itself.

A small script, run by the interpreter JupyterLab runs from (as the user it runs as), builds
jupyter-lab's ServerApp, loads every config dir the way it does (its own traitlets loaders, .py
then .json, jupyter_config, jupyter_server_config, then the extensions' own files such as
jupyter_lab_config) and reports the values that matter to the wizard, with the files that set
them, in load order. The author's files are never executed in the wizard's own process.

`overlay` gives would-be contents (path -> text, None: removed), so a plan is checked before
anything is written: the loaders read those bytes under the real file name.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.core.errors import WizardError
from wizard.core.i18n import _
from wizard.core.run_as import RunAs

# The traits compared and shown, as "Class.trait" (the hash and the token never leave the
# script: a digest of the hash, and whether a token is set).
TRAITS = (
    "ServerApp.ip",
    "ServerApp.port",
    "ServerApp.port_retries",
    "ServerApp.open_browser",
    "ServerApp.allow_remote_access",
    "ServerApp.root_dir",
    "ServerApp.base_url",
    "ServerApp.certfile",
    "ServerApp.keyfile",
    "ServerApp.ssl_options",
    "ServerApp.trust_xheaders",
    "PasswordIdentityProvider.hashed_password",
    "IdentityProvider.token",
)
# Other names Jupyter still reads into the same trait (a file setting one of them may be the
# one that wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "ServerApp.root_dir": ("ServerApp.notebook_dir",),
    "PasswordIdentityProvider.hashed_password": (
        "ServerApp.password",
        "IdentityProvider.hashed_password",
    ),
    "IdentityProvider.token": ("ServerApp.token",),
}

_SCRIPT = r"""
import hashlib, json, os, sys, traceback
from traitlets.config import Config
from traitlets.config.application import Application
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader
from jupyter_server.extension.manager import ExtensionPackage
from jupyter_server.serverapp import ServerApp

def keys(config):
    return sorted(f"{cls}.{name}" for cls, section in config.items()
                  if isinstance(section, dict) for name in section)

def load(request):
    os.environ["JUPYTER_CONFIG_DIR"] = request["config_dir"]
    os.chdir(request["cwd"])
    overlay = request["overlay"]
    loaded, errors, link_errors = [], [], []

    class Overlaid:
        # The real loader, reading would-be bytes for an overlaid path; records what each file sets.
        def _find_file(self):
            path = os.path.join(self.path or os.getcwd(), self.filename)
            if path in overlay:
                if overlay[path] is None:
                    raise OSError(f"{path} is removed by the plan")
                self.full_filename = path
            else:
                super()._find_file()

        def load_config(self):
            try:
                config = super().load_config()
            except Exception as exc:
                if type(exc).__name__ != "ConfigFileNotFound":
                    tb = traceback.extract_tb(exc.__traceback__)
                    line = next((f.lineno for f in reversed(tb) if f.filename == self.full_filename), None)
                    errors.append([self.full_filename, line, f"{type(exc).__name__}: {exc}"])
                raise
            loaded.append([self.full_filename, keys(config)])
            return config

    class Py(Overlaid, PyFileConfigLoader):
        def _read_file_as_dict(self):
            if self.full_filename not in overlay:
                return super()._read_file_as_dict()
            namespace = dict(c=self.config, load_subconfig=self.load_subconfig,
                             get_config=lambda: self.config, __file__=self.full_filename)
            exec(compile(overlay[self.full_filename], self.full_filename, "exec"), namespace, namespace)

    class Json(Overlaid, JSONFileConfigLoader):
        def _read_file_as_dict(self):
            if self.full_filename not in overlay:
                return super()._read_file_as_dict()
            return json.loads(overlay[self.full_filename])

    Application.python_config_loader_class = Py
    Application.json_config_loader_class = Json
    # Jupyter Server logs an extension that fails to link and goes on without it (and, for
    # JupyterLab, without the NotebookApp/ServerApp settings its link passes on): recorded.
    link_points = ExtensionPackage.link_all_points
    def link_all_points(self, serverapp):
        try:
            link_points(self, serverapp)
        except Exception as exc:
            link_errors.append([self.name, f"{type(exc).__name__}: {exc}"])
            raise
    ExtensionPackage.link_all_points = link_all_points

    # What `jupyter-lab` does before it starts (ExtensionApp.initialize_server, ServerApp.initialize),
    # up to the point where the config is complete: no web app, no socket.
    app = ServerApp.instance(jpserver_extensions={"jupyterlab": True})
    app.raise_config_file_errors = True
    app.migrate_config = lambda: None  # it would write a "migrated" marker into the config dir
    try:
        super(ServerApp, app).initialize(argv=[])
        app.find_server_extensions()
        app.init_server_extensions()
        point = app.extension_manager.extension_points.get("lab")
        if point is not None:
            app.update_config(Config(point.config))
        idp = app.identity_provider_class(parent=app, log=app.log)
    except Exception as exc:
        if not errors:  # e.g. merging what the last file loaded failed: that file is the culprit
            culprit = loaded[-1][0] if loaded else None
            errors.append([culprit, None, f"{type(exc).__name__}: {exc}"])
        return {"loaded": loaded, "errors": errors, "values": {}, "link_errors": link_errors}

    hashed = getattr(idp, "hashed_password", "") or ""
    token = idp.token
    if app._token_set and idp.token_generated:
        token = app.token
    ssl = dict(app.ssl_options or {})
    for name in ("certfile", "keyfile"):
        if getattr(app, name):
            ssl[name] = getattr(app, name)
    ssl_error = ""
    if ssl:
        from tornado.tcpserver import TCPServer
        try:
            TCPServer(ssl_options=ssl)  # tornado's own check of what HTTPServer will be given
        except Exception as exc:
            ssl_error = f"{type(exc).__name__}: {exc}"
    values = {
        "ServerApp.ip": app.ip, "ServerApp.port": app.port, "ServerApp.port_retries": app.port_retries,
        "ServerApp.open_browser": app.open_browser,
        "ServerApp.allow_remote_access": app.allow_remote_access,
        "ServerApp.root_dir": app.root_dir, "ServerApp.base_url": app.base_url,
        "ServerApp.certfile": app.certfile, "ServerApp.keyfile": app.keyfile,
        "ServerApp.ssl_options": {k: repr(v) for k, v in (app.ssl_options or {}).items()},
        "ServerApp.trust_xheaders": app.trust_xheaders,
        "PasswordIdentityProvider.hashed_password":
            "sha256:" + hashlib.sha256(hashed.encode()).hexdigest() if hashed else "",
        "IdentityProvider.token": "generated" if idp.token_generated else ("set" if token else ""),
    }
    secret = ("password", "hashed_password", "token")
    merged = {f"{cls}.{name}": "<secret>" if name in secret else repr(value)
              for cls, section in app.config.items() if isinstance(section, dict)
              for name, value in section.items()}
    # A ServerApp trait any file names (NotebookApp.X too: the shim moves it) by the value the
    # server holds: a failed link leaves values set before it but drops them from app.config.
    named = {k.split(".", 1)[1] for _name, ks in loaded for k in ks
             if k.split(".", 1)[0] in ("ServerApp", "NotebookApp")}
    for name in sorted(named | {k.split(".", 1)[1] for k in merged if k.startswith("ServerApp.")}):
        if app.has_trait(name):
            merged[f"ServerApp.{name}"] = "<secret>" if name in secret else repr(getattr(app, name))
    return {"loaded": loaded, "errors": errors, "values": values, "ssl_error": ssl_error,
            "config_path": app.config_file_paths, "merged": merged, "link_errors": link_errors}

# One request (a JSON line) after another, each in a child forked after the imports: a fresh
# ServerApp per load without importing Jupyter Server again (most of the cost).
for line in sys.stdin:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            out = json.dumps(load(json.loads(line)))
        except BaseException as exc:
            out = json.dumps({"fatal": f"{type(exc).__name__}: {exc}"})
        with os.fdopen(write, "w") as f:
            f.write(out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        answer = f.read()
    os.waitpid(pid, 0)
    print(answer.replace("\n", " ") or json.dumps({"fatal": "the loader died"}), flush=True)
"""


class ConfigCheckError(WizardError):
    """The target interpreter could not be asked (it does not run, or has no Jupyter Server)."""


@dataclass(frozen=True)
class LoadError:
    path: str | None  # None: not tied to one file
    line: int | None
    message: str

    def __str__(self) -> str:
        if not self.path:
            return self.message
        if self.line:
            return _("{path}, line {line}: {error}").format(
                path=self.path, line=self.line, error=self.message
            )
        return f"{self.path}: {self.message}"


@dataclass
class Effective:
    """What Jupyter loads: the values of TRAITS, and which files set which keys (load order)."""

    values: dict[str, Any] = field(default_factory=dict)
    loaded: list[tuple[str, list[str]]] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    ssl_error: str = ""
    config_path: list[str] = field(default_factory=list)
    # Every trait any file sets, merged as Jupyter merges them: "Class.trait" -> repr(value)
    # (secrets as "<secret>").
    merged: dict[str, str] = field(default_factory=dict)
    # Extensions that fail to link with this config (name, error): Jupyter logs them and runs
    # without them.
    link_errors: list[tuple[str, str]] = field(default_factory=list)

    def winner(self, trait: str) -> str | None:
        """The last file in load order that sets `trait` (under any of its names)."""
        names = {trait, *ALIASES.get(trait, ())}
        if trait.startswith("ServerApp."):
            names.add("NotebookApp." + trait.split(".", 1)[1])
        found = None
        for path, keys in self.loaded:
            if names.intersection(keys):
                found = path
        cls, name = trait.split(".", 1)
        if found is None and cls not in ("ServerApp", "NotebookApp"):
            # Set through a deprecated ServerApp (or NotebookApp) name Jupyter forwards to it.
            return self.winner(f"ServerApp.{name}")
        return found


@dataclass(frozen=True)
class Request:
    """One config to load: `config_dir` (and the dirs it implies), `overlay` would-be contents
    (path -> text, None: removed), the cwd Jupyter starts in."""

    config_dir: str
    overlay: Mapping[str, str | None] = field(default_factory=dict)
    cwd: str = "/"

    def line(self) -> str:
        return json.dumps(
            {"config_dir": self.config_dir, "overlay": dict(self.overlay), "cwd": self.cwd}
        )


def load_effective(
    python: str,
    config_dir: str,
    *,
    overlay: Mapping[str, str | None] | None = None,
    cwd: str = "/",
    run_as: tuple[int, int] | None = None,
    timeout: float = 60.0,
) -> Effective:
    """Ask `python` what Jupyter would load from `config_dir` (and the dirs it implies).

    `run_as` (uid, gid): as root, the user Jupyter runs as: their .py files are code, and run
    with their rights only. Raises ConfigCheckError when the interpreter cannot answer.
    """
    req = Request(config_dir, overlay or {}, cwd)
    return load_many(python, [req], run_as=run_as, timeout=timeout)[0]


def load_many(
    python: str,
    requests: list[Request],
    *,
    run_as: tuple[int, int] | None = None,
    timeout: float = 60.0,
) -> list[Effective]:
    """Several loads in one run of `python` (Jupyter Server imported once, each load in a
    fresh child of it): the config of today and the would-be one for the price of ~1.3 loads."""
    with Loader(python, run_as=run_as) as loader:
        return [loader.load(r, timeout=timeout) for r in requests]


def _could_not_load(python: str, why: str) -> str:
    return _("{python} could not load Jupyter's config ({why})").format(python=python, why=why)


class Loader:
    """The loader script kept running for many loads (each a fresh forked child)."""

    def __init__(self, python: str, *, run_as: tuple[int, int] | None = None) -> None:
        self.python = python
        # The search path as the interpreter's probe saw it (JUPYTER_CONFIG_PATH,
        # PREFER_ENV_PATH); the config dir is each request's.
        env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_DIR"}
        kwargs: dict[str, Any] = {}
        who = RunAs.for_owner(run_as)
        if who is not None:
            kwargs, env = who.popen_kwargs(), who.env(env)
        try:
            self._proc = subprocess.Popen(
                [python, "-I", "-c", _SCRIPT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                **kwargs,
            )
        except OSError as exc:
            raise ConfigCheckError(
                _("{python} could not be run to load the config: {error}").format(
                    python=python, error=exc
                )
            ) from exc
        self._stderr: list[str] = []
        # stderr drained aside (Jupyter's log lines), so a chatty load never blocks the pipe.
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)
            del self._stderr[:-20]

    def load(self, request: Request, *, timeout: float = 60.0) -> Effective:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        answer = ""
        try:
            self._proc.stdin.write(request.line() + "\n")
            self._proc.stdin.flush()
            ready, _w, _x = select.select([self._proc.stdout], [], [], timeout)
            if ready:
                answer = self._proc.stdout.readline()
        except OSError:
            pass
        try:
            data = json.loads(answer)
            if "fatal" in data:
                raise ConfigCheckError(_could_not_load(self.python, data["fatal"]))
        except ValueError:
            self.close()
            tail = [s.strip() for s in self._stderr[-1:]] or [
                _("no output")
                if answer or self._proc.poll() is not None
                else _("no answer in {timeout:.0f} s").format(timeout=timeout)
            ]
            raise ConfigCheckError(_could_not_load(self.python, tail[0])) from None
        return Effective(
            values=data.get("values", {}),
            loaded=[(p, list(k)) for p, k in data.get("loaded", [])],
            errors=[LoadError(p, n, m) for p, n, m in data.get("errors", [])],
            ssl_error=data.get("ssl_error", ""),
            config_path=list(data.get("config_path", [])),
            merged=dict(data.get("merged", {})),
            link_errors=[(n, m) for n, m in data.get("link_errors", [])],
        )

    def close(self) -> None:
        if self._proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._drain.join(5)

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
