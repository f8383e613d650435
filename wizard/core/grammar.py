"""The grammar of every answers field, checked before anything reads the machine with it.

Values reach a systemd unit, an nginx site, an htpasswd file, a shell command printed for the
person's laptop and the paths root writes to. So each field is checked by what it really is (an
absolute normalised path, a user name, a host name or address, a unit name) and no field may
hold a control character at all: a newline would add a line, a NUL would end a path early.
The renderers refuse such values too (defence in depth); this is where a person hears why.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from wizard.core.answers import Answers
from wizard.core.errors import Problem

PATH_MAX = 4096
NAME_MAX = 255
# Control characters, C1 ones and Unicode's line and paragraph separators included: each is a
# line break to some reader (Python's splitlines, terminals), so none may reach a file or a line.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A POSIX user name as useradd accepts it (Debian's NAME_REGEX, relaxed for upper case and dots).
_USER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")
# An RFC 1123 host name: labels of letters, digits and inner hyphens, dot separated.
_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# systemd unit name stem: letters, digits and ":-_.\\@" (systemd.unit(5)); we keep to the
# safe subset (no "\\", no ":") so it is also a plain file name everywhere.
_UNIT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,100}")
# A kernelspec name as jupyter_client accepts it (a directory name: letters, digits, . _ -).
_KERNEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")

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
    "access.acme_config_dir",
)
USERS = ("service.user", "access.ssh_user")  # basic auth users are nginx's: any text but ":"
HOSTS = ("access.ssh_host", "access.server_name")


def control_problem(field: str, value: str) -> Problem | None:
    m = CONTROL.search(value)
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


# An e-mail address as an ACME CA takes it: one @, a host name after it, nothing a shell or a
# config line would read as more than one word.
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9.!#%&*+/=?^_`{|}~-]{1,64}")
# An http(s) URL: scheme, host (name, IPv4 or [IPv6]), optional port, then a path of URL-safe
# characters (no space, quote, backslash or anything a shell would expand).
_URL_RE = re.compile(
    r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(/[A-Za-z0-9._~%/:@+=,-]*)?"
)


def email_problem(field: str, value: str) -> Problem | None:
    local, at, host = value.partition("@")
    if at and _EMAIL_LOCAL_RE.fullmatch(local) and "." in host and not host_problem(field, host):
        return None
    return Problem(field, f"{value!r} is not an e-mail address (name@example.org)")


def http_url_problem(field: str, value: str) -> Problem | None:
    """An ACME directory: http(s) and a host name or address."""
    m = _URL_RE.fullmatch(value)
    if m and not (m.group(1)[0] != "[" and host_problem(field, m.group(1))):
        return None
    return Problem(field, f"{value!r} is not an http(s) URL (https://host/path)")


def dns_name_problem(field: str, value: str) -> Problem | None:
    """A DNS name a CA certifies over HTTP-01: labels with at least one dot; no address, no
    wildcard (that takes a DNS challenge)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if "." in value.strip(".") and host_problem(field, value) is None:
            return None
    return Problem(
        field, f"{value!r} is not a DNS name a certificate can be issued for over HTTP (no *.)"
    )


def unit_name_problem(field: str, value: str) -> Problem | None:
    if _UNIT_RE.fullmatch(value) and not value.endswith(".service"):
        return None
    return Problem(
        field, f"{value!r} is not a usable unit name (letters, digits, . _ - @; no .service)"
    )


def kernel_name_problem(field: str, value: str) -> Problem | None:
    if _KERNEL_RE.fullmatch(value):
        return None
    return Problem(field, f"{value!r} is not a kernel name (letters, digits, . _ -)")


def environment_problem(field: str, value: str) -> Problem | None:
    """An environment offered as a kernel: its interpreter's absolute path."""
    if not value:
        return Problem(field, "an empty path is not an environment")
    # In a kernelspec jupyter_client fills in {names} in argv and $NAMES in env values, and
    # the environment's bin/ goes onto PATH, which splits at ':'.
    special = sorted(set(value) & set("{}$:"))
    if special:
        return Problem(
            field,
            f"{value!r}: {' '.join(special)} cannot be in a kernel's interpreter path "
            "(a kernelspec reads {…} and $… as placeholders, PATH splits at :); "
            "use a path without them (e.g. a link to it)",
        )
    return path_problem(field, value)


def url_problem(field: str, value: str) -> Problem | None:
    """A package index URL: http(s) or file, no white space, no credentials in it (answers files
    and the journal are no place for one: pip.conf, ~/.netrc or a keyring are)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "file") or any(c.isspace() for c in value):
        return Problem(field, f"{value!r} is not an http(s):// or file:// URL")
    if parts.scheme != "file" and not parts.hostname:
        return Problem(field, f"{value!r} names no host")
    if parts.username is not None:  # a token is often the user part alone
        return Problem(
            field,
            "credentials do not belong in the answers: keep them in pip.conf or ~/.netrc "
            "and leave the URL without a user or password",
        )
    return None


def problems(answers: Answers) -> list[Problem]:
    """Every grammar problem in the answers, each tied to its field."""
    out: list[Problem] = []
    for field, value in answers.fields():
        if isinstance(value, list):
            out += [p for v in value if (p := _list_item_problem(field, v)) is not None]
            continue
        if not isinstance(value, str) or not value:
            continue
        problem = control_problem(field, value)
        if problem is None and field in PATHS:
            problem = path_problem(field, value)
        elif problem is None and field in USERS:
            problem = user_problem(field, value)
        elif problem is None and field in HOSTS:
            problem = host_problem(field, value)
        elif problem is None and field in CHECKS:
            problem = CHECKS[field](field, value)
        if problem is not None:
            out.append(problem)
    return out


def _list_item_problem(field: str, value: str) -> Problem | None:
    return control_problem(field, value) or LIST_ITEMS[field](field, value)


CHECKS = {
    "service.name": unit_name_problem,
    "install.index_url": url_problem,
    "access.acme_email": email_problem,
    "access.acme_server": http_url_problem,
}


LIST_ITEMS = {  # each item of a list field
    "access.acme_domains": dns_name_problem,
    "kernels.environments": environment_problem,
    "kernels.remove": kernel_name_problem,
}
