"""Passwords typed for one apply: held in memory, never written anywhere."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from wizard.core.errors import InputError
from wizard.core.i18n import _


@dataclass
class Secrets:
    """What must never be written down: held in memory for one apply only."""

    password: str | None = None
    proxy_password: str | None = None  # reverse-proxy basic auth (bcrypt htpasswd), never stored

    @classmethod
    def from_stdin(cls, *, password: bool, proxy_password: bool = False) -> Secrets:
        """The asked-for passwords from standard input, one per line, Jupyter's first.

        Never from argv (visible in `ps`) or the environment; an asked-for empty one is an error.
        """
        if not (password or proxy_password):
            return cls()
        lines = sys.stdin.read().splitlines()
        want = [
            name for name, on in (("password", password), ("proxy password", proxy_password)) if on
        ]
        got = dict(zip(want, lines, strict=False))
        for n, name in enumerate(want, 1):
            if not got.get(name):
                raise InputError(
                    _("{name}: expected a non-empty line {n} on standard input").format(
                        name=name, n=n
                    )
                )
        return cls(got.get("password"), got.get("proxy password"))

    def __repr__(self) -> str:  # never print the plaintext, even by accident
        return (
            f"Secrets(password={'<set>' if self.password else None}, "
            f"proxy_password={'<set>' if self.proxy_password else None})"
        )
