"""The core's messages in zh_CN: what an apply prints after it (every access method's
instructions), a service's state, an installer's failure, the config check's verdicts. The
snapshots cannot reach most of these (a router, nginx, a failing pip), so they are built here
and held to the same word check as the screens."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.zh_words import english_words
from wizard.core import i18n
from wizard.core.answers import Answers
from wizard.plan import access
from wizard.plan.service.base import ServiceState, describe
from wizard.plan.steps.config_check import problems
from wizard.plan.steps.installer import PackageSource
from wizard.plan.steps.pip_output import PipProgress, explain_pip_failure, unreachable_message
from wizard.plan.steps.uv_output import explain_uv_failure
from wizard.probe.effective_config import Effective, LoadError
from wizard.probe.facts import Address, Facts
from wizard.probe.installers import parse_pip_config


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


def _facts() -> Facts:
    addrs = [
        Address("lo", "127.0.0.1", socket.AF_INET),
        Address("eth0", "192.168.1.5", socket.AF_INET),
        Address("eth1", "203.0.113.7", socket.AF_INET),
        Address("eth0", "fe80::1", socket.AF_INET6),
    ]
    return Facts(None, "/nonexistent/cfg", addresses=addrs, ssh_connection="10.0.0.2 5000 192.168.1.5 22", user="ada")  # type: ignore[arg-type]  # fmt: skip


ANSWERS = {
    "ssh-tunnel": Answers(),
    "direct": Answers().replace("network", ip="0.0.0.0").replace("access", method="direct"),
    "direct-tls": Answers()
    .replace("network", ip="0.0.0.0")
    .replace("access", method="direct", self_signed=True),
    "router-tunnel": Answers()
    .replace("network", ip="192.168.1.5")
    .replace("access", method="router-tunnel", lan_ip="192.168.1.5"),
    "reverse-proxy": Answers().replace(
        "access",
        method="reverse-proxy",
        self_signed=True,
        basic_auth_user="ada",
        server_name="lab.example.org",
    ),
    "reverse-proxy-acme": Answers().replace(
        "access",
        method="reverse-proxy",
        tls="acme",
        acme_email="ada@example.org",
        server_name="lab.example.org",
    ),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_the_access_instructions_are_chinese(case: str) -> None:
    shown = access.instructions(ANSWERS[case], _facts()).render()
    assert english_words(shown) == set(), shown


def test_the_access_instructions_are_english_by_default() -> None:
    i18n.set_language("en")
    shown = access.instructions(ANSWERS["router-tunnel"], _facts()).render()
    assert "Open the router's admin page" in shown
    assert "[private LAN]" in shown


STATES = [
    ServiceState("systemd-system", "jupyterlab.service", True, "active", "running", 42,
                 1_700_000_000.0, 2, 1, False),
    ServiceState("background", "jupyterlab", True, "failed", "dead", None, None, None, 3, True),
    ServiceState("systemd-user", "jupyterlab.service", False, None, None, None, None, None,
                 None, None),
    ServiceState("none", "", False, None, None, None, None, None, None, None),
]  # fmt: skip


# systemd's own states and the managers' codes, as `systemctl` and the answers file spell them
CODES = {"active", "running", "failed", "dead", "background", "none"}


@pytest.mark.parametrize("status_line", [False, True])
def test_a_service_state_is_chinese(status_line: bool) -> None:
    for st in STATES:
        shown = describe(st, status_line=status_line)
        assert english_words(shown) - CODES == set(), shown


def test_the_installers_failures_are_chinese() -> None:
    failures = [
        explain_pip_failure(["error: externally-managed-environment"]),
        explain_pip_failure(["OSError: [Errno 28] No space left on device"]),
        explain_pip_failure(["ERROR: No matching distribution found for jupyterlab==9"]),
        unreachable_message("pip", ["http://127.0.0.1:9/simple"], "", timed_out=True, timeout=2),
        unreachable_message("uv", [], "", timed_out=False, timeout=None),
        explain_uv_failure(["EXTERNALLY-MANAGED"], PackageSource(parse_pip_config(""))).message,
    ]
    pip_said = {"ERROR", "No", "matching", "distribution", "found", "for"}  # pip's own line, quoted
    for shown in failures:
        assert shown and english_words(shown) - pip_said == set(), shown
    for phase in ("starting", "collecting", "downloading", "installing", "done", "failed"):
        label = PipProgress(phase=phase, collected=3, current="jupyterlab").label()
        assert english_words(label) == set(), label


def test_the_config_checks_verdicts_are_chinese() -> None:
    path = "/etc/jupyter/jupyter_server_config.py"
    eff = Effective(
        values={"ServerApp.port": 9999, "ServerApp.ip": "0.0.0.0"},
        loaded=[(path, ["ServerApp.port"])],
        link_errors=[("jupyterlab", "ImportError")],
        ssl_error="SSLError",
    )
    want = {"ServerApp.port": 8888, "ServerApp.ip": "127.0.0.1"}
    found = problems(eff, want, {path: "c = get_config()\nc.ServerApp.port = 9999\n"},
                     known_links=frozenset())  # fmt: skip
    assert len(found) == 4, found
    assert f"{path} 第 2 行" in found[1], found
    for shown in found:
        assert english_words(shown) - {"ImportError", "SSLError"} == set(), shown
    broken = Effective(errors=[LoadError(path, 3, "SyntaxError")])
    (shown,) = problems(broken, want, {}, known_links=None)
    assert english_words(shown) - {"SyntaxError"} == set(), shown


def test_a_broken_kernels_cause_and_fix_stay_apart_in_chinese(tmp_path: Path) -> None:
    """status and doctor show the cause and the fix apart: never by splitting a translation."""
    from tests.unit.test_kernels import _facts
    from wizard.plan.steps import kernels
    from wizard.probe.kernelspecs import KernelSpec

    gone = KernelSpec("r2", tmp_path / "r2", argv=("/nowhere/bin/python", "-m", "x"))
    why = kernels.broken(gone, _facts(tmp_path, []))
    assert why is not None and why.cause and why.fix
    assert english_words(why.cause) == set() and english_words(why.fix) == set(), why
