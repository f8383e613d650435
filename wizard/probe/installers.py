"""The package installers on this machine: uv (found on PATH, or beside the wizard's own
interpreter, where the `jupyter-setup-wizard[fast]` extra puts it), and what pip is configured
to use (`pip config list`: its files and the PIP_* environment), so that uv is given the same
index, never silently another one."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from wizard.core.fileops import UnsafePath
from wizard.core.run_as import as_its_owner


def find_uv() -> str | None:
    """uv's executable: on PATH first (the person's own), else in the wizard's scripts dir."""
    found = shutil.which("uv")
    if found:
        return str(Path(found).absolute())
    for scripts in dict.fromkeys([sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]):
        candidate = Path(scripts) / "uv"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@dataclass(frozen=True)
class PipConfig:
    """The settings pip would install with that decide where packages come from."""

    index_url: str = ""  # "" = pip's default index
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    trusted_hosts: tuple[str, ...] = ()
    cert: str = ""
    constraints: tuple[str, ...] = ()
    proxy: str = ""
    timeout: str = ""  # seconds, as configured ("" = pip's default, 15)
    retries: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # setting -> where it came from

    @property
    def indexes(self) -> list[str]:
        return [*([self.index_url] if self.index_url else []), *self.extra_index_urls]


# pip's own order: a command's section ([install]) beats [global]; the environment beats both.
_SECTION_RANK = {"global": 0, "install": 1, ":env:": 2}
_LISTS = {"extra-index-url", "find-links", "trusted-host", "constraint"}
_KEYS = {
    "index-url",
    "no-index",
    "cert",
    "proxy",
    "timeout",
    "default-timeout",
    "retries",
    *_LISTS,
}


def parse_pip_config(listing: str) -> PipConfig:
    """PipConfig from the lines of `pip config list` (`section.key='value'`); pure."""
    best: dict[str, tuple[int, str, str]] = {}
    for line in listing.splitlines():
        name, sep, raw = line.partition("=")
        section, dot, key = name.strip().rpartition(".")
        if not sep or not dot or section not in _SECTION_RANK:
            continue
        key = key.replace("_", "-")
        key = "timeout" if key == "default-timeout" else key
        if key not in _KEYS:
            continue
        try:  # pip prints each value as a Python literal (repr)
            value = str(ast.literal_eval(raw.strip()))
        except (ValueError, SyntaxError):
            value = raw.strip()
        rank = _SECTION_RANK[section]
        if key not in best or rank >= best[key][0]:
            best[key] = (rank, value, "PIP_* environment" if section == ":env:" else "pip.conf")

    def one(key: str) -> str:
        return best[key][1] if key in best else ""

    def many(key: str) -> tuple[str, ...]:
        return tuple(one(key).split())

    return PipConfig(
        index_url=one("index-url"),
        extra_index_urls=many("extra-index-url"),
        find_links=many("find-links"),
        no_index=one("no-index").lower() in ("1", "true", "yes", "on"),
        trusted_hosts=many("trusted-host"),
        cert=one("cert"),
        constraints=many("constraint"),
        proxy=one("proxy"),
        timeout=one("timeout"),
        retries=one("retries"),
        sources={k: v[2] for k, v in best.items()},
    )


def read_pip_config(python: str, env: dict[str, str] | None = None) -> PipConfig:
    """What pip, run by that interpreter, is configured with (its files and PIP_* variables).

    An interpreter without pip is asked through the wizard's own pip: the same files apply."""
    for interp in dict.fromkeys([python, sys.executable]):
        try:
            out = subprocess.run(
                [interp, "-m", "pip", "config", "list"],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
                **as_its_owner(interp, env),  # as root: never another user's pip as root
            )
        except (OSError, subprocess.TimeoutExpired, UnsafePath):
            continue
        if out.returncode == 0:
            return parse_pip_config(out.stdout)
    return PipConfig()
