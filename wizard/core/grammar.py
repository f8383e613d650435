"""The grammar of every answers field, checked before anything reads the machine with it.

Values reach a systemd unit, an nginx site, an htpasswd file, a shell command printed for the
person's laptop and the paths root writes to. So each field is checked by what it really is (an
absolute normalised path, a user name, a host name or address, a unit name) and no field may
hold a control character at all: a newline would add a line, a NUL would end a path early.
The renderers refuse such values too (defence in depth); this is where a person hears why.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from urllib.parse import urlsplit

from wizard.core.answers import Answers
from wizard.core.errors import Problem

PATH_MAX = 4096
NAME_MAX = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A POSIX user name as useradd accepts it (Debian's NAME_REGEX, relaxed for upper case and dots).
_USER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")
# An RFC 1123 host name: labels of letters, digits and inner hyphens, dot separated.
_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# systemd unit name stem: letters, digits and ":-_.\\@" (systemd.unit(5)); we keep to the
# safe subset (no "\\", no ":") so it is also a plain file name everywhere.
_UNIT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,100}")

# field -> its kind; fields not listed are free text (still: no control characters)
PATHS = (
    "jupyter.python",
    "jupyter.config_dir",
    "install.venv_path",
    "install.base_python",
    "network.root_dir",
    "access.certfile",
    "access.keyfile",
    "access.htpasswd_file",
    "access.nginx_site",
    "access.nginx_conf",
)
USERS = ("service.user", "access.ssh_user")  # basic auth users are nginx's: any text but ":"
HOSTS = ("access.ssh_host", "access.server_name")


def control_problem(field: str, value: str) -> Problem | None:
    m = _CONTROL.search(value)
    if m is None:
        return None
    return Problem(field, f"must not contain control characters (found {m.group()!r})")


def path_problem(field: str, value: str) -> Problem | None:
    """An absolute, normalised path of sane length (never `..`, `//` or a trailing slash)."""
    if len(value) > PATH_MAX:
        return Problem(field, f"is {len(value)} characters long; a path has at most {PATH_MAX}")
    if not value.startswith("/"):
        return Problem(field, f"{value!r} must be an absolute path (starting with /)")
    if os.path.normpath(value) != value or value.startswith("//"):
        return Problem(
            field, f"{value!r} is not a normalised path; write {os.path.normpath(value)!r}"
        )
    long = next((part for part in value.split("/") if len(part.encode()) > NAME_MAX), None)
    if long is not None:
        return Problem(field, f"a path component is longer than {NAME_MAX} bytes")
    return None


def user_problem(field: str, value: str) -> Problem | None:
    if _USER_RE.fullmatch(value):
        return None
    return Problem(
        field,
        f"{value!r} is not a user name (letters, digits, '.', '_', '-'; not starting with '-')",
    )


def host_problem(field: str, value: str) -> Problem | None:
    """A DNS name or an IP address (never an option like '-oProxyCommand=...')."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    if len(value) <= 253 and all(_LABEL_RE.fullmatch(label) for label in labels):
        return None
    return Problem(field, f"{value!r} is not a host name or an IP address")


def unit_name_problem(field: str, value: str) -> Problem | None:
    if _UNIT_RE.fullmatch(value) and not value.endswith(".service"):
        return None
    return Problem(
        field, f"{value!r} is not a usable unit name (letters, digits, . _ - @; no .service)"
    )


def url_problem(field: str, value: str) -> Problem | None:
    """A package index URL: http(s) or file, no white space, no password in it (answers files
    and the journal are no place for one: pip.conf, ~/.netrc or a keyring are)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "file") or any(c.isspace() for c in value):
        return Problem(field, f"{value!r} is not an http(s):// or file:// URL")
    if parts.scheme != "file" and not parts.hostname:
        return Problem(field, f"{value!r} names no host")
    if parts.password is not None:
        return Problem(
            field,
            "a password does not belong in the answers: keep it in pip.conf or ~/.netrc "
            "and leave the URL without it",
        )
    return None


def problems(answers: Answers) -> list[Problem]:
    """Every grammar problem in the answers, each tied to its field."""
    out: list[Problem] = []
    for section in dataclasses.fields(answers):
        values = getattr(answers, section.name)
        for f in dataclasses.fields(values):
            value = getattr(values, f.name)
            if not isinstance(value, str) or not value:
                continue
            field = f"{section.name}.{f.name}"
            problem = control_problem(field, value)
            if problem is None and field in PATHS:
                problem = path_problem(field, value)
            elif problem is None and field in USERS:
                problem = user_problem(field, value)
            elif problem is None and field in HOSTS:
                problem = host_problem(field, value)
            elif problem is None and field == "install.index_url":
                problem = url_problem(field, value)
            elif problem is None and field == "service.name":
                problem = unit_name_problem(field, value)
            if problem is not None:
                out.append(problem)
    return out
