"""The password step against a real JupyterLab: the typed password logs in, nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_wizard as wizard
from tests.support.jupyter import login, run_jupyter
from tests.support.ports import free_port

pytestmark = pytest.mark.system


def write_answers(path: Path, python: str, config_dir: Path, port: int, root: Path) -> Path:
    path.write_text(
        f'[jupyter]\npython = "{python}"\nconfig_dir = "{config_dir}"\n'
        f'[network]\nport = {port}\nroot_dir = "{root}"\n'
    )
    return path


def test_apply_then_login_with_the_password(jlab: str, tmp_path: Path) -> None:
    cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
    root.mkdir()
    answers = write_answers(tmp_path / "a.toml", jlab, cfg, port, root)
    r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin="correct horse battery\n")
    assert r.returncode == 0, r.stderr
    with run_jupyter(jlab, cfg, tmp_path / "srv") as server:
        assert server.port == port
        status, session = login(server.url, "correct horse battery")
        assert status == 302
        assert session.get(f"{server.url}/api/contents", timeout=10).status_code == 200
        bad, _ = login(server.url, "wrong password")
        assert bad == 401


def test_legacy_server_app_password_is_migrated(jlab: str, tmp_path: Path) -> None:
    """A legacy ServerApp.password beats the modern key: after apply only the new password works."""
    from wizard.core.passwords import hash_password

    cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
    cfg.mkdir()
    root.mkdir()
    (cfg / "jupyter_server_config.py").write_text(
        f"c = get_config()\nc.ServerApp.password = {hash_password('old secret pw')!r}\n"
    )
    answers = write_answers(tmp_path / "a.toml", jlab, cfg, port, root)
    r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin="brand new pw 42\n")
    assert r.returncode == 0, r.stderr
    assert "ServerApp.password disabled" in r.stdout
    with run_jupyter(jlab, cfg, tmp_path / "srv") as server:
        assert login(server.url, "brand new pw 42")[0] == 302
        assert login(server.url, "old secret pw")[0] == 401
