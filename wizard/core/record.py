"""The answers behind the machine's current setup, saved after each successful apply.

Status, doctor and the wizard's prefill read them, so "reconfigure one thing" starts from what
is there. Stored 0600 under the state dir; they hold no plaintext (at most a password hash).
"""

from __future__ import annotations

import os
from pathlib import Path

from wizard.core.answers import Answers, load_answers, save_answers
from wizard.core.errors import InputError
from wizard.core.paths import (
    SYSTEM_STATE_DIR,
    UnsafeStateDir,
    checked,
    private_dir,
    state_dir,
    state_dir_mode,
)

RECORD = "current-answers.toml"


def current_answers_path() -> Path:
    return state_dir() / RECORD


def record_paths() -> list[Path]:
    """Where the setup of record may be, first match wins: this user's own, else (not root)
    the one root made with sudo for them."""
    paths = [current_answers_path()]
    if os.geteuid() != 0:
        paths.append(SYSTEM_STATE_DIR / RECORD)
    return paths


def load_current() -> Answers | None:
    """The setup of record (see record_paths); None when there is none."""
    for path in record_paths():
        if not path.exists():
            continue
        try:
            return load_answers(checked(path))
        except (InputError, UnsafeStateDir):
            continue  # an old, hand-broken or planted file must not stop status or the wizard
    return None


def save_current(answers: Answers) -> None:
    path = current_answers_path()
    private_dir(path.parent, state_dir_mode())
    # The hash stays in Jupyter's config; keeping a second copy here would only go stale. So
    # the record holds no secret, and root's may be read by the user it was made for.
    record = answers.replace("password", hashed_password="")
    save_answers(record, path, mode=record_mode())


def record_mode() -> int:
    """Root's record may be read by the user it was made for; it holds no secret."""
    return 0o644 if os.geteuid() == 0 else 0o600
