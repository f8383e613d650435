"""Install step on real environments: a real JupyterLab install into a venv the wizard makes,
detection of real venvs and Debian's Python, a real unreachable index, a real cancel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.jupyter import cache_dir
from tests.support.ports import free_port
from wizard.apply.engine import apply_plan
from wizard.apply.events import event_text
from wizard.core.answers import Answers, load_answers
from wizard.core.errors import ApplyError
from wizard.plan.planner import build_plan
from wizard.plan.steps import install
from wizard.plan.steps.install_actions import PipInstall
from wizard.probe.discovery import discover
from wizard.probe.environments import SYSTEM_PYTHON, describe_python
from wizard.probe.facts import probe

pytestmark = pytest.mark.system

REPO = Path(__file__).parents[2]


def wizard_env(root: Path, **extra: str) -> dict[str, str]:
    """A private XDG/Jupyter world under root; pip keeps a shared cache so repeats are quicker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "JUPYTER_"))}
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(root / "xdg" / var.lower())
    env["JUPYTER_CONFIG_DIR"] = str(root / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(root / "jupyter-runtime")
    env["PIP_CACHE_DIR"] = str(cache_dir() / "pip")
    env["TMPDIR"] = str(root / "tmp")
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


def write_answers(path: Path, venv: Path, port: int, root_dir: Path, *, install: str = "") -> Path:
    """create-venv answers; `install` adds lines to [install] (installer = ..., index_url = ...)."""
    path.write_text(
        "[jupyter]\n"
        f'python = "{venv / "bin" / "python"}"\n'
        "[install]\n"
        'action = "create-venv"\n'
        f'venv_path = "{venv}"\n'
        f"{install}"
        "[network]\n"
        f"port = {port}\n"
        f'root_dir = "{root_dir}"\n'
    )
    return path


def run_apply(answers: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", "apply", str(answers), "--yes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=1200,
    )


@dataclass
class Installed:
    root: Path
    venv: Path
    result: subprocess.CompletedProcess[str]
    env: dict[str, str]
    seconds: float


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One real `apply` with create-venv per test session (~100 packages from the index)."""
    root = tmp_path_factory.mktemp("install")
    venv = root / "home" / "envs" / "jlab-by-wizard"
    (root / "nb").mkdir()
    env = wizard_env(root)
    answers = write_answers(root / "answers.toml", venv, free_port(), root / "nb")
    start = time.monotonic()
    result = run_apply(answers, env)
    return Installed(root, venv, result, env, time.monotonic() - start)


def test_create_venv_installs_a_working_jupyterlab(installed: Installed) -> None:
    r = installed.result
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    print(f"real create-venv + pip install took {installed.seconds:.1f} s")
    assert "create a venv for JupyterLab at" in r.stdout
    lab = installed.venv / "bin" / "jupyter-lab"
    version = subprocess.run(
        [str(lab), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert version[0].isdigit()
    assert f"\n{version}\n" in r.stdout  # the apply's own check ran that same command
    # the answers of record point at the venv's interpreter and its jupyter-lab
    state = Path(installed.env["XDG_STATE_HOME"])
    current = load_answers(state / "jupyter-setup-wizard" / "current-answers.toml")
    assert current.jupyter.python == str(installed.venv / "bin" / "python")
    facts = install.target_facts(current, probe(current.jupyter.python))
    assert facts.interpreter is not None
    assert facts.interpreter.jupyter_lab_bin == str(lab)
    assert facts.interpreter.jupyterlab_version == version
    # nothing of pip's temporary files is left behind
    assert list((installed.root / "tmp").iterdir()) == []


def test_applying_the_same_answers_again_changes_nothing(installed: Installed) -> None:
    assert installed.result.returncode == 0
    again = run_apply(installed.root / "answers.toml", installed.env)
    assert again.returncode == 0, again.stderr
    assert "Nothing to change" in again.stdout
    assert "already installed" in again.stdout


def test_discovery_finds_real_venvs_with_and_without_jupyterlab(
    tmp_path: Path, installed: Installed, jlab: str
) -> None:
    home = tmp_path / "home"
    bare = home / "projects" / "bare" / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(bare)], check=True, timeout=120)
    nopip = home / "nopip"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(nopip)], check=True)
    envs = {e.prefix: e for e in discover(homes=[home, installed.root / "home"], timeout=5)}

    e = envs[str(bare)]
    assert (e.kind, e.jupyterlab_version, e.pip_ok) == ("venv", None, True)
    assert e.python == str(bare / "bin" / "python")
    assert e.python_version == ".".join(map(str, sys.version_info[:3]))
    assert not envs[str(nopip)].pip_ok and "no pip" in envs[str(nopip)].why_not

    made = envs[str(installed.venv)]
    assert made.jupyterlab_version and made.pip_ok and made.kind == "venv"
    # the order puts environments with JupyterLab first
    assert list(envs.values()).index(made) < list(envs.values()).index(e)

    cached = describe_python(jlab)  # the jlab fixture's venv: version as the venv itself reports
    reported = subprocess.run(
        [jlab, "-c", "import importlib.metadata as m; print(m.version('jupyterlab'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert cached.jupyterlab_version == reported and cached.kind == "venv" and cached.pip_ok


def test_debians_python_is_reported_as_externally_managed(tmp_path: Path) -> None:
    assert Path(SYSTEM_PYTHON).exists(), "Debian's python3 is required"
    env = describe_python(SYSTEM_PYTHON)
    assert env.kind == "system" and not env.pip_ok
    assert "PEP 668" in env.why_not and "create-venv" in env.why_not
    assert any(e.python == SYSTEM_PYTHON and not e.pip_ok for e in discover(homes=[tmp_path]))

    answers = Answers().replace("install", action="install")
    answers = answers.replace("jupyter", python=SYSTEM_PYTHON)
    problems = install.validate(answers, probe(SYSTEM_PYTHON, str(tmp_path / "cfg")))
    assert [p.field for p in problems] == ["install.action"]
    assert "create-venv" in problems[0].message

    # and pip itself, asked anyway, refuses: the wizard explains it the same way
    from wizard.apply.journal import Journal
    from wizard.plan.actions import ApplyContext

    action = PipInstall(
        SYSTEM_PYTHON, "jupyterlab", upgrade=False, previous=None, fresh=True, lab_bin="/x"
    )
    with pytest.raises(RuntimeError, match=r"externally managed.*create-venv"):
        action.apply(ApplyContext(Journal.create("t", tmp_path / "j")))


def test_unreachable_index_fails_clearly_and_rolls_back_the_venv(tmp_path: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "jupyterlab"
    (tmp_path / "nb").mkdir()
    answers = write_answers(tmp_path / "a.toml", venv, free_port(), tmp_path / "nb")
    env = wizard_env(
        tmp_path,
        PIP_INDEX_URL=f"http://127.0.0.1:{free_port()}/simple",  # a closed loopback port
        PIP_CONFIG_FILE=os.devnull,  # no other index or wheel dir from this machine's pip.conf
        PIP_RETRIES="0",
    )
    for var in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"):
        env.pop(var, None)
    r = run_apply(answers, env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "could not be reached, so nothing was installed" in r.stderr
    assert "127.0.0.1" in r.stderr and "Rolled back" in r.stderr
    assert not (tmp_path / "data").exists()  # the venv and the directories made for it
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "jupyter-config" / "jupyter_server_config.json").exists()


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import tempfile

    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    yield d


def test_cancel_mid_install_leaves_nothing(tmp_path: Path, private_tmp: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "jupyterlab"
    (tmp_path / "nb").mkdir()
    answers = Answers().replace("install", action="create-venv", venv_path=str(venv))
    answers = install.resolve_answers(answers).replace("network", root_dir=str(tmp_path / "nb"))
    answers = answers.replace("network", port=free_port())
    plan = build_plan(answers, probe(answers.jupyter.python, str(tmp_path / "cfg")))
    cancelled = threading.Event()
    seen: list[str] = []
    pip_was_running = threading.Event()

    def log(line: str) -> None:
        seen.append(line)
        if line.startswith(("Collecting", "Processing", "Looking in", "Using Python", "Resolved")):
            pip_was_running.set()
            cancelled.set()  # as the UI's cancel button would, from another thread's view

    with pytest.raises(ApplyError, match="cancelled"):
        apply_plan(plan, on_event=lambda e: log(event_text(e) or ""), cancelled=cancelled)
    assert pip_was_running.is_set()
    assert not any(line.startswith(("Successfully installed", "Installed")) for line in seen)
    assert not (tmp_path / "data").exists()
    assert list(private_tmp.iterdir()) == []
    assert not (tmp_path / "cfg" / "jupyter_server_config.json").exists()
    journals = list((Path(os.environ["XDG_STATE_HOME"])).rglob("journal.json"))
    assert journals and all(json.loads(j.read_text())["status"] == "rolled-back" for j in journals)
