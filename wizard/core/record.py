"""The answers behind the machine's current setup, saved after each successful apply.

Status, doctor and the wizard's prefill read them, so "reconfigure one thing" starts from what
is there. Stored 0600 under the state dir; they hold no plaintext (at most a password hash).
"""

from __future__ import annotations

from pathlib import Path

from wizard.core.answers import Answers, load_answers, save_answers
from wizard.core.errors import InputError
from wizard.core.paths import state_dir


def current_answers_path() -> Path:
    return state_dir() / "current-answers.toml"


def load_current() -> Answers | None:
    path = current_answers_path()
    if not path.exists():
        return None
    try:
        return load_answers(path)
    except InputError:
        return None  # an old or hand-broken file must not stop status or the wizard


def save_current(answers: Answers) -> None:
    path = current_answers_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The hash stays in Jupyter's config; keeping a second copy here would only go stale.
    save_answers(answers.replace("password", hashed_password=""), path)
