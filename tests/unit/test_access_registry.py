"""The access-method registry: every method keeps the AccessMethod contract, doctor's list per method."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.test_access import facts
from wizard.core.answers import AccessAnswers, Answers
from wizard.core.errors import InputError
from wizard.plan import access
from wizard.plan.access.base import Binding, CheckResult
from wizard.verify.doctor.checks import checks_for
from wizard.verify.doctor.render import render, to_json

METHODS = [m.name for m in access.all()]
ANSWER_FIELDS = {f.name for f in dataclasses.fields(AccessAnswers)}


def test_names_unique_and_the_default_is_registered() -> None:
    assert len(set(access.METHODS)) == len(access.METHODS) == len(access.all())
    assert AccessAnswers().method == access.METHODS[0]
    assert all(access.get(m.name) is m for m in access.all())


def test_unknown_method_is_an_input_error_on_its_field() -> None:
    with pytest.raises(InputError) as err:
        access.get("carrier-pigeon")
    assert [p.field for p in err.value.problems] == ["access.method"]
    a = Answers().replace("access", method="carrier-pigeon")
    assert [p.field for p in access.validate(a, facts())] == ["access.method"]


@pytest.mark.parametrize("name", METHODS)
def test_method_contract(name: str) -> None:
    m = access.get(name)
    assert m.label
    assert set(m.fields) <= ANSWER_FIELDS, set(m.fields) - ANSWER_FIELDS
    assert "method" not in m.fields
    a = Answers().replace("access", method=name)
    info = access.instructions(a, facts())
    assert info.method == name and info.headline
    assert m.jupyter_scheme(a) in ("http", "https")


def test_bindings_split_the_methods() -> None:
    loop = access.with_binding(Binding.LOOPBACK)
    beyond = access.with_binding(Binding.BEYOND_LOOPBACK)
    assert {"ssh-tunnel", "reverse-proxy"} <= set(loop)
    assert {"direct", "router-tunnel"} <= set(beyond)
    assert sorted(loop + beyond) == sorted(access.METHODS)
    assert not access.needs_password(Answers())  # only the SSH tunnel goes without one
    assert all(access.get(n).needs_password for n in access.METHODS if n != "ssh-tunnel")


@pytest.mark.parametrize("name", ["ssh-tunnel", "direct", "router-tunnel", "reverse-proxy"])
def test_doctor_lists_the_same_checks_for_every_method(name: str) -> None:
    names = [c.name for c in checks_for(access.get(name))]
    assert names == ["service", "listening", "port", "host header", "advertised URLs", "kernels",
                     "certificate", "proxy websocket", "firewall"]  # fmt: skip


def test_a_check_only_one_method_has_is_skipped_for_the_others() -> None:
    a = Answers().replace("network", ip="0.0.0.0").replace("access", method="direct")
    method = access.get("direct")
    check = next(c for c in checks_for(method) if c.name == "proxy websocket")
    ctx = access.CheckContext(a, facts(), method)
    assert check.run(ctx) == CheckResult("proxy websocket", True, "no proxy in direct", "", True)


def test_render_and_json() -> None:
    results = [CheckResult("a", True, "fine"), CheckResult("b", False, "broken", "fix it"),
               CheckResult("c", True, "not here", skipped=True)]  # fmt: skip
    assert render(results) == "✓ a: fine\n✗ b: broken\n    fix: fix it\n- c: not here\n"
    info = access.instructions(Answers(), facts())
    assert '"ok": false' in to_json("ssh-tunnel", info, results)
