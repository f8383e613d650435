from __future__ import annotations

import pytest

from wizard.core.passwords import (
    hash_password,
    htpasswd_line,
    is_jupyter_hash,
    strength_hint,
    verify_password,
)


def test_hash_is_jupyters_argon2_format_and_verifies() -> None:
    h = hash_password("s3cret pass")
    assert h.startswith("argon2:$argon2id$v=19$m=10240,t=10,p=8$")
    assert verify_password(h, "s3cret pass")
    assert not verify_password(h, "s3cret pasS")


def test_legacy_sha1_hashes_verify_like_jupyter() -> None:
    import hashlib

    salt = "abcdef012345"
    h = "sha1:" + salt + ":" + hashlib.sha1(b"pw" + salt.encode()).hexdigest()
    assert verify_password(h, "pw")
    assert not verify_password(h, "px")


@pytest.mark.parametrize("bad", ["argon2:garbage", "$2b$12$abc", "bcrypt:xyz", "nocolon", ""])
def test_bad_hashes_never_verify_and_never_raise(bad: str) -> None:
    assert not verify_password(bad, "pw")
    assert not is_jupyter_hash(bad)


def test_strength_hint() -> None:
    assert strength_hint("abc") is not None
    assert strength_hint("abcdefgh") is not None
    assert strength_hint("correct horse battery staple") is None


def test_htpasswd_line_is_bcrypt() -> None:
    import bcrypt

    line = htpasswd_line("alice", "pw")
    user, hashed = line.split(":", 1)
    assert user == "alice" and hashed.startswith("$2b$")
    assert bcrypt.checkpw(b"pw", hashed.encode())
    with pytest.raises(ValueError):
        htpasswd_line("a:b", "pw")
