"""Password hashes: Jupyter's own (argon2) and an htpasswd line (bcrypt) for a proxy in front."""

from __future__ import annotations

import hashlib
import hmac
import re

import argon2
import bcrypt

from wizard.core.grammar import CONTROL
from wizard.core.i18n import _

# The parameters of jupyter_server.auth.passwd(), so our hashes look exactly like Jupyter's.
_HASHER = argon2.PasswordHasher(memory_cost=10240, time_cost=10, parallelism=8)

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Hash in Jupyter's format: ``argon2:$argon2id$v=19$m=10240,t=10,p=8$...``."""
    if not password:
        raise ValueError("empty password")
    return "argon2:" + _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Check a password against any hash Jupyter accepts; False for hashes it does not."""
    alg, sep, rest = hashed.partition(":")
    if not sep:
        return False
    if alg == "argon2":
        try:
            return bool(argon2.PasswordHasher().verify(rest, password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
    salt, sep, digest = rest.partition(":")
    if not sep or alg not in hashlib.algorithms_available:
        return False
    h = hashlib.new(alg)
    h.update(password.encode() + salt.encode())
    return hmac.compare_digest(h.hexdigest(), digest)


def is_jupyter_hash(hashed: str) -> bool:
    """True when Jupyter would accept this string as a password hash."""
    alg, sep, rest = hashed.partition(":")
    if not sep or not rest:
        return False
    if alg == "argon2":
        try:  # argon2's own parser: the variant, version, parameters, salt and hash
            argon2.extract_parameters(rest)
        except (argon2.exceptions.InvalidHashError, ValueError):
            return False
        return True
    salt, sep, digest = rest.partition(":")
    return (
        bool(sep)
        and alg in hashlib.algorithms_available
        and bool(salt)
        and re.fullmatch(r"[0-9a-f]+", digest) is not None
    )


def strength_hint(password: str) -> str | None:
    """A short hint about a weak password, or None when it looks reasonable."""
    if len(password) < MIN_LENGTH:
        return _("shorter than {n} characters").format(n=MIN_LENGTH)
    kinds = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if len(password) < 12 and kinds < 3:
        return _("short and uses few kinds of characters; a longer passphrase is stronger")
    return None


def htpasswd_line(user: str, password: str) -> str:
    """One line of an htpasswd file for nginx basic auth (bcrypt, which nginx accepts via crypt)."""
    if not user or ":" in user or CONTROL.search(user + password):
        # a newline would add a second user with this password
        raise ValueError(_("user must be non-empty, without ':' or control characters"))
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()
    return f"{user}:{hashed}"
