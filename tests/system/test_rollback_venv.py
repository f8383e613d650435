"""`rollback` of a create-venv apply, in a later run, removes the venv that apply made (a real
venv with a real pip-installed JupyterLab).

pip's HTTP cache does not help here (the index's answers are not cacheable), so JupyterLab's
wheels are downloaded once per machine into a wheelhouse next to the cached test venv; the
apply then installs from it with no index (~10 s instead of ~45 s)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.index import wheelhouse
from tests.support.ports import free_port
from tests.system.test_install import REPO, run_apply, wizard_env, write_answers

pytestmark = pytest.mark.system


def test_rollback_removes_the_venv_the_apply_created(tmp_path: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "jupyterlab"
    (tmp_path / "nb").mkdir()
    env = wizard_env(tmp_path, PIP_FIND_LINKS=str(wheelhouse()), PIP_NO_INDEX="1")
    answers = write_answers(tmp_path / "a.toml", venv, free_port(), tmp_path / "nb")
    t0 = time.monotonic()
    r = run_apply(answers, env)
    print(f"[timing] create-venv apply: {time.monotonic() - t0:.1f}s")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert (venv / "bin" / "jupyter-lab").exists()
    applied = r.stdout.split("Applied (ID ", 1)[1].split(")", 1)[0]
    config = Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.json"
    assert config.exists()

    t0 = time.monotonic()
    rb = subprocess.run(
        [sys.executable, "-m", "wizard", "rollback", applied, "--yes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    print(f"[timing] rollback incl. venv removal: {time.monotonic() - t0:.1f}s")
    assert rb.returncode == 0, rb.stdout + rb.stderr
    assert f"remove the venv {venv}" in rb.stdout, rb.stdout
    assert "does not bring it back" in rb.stdout  # said before it happens
    assert not (tmp_path / "data").exists()  # the venv and the directories made for it
    assert not config.exists()
    assert not list(venv.parent.parent.parent.glob(".*removing*"))
    state = Path(env["XDG_STATE_HOME"]) / "jupyter-setup-wizard"
    assert not (state / "current-answers.toml").exists()  # nothing is set up any more
