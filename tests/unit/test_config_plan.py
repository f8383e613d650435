"""Which config files the wizard edits, and how legacy settings are migrated."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from wizard.core.answers import NetworkAnswers
from wizard.core.errors import InputError
from wizard.core.passwords import hash_password, verify_password
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps import network, password
from wizard.plan.steps.config import plan_jupyter_config
from wizard.probe.facts import Facts
from wizard.probe.interpreter import Interpreter, inspect_interpreter
from wizard.probe.jupyter_config import scan_config_dirs


@pytest.fixture(scope="module")
def interp() -> Interpreter:
    return inspect_interpreter(sys.executable)


def facts_for(interp: Interpreter, cfg: Path) -> Facts:
    f = Facts(interpreter=interp, config_dir=str(cfg))
    f.config_files = scan_config_dirs(f.config_dirs)
    return f


def plan_for(facts: Facts, root: Path, new_password: str | None = None) -> Plan:
    plan = Plan("t")
    desired = network.settings(NetworkAnswers(root_dir=str(root)))
    hashed = password.resolve_hash(facts, "", new_password)
    if hashed:
        desired[password.MODERN_KEY] = hashed
    plan_jupyter_config(plan, facts, desired)
    return plan


def written(plan: Plan, path: Path) -> str:
    for a in plan.actions:
        if isinstance(a, WriteFile) and a.path == path:
            return (a.content or b"").decode()
    raise AssertionError(f"{path} not in plan")


def test_keep_current_password_migrates_legacy_key(interp: Interpreter, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    old = hash_password("old pw")
    (cfg / "jupyter_server_config.py").write_text(f"c.ServerApp.password = {old!r}\n")
    plan = plan_for(facts_for(interp, cfg), tmp_path)
    data = json.loads(written(plan, cfg / "jupyter_server_config.json"))
    assert data["PasswordIdentityProvider"]["hashed_password"] == old
    assert written(plan, cfg / "jupyter_server_config.py").startswith("# [jupyter-setup-wizard]")


def test_same_password_again_keeps_the_hash(interp: Interpreter, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    h = hash_password("same pw")
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"IdentityProvider": {"hashed_password": h}})
    )
    plan = plan_for(facts_for(interp, cfg), tmp_path, new_password="same pw")
    data = json.loads(written(plan, cfg / "jupyter_server_config.json"))
    assert data["PasswordIdentityProvider"]["hashed_password"] == h
    assert "IdentityProvider" not in data  # the older location is migrated, not duplicated


def test_new_password_replaces_the_old(interp: Interpreter, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"PasswordIdentityProvider": {"hashed_password": hash_password("a")}})
    )
    plan = plan_for(facts_for(interp, cfg), tmp_path, new_password="b")
    h = json.loads(written(plan, cfg / "jupyter_server_config.json"))["PasswordIdentityProvider"]
    assert verify_password(h["hashed_password"], "b")


def test_notebook_config_is_reported_not_edited(interp: Interpreter, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_notebook_config.py").write_text("c.NotebookApp.ip = '*'\n")
    plan = plan_for(facts_for(interp, cfg), tmp_path)
    assert all(a.path.name != "jupyter_notebook_config.py" for a in plan.actions)  # type: ignore[attr-defined]
    assert any("ignored by JupyterLab 4" in n.text for n in plan.notes)


def test_lab_config_and_notebookapp_in_server_config_are_disabled(
    interp: Interpreter, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_lab_config.py").write_text("c.ServerApp.port = 9999\nc.LabApp.x = 1\n")
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"NotebookApp": {"ip": "*", "port": 1}, "LabApp": {"y": 2}})
    )
    plan = plan_for(facts_for(interp, cfg), tmp_path)
    lab = written(plan, cfg / "jupyter_lab_config.py")
    assert "# c.ServerApp.port = 9999" in lab and "\nc.LabApp.x = 1" in lab
    data = json.loads(written(plan, cfg / "jupyter_server_config.json"))
    assert "NotebookApp" not in data and data["LabApp"] == {"y": 2}
    texts = " ".join(n.text for n in plan.notes)
    assert "NotebookApp.ip disabled" not in texts  # our own file: removed, not "disabled"
    assert "ServerApp.port disabled" in texts


def test_lower_priority_dirs_are_left_alone_but_legacy_password_is_not(
    interp: Interpreter, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    lower = tmp_path / "lower"  # like /etc/jupyter: outranked by the user's config dir
    lower.mkdir()
    (lower / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"port": 7, "password": "sha1:a:b"}})
    )
    with_lower = dataclasses.replace(interp, config_path=[interp.config_dir, str(lower)])
    facts = facts_for(with_lower, cfg)
    plan = plan_for(facts, tmp_path)
    data = json.loads(written(plan, lower / "jupyter_server_config.json"))
    assert data == {"ServerApp": {"port": 7}}  # port is overridden by ours: left; password disabled
    assert any("is overridden by" in n.text for n in plan.notes)


def test_unparsable_file_anywhere_refuses(interp: Interpreter, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_lab_config.py").write_text("c.ServerApp.port = (\n")
    with pytest.raises(InputError, match="not valid Python"):
        plan_for(facts_for(interp, cfg), tmp_path)
