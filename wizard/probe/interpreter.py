"""Ask a target Python interpreter what it has, instead of assuming the wizard's own.

The question is one small script run by that interpreter; it imports only jupyter_core.paths
when present (~40 ms), never jupyter_server, so it stays cheap.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.core.errors import InputError
from wizard.core.fileops import UnsafePath
from wizard.core.i18n import _
from wizard.core.run_as import as_its_owner

_SCRIPT = r"""
import json, os, sys, sysconfig
from importlib import metadata, util

def version(dist):
    try:
        return metadata.version(dist)
    except Exception:
        return None

prefix, base = sys.prefix, getattr(sys, "base_prefix", sys.prefix)
is_venv = prefix != base
scripts = sysconfig.get_path("scripts")
stdlib = sysconfig.get_path("stdlib")
home = os.path.expanduser("~")
try:
    from jupyter_core import paths as jp
    config_path = jp.jupyter_config_path()
    config_dir = jp.jupyter_config_dir()
    runtime_dir = jp.jupyter_runtime_dir()
except Exception:
    # Same rules as jupyter_core.paths, for an interpreter without Jupyter yet.
    config_dir = os.environ.get("JUPYTER_CONFIG_DIR") or os.path.join(home, ".jupyter")
    env_dir = os.path.join(prefix, "etc", "jupyter")
    prefer_env = os.environ.get("JUPYTER_PREFER_ENV_PATH", "1" if is_venv else "0").lower()
    system = ["/usr/local/etc/jupyter", "/etc/jupyter"]
    if prefer_env not in ("0", "false", "no", "off", ""):
        config_path = [env_dir, config_dir] + system
    else:
        config_path = [config_dir, env_dir] + system
    data = os.environ.get("JUPYTER_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"), "jupyter")
    runtime_dir = os.environ.get("JUPYTER_RUNTIME_DIR") or os.path.join(data, "runtime")
    seen = set()
    config_path = [p for p in config_path if not (p in seen or seen.add(p))]

def lab_app_dir():
    # JupyterLab's application directory by jupyterlab.commands.get_app_dir's rules (without
    # importing it: that loads the server); its settings/overrides.json holds setting defaults.
    if os.environ.get("JUPYTERLAB_DIR"):
        return os.path.realpath(os.environ["JUPYTERLAB_DIR"])
    app_dir = os.path.join(prefix, "share", "jupyter", "lab")
    spec = util.find_spec("jupyterlab")
    here = os.path.dirname(spec.origin) if spec is not None and spec.origin else ""
    import site
    userbase = getattr(site, "getuserbase", lambda: "")() or ""
    if here and userbase and here.startswith(userbase) and not app_dir.startswith(userbase):
        app_dir = os.path.join(userbase, "share", "jupyter", "lab")
    elif (prefix.startswith("/usr") and not os.path.exists(app_dir)
          and os.path.exists("/usr/local/share/jupyter/lab")):
        app_dir = "/usr/local/share/jupyter/lab"
    elif here and not os.path.exists(app_dir):
        maybe = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here)))),
                             "share", "jupyter", "lab")
        if os.path.exists(maybe):
            app_dir = maybe
    return os.path.realpath(app_dir)

def language_packs():
    # The locales of JupyterLab language packs, found as JupyterLab finds them (entry points).
    try:
        eps = metadata.entry_points()
        group = "jupyterlab.languagepack"
        found = eps.select(group=group) if hasattr(eps, "select") else eps.get(group, [])
        return sorted({ep.name for ep in found})
    except Exception:
        return []

print(json.dumps({
    "executable": sys.executable,
    "python_version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": prefix,
    "is_venv": is_venv,
    "is_conda": os.path.isdir(os.path.join(prefix, "conda-meta")),
    "externally_managed": (not is_venv) and os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
    "has_pip": util.find_spec("pip") is not None,
    "has_venv": util.find_spec("venv") is not None and util.find_spec("ensurepip") is not None,
    "scripts_dir": scripts,
    "versions": {d: version(d) for d in ("jupyterlab", "jupyter_server", "jupyter_core", "notebook", "ipykernel")},
    "config_path": config_path,
    "config_dir": config_dir,
    "runtime_dir": runtime_dir,
    "lab_app_dir": lab_app_dir(),
    "language_packs": language_packs(),
}))
"""


@dataclass(frozen=True)
class Interpreter:
    executable: str
    python_version: str
    prefix: str
    is_venv: bool
    is_conda: bool
    externally_managed: bool
    has_pip: bool
    has_venv: bool
    scripts_dir: str
    versions: dict[str, str | None] = field(default_factory=dict)
    config_path: list[str] = field(default_factory=list)
    config_dir: str = ""
    runtime_dir: str = ""
    lab_app_dir: str = ""  # JupyterLab's application directory ("" = not asked)
    language_packs: list[str] = field(default_factory=list)  # locales of its language packs

    @property
    def jupyterlab_version(self) -> str | None:
        return self.versions.get("jupyterlab")

    @property
    def jupyter_lab_bin(self) -> str:
        return str(Path(self.scripts_dir) / "jupyter-lab")

    @property
    def kind(self) -> str:
        if self.is_conda:
            return "conda"
        if self.is_venv:
            return "venv"
        return "system" if self.externally_managed or self.prefix.startswith("/usr") else "python"


def run_json_script(python: str, script: str, *, timeout: float) -> dict[str, Any]:
    """Run `script` under `python -I` (as root: as the user who could change that Python, see
    owner_of); return the JSON object it printed on its last line.

    Raises OSError, subprocess.SubprocessError or ValueError when the interpreter does not
    run or answers something else (UnsafePath: when no one user may be trusted to run it).
    """
    out = subprocess.run(
        [python, "-I", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=True,
        **as_its_owner(python),
    ).stdout
    lines = out.strip().splitlines()
    data = json.loads(lines[-1]) if lines else None
    if not isinstance(data, dict):
        raise ValueError(_("{python} printed no JSON object").format(python=python))
    return data


def inspect_interpreter(python: str, *, timeout: float = 20.0) -> Interpreter:
    """Run the question script under ``python``; InputError when it is not a usable interpreter."""
    path = Path(python)
    if not path.is_absolute():
        raise InputError(
            _("jupyter.python: {python!r} is not an absolute path").format(python=python)
        )
    if not path.exists():
        raise InputError(_("jupyter.python: {python} does not exist").format(python=python))
    try:
        data = run_json_script(python, _SCRIPT, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(
            _("jupyter.python: {python} could not be run as Python: {exc}").format(
                python=python, exc=exc
            )
        ) from exc
    except ValueError as exc:
        raise InputError(
            _("jupyter.python: {python} gave an unexpected answer").format(python=python)
        ) from exc
    except UnsafePath as exc:
        raise InputError(f"jupyter.python: {exc}") from exc
    return Interpreter(**data)
