"""`apply ANSWERS.toml --json` with a real JupyterLab interpreter: one object of the documented
schema on stdout for a dry run, an apply, a second apply that changes nothing, and bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_wizard as wizard
from tests.support.ports import free_port
from wizard.apply.schema import validate

pytestmark = pytest.mark.system

PASSWORD = "Json-Never-Printed-5"


def answers(tmp: Path, python: str, port: int | str) -> Path:
    (tmp / "nb").mkdir(exist_ok=True)
    path = tmp / "answers.toml"
    path.write_text(
        f'[jupyter]\npython = "{python}"\nconfig_dir = "{tmp / "cfg"}"\n'
        f'[network]\nport = {json.dumps(port)}\nroot_dir = "{tmp / "nb"}"\n'
    )
    return path


def report(r: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The whole of stdout is one object of the schema."""
    doc = json.loads(r.stdout)
    assert validate(doc) == [], r.stdout
    assert PASSWORD not in r.stdout + r.stderr
    assert "argon2:$" not in r.stdout
    return doc  # type: ignore[no-any-return]


def test_dry_run_apply_and_again(tmp_path: Path, jlab: str) -> None:
    path = answers(tmp_path, jlab, free_port())
    cfg = tmp_path / "cfg" / "jupyter_server_config.json"
    args = ("apply", str(path), "--json", "--password-stdin")

    dry = wizard(*args, "--dry-run", stdin=PASSWORD)
    assert dry.returncode == 0, dry.stderr
    doc = report(dry)
    assert (doc["status"], doc["changed"], doc["apply_id"]) == ("planned", True, None)
    # The config written, then the checks that Jupyter loads and starts with it (kind "check").
    dry_actions = doc["actions"]
    [action] = [a for a in dry_actions if a["kind"] == "file"]  # type: ignore[union-attr]
    assert {a["kind"] for a in doc["actions"]} == {"file", "check"}, doc["actions"]
    assert action["kind"] == "file" and action["target"] == str(cfg)
    assert '"hashed_password": "<password hash>"' in action["diff"] and action["command"] is None
    assert doc["instructions"]["method"] == "ssh-tunnel"  # type: ignore[index]
    assert not cfg.exists()

    first = wizard(*args, "--yes", stdin=PASSWORD)
    assert first.returncode == 0, first.stderr
    doc = report(first)
    assert (doc["status"], doc["changed"]) == ("applied", True)
    assert doc["actions"] == dry_actions  # what was applied is what the dry run showed
    assert f"jupyter-setup-wizard rollback {doc['apply_id']}" not in first.stdout  # JSON only
    assert f"{doc['apply_id']}" in wizard("history").stdout
    assert "▶ write" in first.stderr  # the apply's own lines, off stdout
    assert cfg.is_file()

    again = wizard(*args, "--yes", stdin=PASSWORD)
    assert again.returncode == 0, again.stderr
    doc = report(again)
    assert (doc["status"], doc["changed"], doc["apply_id"], doc["actions"]) == (
        "unchanged",
        False,
        None,
        [],
    )
    assert doc["instructions"]["browser_url"]  # type: ignore[index]


def test_bad_input_is_an_object_too(tmp_path: Path, jlab: str) -> None:
    r = wizard("apply", str(answers(tmp_path, jlab, "x")), "--json", "--yes")
    assert r.returncode == 2
    doc = report(r)
    assert (doc["status"], doc["changed"], doc["instructions"]) == ("invalid", False, None)
    assert doc["errors"] == [{"field": "network.port", "message": "must be an integer, not 'x'"}]
    assert "error: network.port: must be an integer, not 'x'" in r.stderr.splitlines()
    assert not (tmp_path / "cfg").exists()


def test_json_never_asks(tmp_path: Path, jlab: str) -> None:
    r = wizard("apply", str(answers(tmp_path, jlab, free_port())), "--json")
    assert r.returncode == 2
    assert report(r)["errors"][0]["field"] == "--json"  # type: ignore[index]
    assert not (tmp_path / "cfg").exists()
