"""Network step: which address and port Jupyter listens on, its root dir and base URL."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from wizard.core.answers import NetworkAnswers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.probe.facts import Facts
from wizard.probe.person import person

LOOPBACK = "127.0.0.1"
# Friendly names for the wildcard bindings; "all" is what Jupyter calls ip='*' (written as "").
WILDCARDS = {
    "0.0.0.0": N_("all IPv4 addresses"),
    "::": N_("all IPv6 addresses"),
    "all": N_("all IPv4 and IPv6 addresses"),
}
_BASE_URL_RE = re.compile(r"/(?:[A-Za-z0-9._~-]+/)*")  # fullmatch: no "$" before a newline


def is_loopback(ip: str) -> bool:
    if ip in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def jupyter_ip(ip: str) -> str:
    """The value for ServerApp.ip: "all" is Jupyter's "" (never the legacy '*')."""
    return "" if ip == "all" else ip


def binding_covers(ip: str, address: str) -> bool:
    """Would a server bound to `ip` accept connections for `address`?"""
    fam = ipaddress.ip_address(address).version
    if ip == "all":
        return True
    if ip == "0.0.0.0":
        return fam == 4
    if ip == "::":
        return fam == 6
    return ip == address


def validate_ip(ip: str, facts: Facts) -> list[Problem]:
    if ip in WILDCARDS or ip == "localhost":
        return []
    if ip == "*":
        return [
            Problem(
                "network.ip",
                _('\'*\' is the legacy spelling; use "all" (IPv4 and IPv6) or "0.0.0.0"'),
            )
        ]
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return [Problem("network.ip", _("{ip!r} is not an IP address").format(ip=ip))]
    if addr.is_loopback or facts.has_address(str(addr)):
        return []
    have = ", ".join(sorted({a.address for a in facts.addresses})) or "none"
    return [
        Problem(
            "network.ip",
            _("{ip} is not an address of this machine (it has: {have})").format(ip=ip, have=have),
        )
    ]


def validate_port(port: int, facts: Facts, *, runs_as_root: bool) -> list[Problem]:
    if not 1 <= port <= 65535:
        return [Problem("network.port", _("{port} is not a port (1-65535)").format(port=port))]
    if port < 1024 and not runs_as_root:
        return [
            Problem(
                "network.port",
                _(
                    "port {port} is below 1024, which only root may bind; use 8888 or another above 1023"
                ).format(port=port),
            )
        ]
    for lst in facts.listeners_on(port):
        if not is_jupyter_process(lst.process):
            return [
                Problem(
                    "network.port",
                    _("port {port} is in use by {describe}").format(
                        port=port, describe=lst.describe()
                    ),
                )
            ]
    return []


def is_jupyter_process(name: str | None) -> bool:
    return bool(name) and name.startswith("jupyter")  # type: ignore[union-attr]


def validate_root_dir(root_dir: str) -> list[Problem]:
    p = Path(root_dir)
    if not p.is_absolute():
        return [
            Problem(
                "network.root_dir",
                _("{root_dir!r} must be an absolute path").format(root_dir=root_dir),
            )
        ]
    if not p.is_dir():
        return [
            Problem(
                "network.root_dir",
                _(
                    "{root_dir} is not an existing directory (create it: mkdir -p {root_dir})"
                ).format(root_dir=root_dir),
            )
        ]
    return []


def validate_base_url(base_url: str) -> list[Problem]:
    if _BASE_URL_RE.fullmatch(base_url) and "/../" not in base_url and "/./" not in base_url:
        return []
    return [
        Problem(
            "network.base_url",
            _("{base_url!r} must look like / or /jupyter/ (slashes at both ends)").format(
                base_url=base_url
            ),
        )
    ]


def validate(net: NetworkAnswers, facts: Facts) -> list[Problem]:
    return [
        *validate_ip(net.ip, facts),
        *validate_port(net.port, facts, runs_as_root=facts.euid == 0),
        *validate_root_dir(net.root_dir or default_root_dir()),
        *validate_base_url(net.base_url),
    ]


def default_root_dir() -> str:
    """The person's home (under sudo: the sudo user's, not root's)."""
    return person().home


def settings(net: NetworkAnswers) -> dict[tuple[str, str], Any]:
    """The ServerApp traits this step owns."""
    return {
        ("ServerApp", "ip"): jupyter_ip(net.ip),
        ("ServerApp", "port"): net.port,
        # A busy port is an error, not a silent move to port+1 (the URL would point elsewhere).
        ("ServerApp", "port_retries"): 0,
        ("ServerApp", "open_browser"): False,
        # Loopback-only: Jupyter's own default (rejects non-local Host headers). Beyond: must allow.
        ("ServerApp", "allow_remote_access"): not is_loopback(net.ip),
        ("ServerApp", "root_dir"): net.root_dir or default_root_dir(),
        ("ServerApp", "base_url"): net.base_url,
    }
