"""What the wizard writes for a kernel: its kernel.json, and for a conda env a launcher that
activates it first.

The kernel runs the environment's own interpreter (argv[0]), never a bare `python` that the
service's PATH would pick. A conda env is activated the way `conda activate` does it: its bin
first on PATH, CONDA_PREFIX and CONDA_DEFAULT_ENV set (kernel.json's env block; jupyter_client
fills in ${PATH}), and when the env has activation scripts (etc/conda/activate.d/*.sh, which set
what compiled libraries need: GDAL_DATA, CUDA paths...) a small launcher sources them before it
execs ipykernel in the same process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wizard.plan.steps.kernel_names import conda_name
from wizard.probe.environments import Environment
from wizard.probe.kernelspecs import OURS_KEY

LAUNCHER = "conda-activate.py"

_LAUNCHER_TEXT = r'''"""Written by jupyter-setup-wizard: start this kernel with its conda environment activated
(its activation scripts run as `conda activate` runs them), then become ipykernel."""
import glob, json, os, shlex, subprocess, sys

prefix = os.environ.get("CONDA_PREFIX") or sys.prefix
scripts = sorted(glob.glob(os.path.join(prefix, "etc", "conda", "activate.d", "*.sh")))
if scripts:
    # Sourced in one shell (their output kept off stdout), which then reports its environment.
    source = "".join(". %s\n" % shlex.quote(s) for s in scripts)
    dump = "import json, os, sys; sys.stdout.write(json.dumps(dict(os.environ)))"
    shell = "{\n" + source + "} >&2\nexec \"$0\" -I -c " + shlex.quote(dump) + "\n"
    out = subprocess.run(["/bin/sh", "-c", shell, sys.executable], stdout=subprocess.PIPE, check=True)
    os.environ.clear()
    os.environ.update(json.loads(out.stdout))
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])
'''


def activation_scripts(prefix: Path) -> list[Path]:
    return sorted((prefix / "etc" / "conda" / "activate.d").glob("*.sh"))


def needs_launcher(env: Environment) -> bool:
    return env.kind == "conda" and bool(activation_scripts(Path(env.prefix)))


def conda_env(env: Environment) -> dict[str, str]:
    prefix = Path(env.prefix)
    name = conda_name(prefix) or str(prefix)  # conda's own value for a `-p PATH` env
    return {
        "PATH": f"{prefix}/bin:${{PATH}}",
        "CONDA_PREFIX": str(prefix),
        "CONDA_DEFAULT_ENV": name,
        "CONDA_SHLVL": "1",
    }


def kernel_json(env: Environment, display: str) -> bytes:
    start = ["{resource_dir}/" + LAUNCHER] if needs_launcher(env) else ["-m", "ipykernel_launcher"]
    spec: dict[str, Any] = {
        "argv": [env.python, *start, "-f", "{connection_file}"],
        "display_name": display,
        "language": "python",
        "metadata": {
            "debugger": True,
            OURS_KEY: {"python": env.python, "kind": env.kind, "prefix": env.prefix},
        },
    }
    if env.kind == "conda":
        spec["env"] = conda_env(env)
    return (json.dumps(spec, indent=1) + "\n").encode()


def launcher() -> bytes:
    return _LAUNCHER_TEXT.encode()
