"""Network: the address and port Jupyter listens on, its root directory and base URL.

The one place the front-ends read wizard.plan.steps.network's validators.
"""

from __future__ import annotations

import contextlib

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.forms.fields import FieldSpec
from wizard.plan.steps import network
from wizard.probe.facts import Facts

TITLE = "Network: where JupyterLab listens"

IP = FieldSpec("ip", "Listen address")
PORT = FieldSpec(
    "port", "Port", help="1-65535 (below 1024 only as root); a busy port is an error, not a move"
)
ROOT_DIR = FieldSpec(
    "root_dir", "Root directory (notebooks)", question="Root directory", empty="your home"
)
BASE_URL = FieldSpec("base_url", "Base URL", help="/ or /jupyter/ behind a proxy")
FIELDS = (IP, PORT, ROOT_DIR, BASE_URL)
NAMES = tuple(f.name for f in FIELDS)


def default_root_dir() -> str:
    return network.default_root_dir()


def root_dir_help() -> str:
    return f"empty = the home directory ({default_root_dir()})"


def ip_hint(facts: Facts | None) -> str:
    base = "127.0.0.1 = this machine only (safest); 0.0.0.0 / :: / all = every address"
    if facts is None:
        return base
    mine = sorted({a.address for a in facts.addresses if not a.ip.is_loopback})
    return base + (f"; this machine has: {', '.join(mine)}" if mine else "")


def ip_warning(ip: str) -> str | None:
    if ip and not network.is_loopback(ip.strip()):
        return "beyond loopback: anyone who can reach this machine can try to log in"
    return None


def values(answers: Answers) -> dict[str, str]:
    net = answers.network
    return {"ip": net.ip, "port": str(net.port), "root_dir": net.root_dir, "base_url": net.base_url}


def problems(name: str, value: str, facts: Facts | None) -> list[Problem]:
    """The core's verdict on one network field, as typed."""
    if name == "ip":
        return network.validate_ip(value.strip(), facts) if facts else []
    if name == "port":
        try:
            port = int(value.strip())
        except ValueError:
            return [Problem("network.port", f"{value.strip()!r} is not a number")]
        if facts is None:
            return network.validate_port(port, Facts(None, ""), runs_as_root=True)
        return network.validate_port(port, facts, runs_as_root=facts.euid == 0)
    if name == "root_dir":
        return network.validate_root_dir(value.strip() or network.default_root_dir())
    if name == "base_url":
        return network.validate_base_url(value.strip())
    return []


def collect(answers: Answers, typed: dict[str, str]) -> Answers:
    """The answers from what the fields hold; a port that is not a number keeps the last valid
    one (its problem is reported by `problems`)."""
    values = {n: typed[n].strip() for n in NAMES}
    changes: dict[str, object] = {n: values[n] for n in ("ip", "root_dir", "base_url")}
    with contextlib.suppress(ValueError):
        changes["port"] = int(values["port"])
    return answers.replace("network", **changes)
