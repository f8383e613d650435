"""Service step logic: validation of manager/user, the no-systemd plan, and when a start or
restart is a change (the real proof runs against systemd in tests/system)."""

from __future__ import annotations

import dataclasses
import pwd
import sys
from pathlib import Path

import pytest

from wizard.core.answers import Answers
from wizard.plan.actions import Action, ApplyContext
from wizard.plan.plan import Plan
from wizard.plan.service import step as service
from wizard.plan.service.actions import EnsureRunning, ServiceSnapshot
from wizard.plan.service.base import ServiceState
from wizard.plan.service.health import HealthGate
from wizard.plan.service.managers import controller
from wizard.plan.service.systemd_actions import InstallUnit, VerifyUnit
from wizard.probe.facts import Facts, probe
from wizard.probe.person import Person

OTHER = "daemon"  # a non-root account every Debian has


@pytest.fixture
def facts(tmp_path: Path) -> Facts:
    return dataclasses.replace(
        probe(sys.executable, str(tmp_path / "cfg")),
        euid=0,
        user="root",
        person=Person("root", 0, 0, "/root", via_sudo=False),
    )


def answers(**svc: object) -> Answers:
    return Answers().replace("service", **svc)


def fields(problems: list[object]) -> list[str]:
    return [p.field for p in problems]  # type: ignore[attr-defined]


def test_none_needs_nothing(facts: Facts) -> None:
    assert service.validate(answers(manager="none"), facts) == []
    assert "service.manager" in fields(service.validate(answers(manager="upstart"), facts))


def test_root_only_when_explicitly_allowed(facts: Facts) -> None:
    problems = service.validate(answers(manager="background"), facts)
    assert fields(problems) == ["service.user"]
    assert "allow_root" in problems[0].message
    assert (
        service.validate(answers(manager="background", user="root", allow_root=True), facts) == []
    )


def test_default_user_is_the_sudo_user(facts: Facts) -> None:
    pw = pwd.getpwnam(OTHER)
    f = dataclasses.replace(facts, person=Person(OTHER, pw.pw_uid, pw.pw_gid, pw.pw_dir, True))
    assert service.service_user(answers(manager="systemd-system"), f) == OTHER
    assert service.service_user(answers(manager="systemd-system", user="x"), f) == "x"


def test_unknown_and_shared_users(facts: Facts) -> None:
    assert (
        "no user"
        in service.validate(answers(manager="background", user="no-such-user-x"), facts)[0].message
    )
    nobody = service.validate(answers(manager="background", user="nobody"), facts)
    assert any("shared by unrelated daemons" in p.message for p in nobody)


def test_system_unit_needs_root(facts: Facts) -> None:
    f = dataclasses.replace(facts, euid=1000, user="ann")
    problems = service.validate(answers(manager="systemd-system", user="root", allow_root=True), f)
    assert "service.manager" in fields(problems)
    assert any("sudo" in p.message for p in problems)


def test_user_unit_is_for_yourself(facts: Facts) -> None:
    problems = service.validate(answers(manager="systemd-user", user=OTHER), facts)
    assert any(p.field == "service.manager" and "without sudo" in p.message for p in problems)


