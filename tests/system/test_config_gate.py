"""The config gate after an apply that was not checked before (JupyterLab installed by the same
apply): with a real JupyterLab it loads the files the plan wrote as they were beside the
written ones, so an extension that failed to link before is not the apply's doing, and one the
written config breaks rolls the apply back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.jupyter import shared_jlab_python
from wizard.plan.steps.config_check import ConfigGate

pytestmark = pytest.mark.system

BROKEN = {"LabApp": {"app_dir": 123}}  # jupyterlab's link fails: app_dir wants a string
DESIRED = {("ServerApp", "port"): 9123}


def _gate(cfg: Path, before: dict[str, str | None] | None) -> ConfigGate:
    return ConfigGate(shared_jlab_python(), str(cfg), DESIRED, run_as=None, after=[],
                      checked=None, before=before)  # fmt: skip


def test_only_a_link_failure_the_written_config_causes_rolls_back(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    written = cfg / "jupyter_server_config.json"
    written.write_text(json.dumps({**BROKEN, "ServerApp": {"port": 9123}}))

    was_broken = _gate(cfg, {str(written): json.dumps(BROKEN)}).look()
    assert was_broken.ok, was_broken.reason

    now_broken = _gate(cfg, {str(written): None}).look()
    assert not now_broken.ok and now_broken.fatal, now_broken.reason
    assert "the jupyterlab extension would fail to link" in now_broken.reason

    unknown = _gate(cfg, None).look()  # nothing to compare with: said, never a rollback
    assert unknown.ok and "maybe before too: jupyterlab" in unknown.reason, unknown.reason


def test_a_killed_wizard_leaves_no_trial_server_behind(tmp_path: Path) -> None:
    """The trial start's jupyter-lab runs in a session of its own; when the wizard is killed
    in the middle of it (kill -9, a crash), it goes too."""
    import os
    import time

    from wizard.plan.steps.config_check import TrialStart

    lab = str(Path(shared_jlab_python()).parent / "jupyter-lab")
    pid_file = tmp_path / "trial-pid"
    wizard = os.fork()
    if wizard == 0:  # the wizard, killed while its trial server starts
        trial = TrialStart(lab, str(tmp_path), run_as=None, cwd="/", after=[])
        trial.begin()
        assert trial._proc is not None
        pid_file.write_text(str(trial._proc.pid))
        time.sleep(1)
        os._exit(9)
    os.waitpid(wizard, 0)
    server = int(pid_file.read_text())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(server, 9)
    raise AssertionError(f"the trial server {server} outlived the wizard")
