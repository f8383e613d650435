"""Shared fixtures: every test gets its own state/config dirs; a real JupyterLab venv on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.jupyter import jlab_python


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own ~/.jupyter, state and logs out of every test."""
    for var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.lower()))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    for var in ("SSH_CONNECTION", "SUDO_USER", "JUPYTER_TOKEN", "JUPYTER_PREFER_ENV_PATH"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def jlab() -> str:
    """Interpreter of a real venv with JupyterLab (built once per machine, then cached)."""
    return jlab_python()
