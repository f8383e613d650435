"""Password step: Jupyter's argon2 hash in PasswordIdentityProvider.hashed_password, legacy keys found."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from wizard.core.errors import Problem
from wizard.core.passwords import hash_password, is_jupyter_hash, verify_password
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import OURS, ConfigFile, Setting

MODERN_KEY = ("PasswordIdentityProvider", "hashed_password")
# Every place a password hash can hide, in the order Jupyter lets them win:
# the legacy keys beat the modern ones, and PasswordIdentityProvider beats IdentityProvider.
PASSWORD_KEYS = (
    ("ServerApp", "password"),
    ("NotebookApp", "password"),
    MODERN_KEY,
    ("IdentityProvider", "hashed_password"),
)


def validate_hash(hashed: str) -> list[Problem]:
    if not hashed or is_jupyter_hash(hashed):
        return []
    if hashed.startswith(("$2", "bcrypt")):
        return [
            Problem(
                "password.hashed_password",
                "a bcrypt hash: Jupyter does not accept bcrypt; use an argon2: hash",
            )
        ]
    return [
        Problem(
            "password.hashed_password",
            "not a Jupyter password hash (expected argon2:$argon2id$...)",
        )
    ]


def effective_files(facts: Facts) -> list[ConfigFile]:
    """Files Jupyter Server reads, highest priority first (.json beats .py in one dir)."""
    order: list[ConfigFile] = []
    for d in facts.config_dirs:
        in_dir = [
            cf
            for cf in facts.config_files
            if cf.path.parent == Path(d) and not cf.is_notebook_config
        ]
        order += sorted(in_dir, key=lambda cf: (not cf.is_json, cf.path.name))
    return order


def current_password(facts: Facts) -> Setting | None:
    """The password hash Jupyter would use now, by its precedence rules (None: no password)."""
    files = effective_files(facts)
    for key in PASSWORD_KEYS:
        for cf in files:
            s = cf.get(*key)
            if s is not None and s.literal and isinstance(s.value, str) and s.value:
                return s
    return None


# One hash per new password for the life of the process: each plan again (the TUI plans at
# every visit of Review) then previews the same bytes, and a config check of those bytes
# done before is still valid. Keyed by a keyed digest, so the plaintext is not kept here.
_HASHED: dict[bytes, str] = {}
_KEY = secrets.token_bytes(32)


def _hash_once(plaintext: str) -> str:
    key = hmac.new(_KEY, plaintext.encode(), hashlib.sha256).digest()
    if key not in _HASHED:
        _HASHED.clear()  # only the latest password's hash is kept
        _HASHED[key] = hash_password(plaintext)
    return _HASHED[key]


def resolve_hash(facts: Facts, hashed: str, plaintext: str | None) -> str | None:
    """The hash to write: a new password (reusing the current hash when it already matches, so a
    second apply changes nothing), an explicit hash from the answers, or the current one kept."""
    current = current_password(facts)
    current_hash = current.value if current else None
    if plaintext is not None:
        if (
            current_hash
            and verify_password(current_hash, plaintext)
            and current_hash.startswith("argon2:")
        ):
            return str(current_hash)
        return _hash_once(plaintext)
    if hashed:
        return hashed
    return str(current_hash) if current_hash else None


def our_file(facts: Facts) -> Path:
    return Path(facts.config_dir) / OURS
