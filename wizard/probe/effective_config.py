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
import pwd
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.core.errors import WizardError

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
request = json.loads(sys.stdin.read())
os.environ["JUPYTER_CONFIG_DIR"] = request["config_dir"]
os.chdir(request["cwd"])
overlay = request["overlay"]
loaded, errors = [], []

from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

def keys(config):
    return sorted(f"{cls}.{name}" for cls, section in config.items()
                  if isinstance(section, dict) for name in section)

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

from jupyter_server.serverapp import ServerApp
from traitlets.config.application import Application
Application.python_config_loader_class = Py
Application.json_config_loader_class = Json

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
    print(json.dumps({"loaded": loaded, "errors": errors, "values": {}}))
    sys.exit(0)

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
print(json.dumps({"loaded": loaded, "errors": errors, "values": values, "ssl_error": ssl_error,
                  "config_path": app.config_file_paths, "merged": merged}))
"""


class ConfigCheckError(WizardError):
    """The target interpreter could not be asked (it does not run, or has no Jupyter Server)."""


@dataclass(frozen=True)
class LoadError:
    path: str | None  # None: not tied to one file
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}" + (f", line {self.line}" if self.line else "") if self.path else ""
        return f"{where}: {self.message}" if where else self.message


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

    def winner(self, trait: str) -> str | None:
        """The last file in load order that sets `trait` (under any of its names)."""
        names = {trait, *ALIASES.get(trait, ())}
        if trait.startswith("ServerApp."):
            names.add("NotebookApp." + trait.split(".", 1)[1])
        found = None
        for path, keys in self.loaded:
            if names.intersection(keys):
                found = path
        return found


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
    request = json.dumps({"config_dir": config_dir, "overlay": dict(overlay or {}), "cwd": cwd})
    # The search path as the interpreter's probe saw it (JUPYTER_CONFIG_PATH, PREFER_ENV_PATH);
    # the config dir is the answers'.
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_DIR"}
    kwargs: dict[str, Any] = {}
    if run_as is not None and os.geteuid() == 0 and run_as[0] != 0:
        uid, gid = run_as
        kwargs = {"user": uid, "group": gid, "extra_groups": []}
        with contextlib.suppress(KeyError):
            env["HOME"] = pwd.getpwuid(uid).pw_dir
    try:
        out = subprocess.run(
            [python, "-I", "-c", _SCRIPT],
            input=request,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
            **kwargs,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigCheckError(f"{python} could not be run to load the config: {exc}") from exc
    lines = out.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ConfigCheckError(f"{python} could not load Jupyter's config ({tail[0]})") from None
    return Effective(
        values=data.get("values", {}),
        loaded=[(p, list(k)) for p, k in data.get("loaded", [])],
        errors=[LoadError(p, n, m) for p, n, m in data.get("errors", [])],
        ssl_error=data.get("ssl_error", ""),
        config_path=list(data.get("config_path", [])),
        merged=dict(data.get("merged", {})),
    )
