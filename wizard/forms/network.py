"""Network: the address and port Jupyter listens on, its root directory and base URL.

The one place the front-ends read wizard.plan.steps.network's validators.
"""

from __future__ import annotations

import contextlib

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms.fields import FieldSpec
from wizard.plan.steps import network
from wizard.probe.facts import Facts

TITLE = N_("Network: where JupyterLab listens")

IP = FieldSpec("ip", N_("Listen address"))
PORT = FieldSpec(
    "port",
    N_("Port"),
    help=N_("1-65535 (below 1024 only as root); a busy port is an error, not a move"),
)
ROOT_DIR = FieldSpec(
    "root_dir",
    N_("Root directory (notebooks)"),
    question=N_("Root directory"),
    empty=N_("your home"),
)
BASE_URL = FieldSpec("base_url", N_("Base URL"), help=N_("/ or /jupyter/ behind a proxy"))
FIELDS = (IP, PORT, ROOT_DIR, BASE_URL)
NAMES = tuple(f.name for f in FIELDS)


def default_root_dir() -> str:
    return network.default_root_dir()


def root_dir_help() -> str:
    return _("empty = the home directory ({path})").format(path=default_root_dir())


def ip_hint(facts: Facts | None) -> str:
    base = _("127.0.0.1 = this machine only (safest); 0.0.0.0 / :: / all = every address")
    if facts is None:
        return base
    mine = sorted({a.address for a in facts.addresses if not a.ip.is_loopback})
    return base + (
        _("; this machine has: {addresses}").format(addresses=", ".join(mine)) if mine else ""
    )


def ip_warning(ip: str) -> str | None:
    if ip and not network.is_loopback(ip.strip()):
        return _("beyond loopback: anyone who can reach this machine can try to log in")
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
            return [
                Problem(
                    "network.port", _("{text} is not a number").format(text=repr(value.strip()))
                )
            ]
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
