"""Where the wizard keeps its own state: journals with backups, logs."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "jupyter-setup-wizard"


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


def journal_root() -> Path:
    return state_dir() / "applies"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))