def test_service_user_must_reach_env_and_dirs(facts: Facts, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    pw = pwd.getpwnam(OTHER)
    why = service.unreachable_for(str(closed / "x" / "jupyter-lab"), pw, 5)
    assert why is not None and "0700" in why and OTHER in why
    assert service.unreachable_for("/usr/bin/env", pw, 5) is None
    # The config dir exists and belongs to root: the service user could not save settings.
    cfg = Path(facts.config_dir)
    cfg.mkdir()
    problems = service.validate(answers(manager="systemd-system", user=OTHER), facts)
    assert any(p.field == "jupyter.config_dir" and "must own it" in p.message for p in problems)


def test_root_dir_defaults_to_the_service_users_home(facts: Facts) -> None:
    a = service.with_defaults(answers(manager="systemd-system", user=OTHER), facts)
    assert a.network.root_dir == pwd.getpwnam(OTHER).pw_dir
    same = service.with_defaults(answers(manager="systemd-system", user="root"), facts)
    assert same.network.root_dir == ""


def test_without_systemd_the_unit_is_written_for_later(facts: Facts) -> None:
    f = dataclasses.replace(facts, systemd_running=False)
    plan = Plan("t")
    a = answers(manager="systemd-system", user="root", allow_root=True)
    assert service.plan_service(plan, a, f, restart_after=[]) == []
    kinds = [type(x) for x in plan.actions]
    assert kinds == [VerifyUnit, InstallUnit], kinds
    assert not plan.actions[1].reload  # type: ignore[attr-defined]
    (note,) = [n for n in plan.notes if "systemd is not running" in n.text]
    assert note.text.count(". ") == 0 and note.text.endswith(".")  # one sentence
    assert "background" in note.text


class FakeController:
    """In-memory stand-in to test only the is_noop bookkeeping."""

    manager, name = "systemd-system", "fake"

    def __init__(self, active: bool) -> None:
        self.active = active

    def state(self) -> ServiceState:
        st = "active" if self.active else "inactive"
        return ServiceState("systemd-system", "fake", True, st, None, None, None, 0, 0, True)


class Fixed(Action):
    description = "fixed"

    def __init__(self, noop: bool) -> None:
        self.noop = noop

    def is_noop(self) -> bool:
        return self.noop

    def preview(self) -> str:
        return ""

    def apply(self, ctx: ApplyContext) -> None: ...


@pytest.mark.parametrize(
    ("active", "dep_noop", "expect_noop"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_restart_only_when_something_before_changed(
    active: bool, dep_noop: bool, expect_noop: bool
) -> None:
    ctl = FakeController(active)
    run = EnsureRunning(ctl, [Fixed(True), Fixed(dep_noop)])  # type: ignore[arg-type]
    gate = HealthGate(ctl, host="127.0.0.1", port=1, base_url="/", after=run)  # type: ignore[arg-type]
    snap = ServiceSnapshot(ctl)  # type: ignore[arg-type]
    snap.dependents = [run]
    assert run.is_noop() is expect_noop
    assert gate.is_noop() is expect_noop
    assert snap.is_noop() is expect_noop


def test_controller_dispatch() -> None:
    for manager in ("systemd-system", "systemd-user", "background", "none"):
        assert controller(answers(manager=manager).service).manager == manager
    st = controller(answers(manager="none").service).state()
    assert (st.installed, st.active_state) == (False, None)


def test_decisive_line_is_the_last_critical_then_error_then_exception() -> None:
    from wizard.plan.service.health import decisive_line

    tail = (
        "[I 2026-12-01 10:00:00.000 ServerApp] jupyterlab | extension was loaded\n"
        "[E 2026-12-01 10:00:00.100 ServerApp] Could not load extension x\n"
        "[C 2026-12-01 10:00:00.200 ServerApp] Running as root is not recommended.\n"
        "[C 2026-12-01 10:00:00.300 ServerApp] ERROR: the Jupyter server could not be started"
        " because port 8888 is not available.\n"
        "jupyterlab.service: Main process exited, code=exited, status=1/FAILURE\n"
    )
    assert decisive_line(tail) == tail.splitlines()[3]
    assert decisive_line(tail.replace("[C ", "[I ")) == tail.splitlines()[1]
    traceback = (
        "Traceback (most recent call last):\n  File x\nKeyError: 'missing key \"certfile\"'\n"
    )
    assert decisive_line(traceback) == "KeyError: 'missing key \"certfile\"'"
    assert decisive_line("all fine\n") is None


def test_a_new_venv_from_a_python_the_service_user_cannot_reach_is_refused(
    facts: Facts, tmp_path: Path
) -> None:
    """As root under sudo the default base Python may live in /root (pyenv): the venv made
    from it links there, and its service user could not even start it."""
    new = dataclasses.replace(facts, interpreter=None, base_interpreter=None)

    def problems(base_python: str) -> list[object]:
        a = answers(manager="background", user=OTHER).replace(
            "install", action="create-venv", venv_path=str(tmp_path / "venv"),
            base_python=base_python,
        )  # fmt: skip
        return [p for p in service.validate(a, new) if p.field == "install.base_python"]  # type: ignore[attr-defined]

    closed_dir = tmp_path / "bin-closed"
    closed_dir.mkdir(mode=0o700)
    (closed_dir / "python3").symlink_to("/usr/bin/python3")
    # A link in a closed dir: the venv would link to the link.
    assert len(problems(str(closed_dir / "python3"))) == 1
    private = tmp_path / "private-python"
    private.mkdir(mode=0o700)
    copy = private / "python3"
    copy.write_bytes(b"#!/bin/sh\n")
    copy.chmod(0o755)
    refused = problems(str(copy))
    assert len(refused) == 1, refused
    msg = refused[0].message  # type: ignore[attr-defined]
    assert f"{OTHER} could not start a venv made from {copy}" in msg and "0700" in msg, msg
    assert "/usr/bin/python3" in msg
    assert problems("/usr/bin/python3") == []
