"""Installing with uv and with pip from a real package index on loopback: both give a working,
password-protected JupyterLab; pip's configured index is the one uv uses (carried over, never
bypassed), an index that does not answer is named; install.index_url lands in the new venv's
pip.conf; an install into an existing env with uv is rolled back to the versions found; and
without uv, `auto` installs with pip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib

from tests.support.index import OLD_JINJA2, LocalIndex, serve_index, silent_index, wheelhouse
from tests.support.jupyter import cache_dir, login, run_jupyter
from tests.support.ports import free_port
from tests.system.test_install import REPO, run_apply, wizard_env, write_answers
from wizard.apply.engine import apply_plan
from wizard.core.answers import Answers
from wizard.core.errors import ApplyError
from wizard.plan.actions import RunCommand
from wizard.plan.planner import build_plan
from wizard.plan.steps.install_actions import UvInstall, installed_packages
from wizard.probe.facts import probe

pytestmark = pytest.mark.system

PASSWORD = "uv and pip alike"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    with serve_index(tmp_path_factory.mktemp("index")) as served:
        yield served


def index_env(root: Path, pip_conf: str, **extra: str) -> dict[str, str]:
    """A private world whose only pip settings are `pip_conf` (as PIP_CONFIG_FILE) and extra."""
    conf = root / "pip.conf"
    conf.write_text(pip_conf)
    env = wizard_env(root, PIP_CONFIG_FILE=str(conf), UV_CACHE_DIR=str(cache_dir() / "uv"))
    for var in [v for v in env if v.startswith("UV_") and v != "UV_CACHE_DIR"]:
        del env[var]
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        env.pop(var, None)
    env.update(extra)
    return env


def apply_with_password(answers: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", "apply", str(answers), "--yes", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=1200,
    )


def assert_lab_logs_in(venv: Path, env: dict[str, str], work: Path) -> None:
    with run_jupyter(str(venv / "bin" / "python"), Path(env["JUPYTER_CONFIG_DIR"]), work) as lab:
        assert login(lab.url, PASSWORD)[0] == 302
        assert login(lab.url, "not the password")[0] == 401


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_create_venv_gives_a_working_jupyterlab(
    installer: str, index: LocalIndex, tmp_path: Path
) -> None:
    venv = tmp_path / "venvs" / "jlab"
    (tmp_path / "nb").mkdir()
    env = index_env(tmp_path, f"[global]\nindex-url = {index.url}\n")
    answers = write_answers(
        tmp_path / "a.toml",
        venv,
        free_port(),
        tmp_path / "nb",
        install=f'installer = "{installer}"\n',
    )
    before = len(index.requests())
    r = apply_with_password(answers, env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    command = "uv pip install --python" if installer == "uv" else "-m pip install jupyterlab"
    assert command in r.stdout
    assert f"installer: {installer}" in r.stdout and f"{index.url} (pip.conf)" in r.stdout
    # the configured index answered this install (uv was given pip's index, not its default)
    assert "GET /simple/jupyterlab/" in index.requests()[before:]
    assert (venv / "bin" / "pip").exists()  # uv's venv gets pip too, as venv's own would
    assert_lab_logs_in(venv, env, tmp_path / "run")


def test_index_url_is_used_and_written_into_the_new_venvs_pip_conf(
    index: LocalIndex, tmp_path: Path
) -> None:
    venv = tmp_path / "venvs" / "jlab"
    (tmp_path / "nb").mkdir()
    env = index_env(tmp_path, "")  # nothing configured: the answers name the index
    answers = write_answers(
        tmp_path / "a.toml",
        venv,
        free_port(),
        tmp_path / "nb",
        install=f'installer = "uv"\nindex_url = "{index.url}"\n',
    )
    r = run_apply(answers, env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert f"{index.url} (install.index_url)" in r.stdout
    assert f"index-url = {index.url}" in (venv / "pip.conf").read_text()
    seen = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert f"global.index-url='{index.url}'" in seen  # later pip installs there use it too
    again = run_apply(answers, env)
    assert again.returncode == 0 and "Nothing to change" in again.stdout


@pytest.mark.parametrize("configured_in", ["PIP_INDEX_URL", "pip.conf"])
def test_a_configured_index_that_does_not_answer_is_named(
    configured_in: str, tmp_path: Path
) -> None:
    venv = tmp_path / "venvs" / "jlab"
    (tmp_path / "nb").mkdir()
    with silent_index() as url:
        conf = f"[global]\nindex-url = {url}\n" if configured_in == "pip.conf" else ""
        env = index_env(tmp_path, conf, PIP_DEFAULT_TIMEOUT="2", PIP_RETRIES="0")
        if configured_in == "PIP_INDEX_URL":
            env["PIP_INDEX_URL"] = url
        answers = write_answers(
            tmp_path / "a.toml", venv, free_port(), tmp_path / "nb", install='installer = "uv"\n'
        )
        r = run_apply(answers, env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"the package index {url} did not answer within 2 s" in r.stderr  # pip's, carried
    assert "trying pip" not in r.stdout + r.stderr  # pip would ask the same index
    assert "Rolled back" in r.stderr
    assert not (tmp_path / "venvs").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_uv_install_into_an_existing_env_rolls_back_to_the_versions_found(
    index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_dir = tmp_path / "existing"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    python = str(env_dir / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheelhouse()),
            f"jinja2=={OLD_JINJA2}",
        ],
        check=True,
        timeout=300,
    )
    before = installed_packages(python)
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {index.url}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("UV_CACHE_DIR", str(cache_dir() / "uv"))
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "nb").mkdir()
    answers = Answers().replace("install", action="install", installer="uv")
    answers = answers.replace("jupyter", python=python)
    answers = answers.replace("network", root_dir=str(tmp_path / "nb"), port=free_port())
    plan = build_plan(answers, probe(python, str(tmp_path / "cfg")))
    uv = next(a for a in plan.actions if isinstance(a, UvInstall))
    plan.actions.append(RunCommand(["false"], description="a later step that fails"))
    with pytest.raises(ApplyError):
        apply_plan(plan)
    assert uv.used == "uv"
    assert installed_packages(python) == before  # jinja2 back to 3.0.0, the added ones gone
    assert before["jinja2"] == OLD_JINJA2


@pytest.fixture(scope="session")
def python_without_uv() -> str:
    """A venv with the wizard's dependencies but no uv (built once per machine)."""
    venv = cache_dir() / "wizard-without-uv"
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    stamp = venv / ".deps"
    if not stamp.exists() or stamp.read_text() != "\n".join(deps):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *deps],
            check=True,
            timeout=900,
        )
        stamp.write_text("\n".join(deps))
    return str(venv / "bin" / "python")


def test_without_uv_auto_installs_with_pip_and_uv_is_refused(
    python_without_uv: str, index: LocalIndex, tmp_path: Path
) -> None:
    venv = tmp_path / "venvs" / "jlab"
    (tmp_path / "nb").mkdir()
    env = index_env(tmp_path, f"[global]\nindex-url = {index.url}\n")
    env["PATH"] = os.pathsep.join(
        d for d in env["PATH"].split(os.pathsep) if d and not shutil.which("uv", path=d)
    )
    answers = write_answers(tmp_path / "a.toml", venv, free_port(), tmp_path / "nb")

    def wizard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python_without_uv, "-m", "wizard", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=1200,
        )

    r = wizard("apply", str(answers), "--yes")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "installer: pip;" in r.stdout and "-m pip install jupyterlab" in r.stdout
    assert (venv / "bin" / "jupyter-lab").exists()

    answers.write_text(
        answers.read_text().replace(
            'action = "create-venv"', 'action = "upgrade"\ninstaller = "uv"'
        )
    )
    refused = wizard("apply", str(answers), "--dry-run")
    assert refused.returncode == 2
    assert "error: install.installer: uv was not found" in refused.stderr
