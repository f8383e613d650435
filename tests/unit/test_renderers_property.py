"""Property-based: whatever string reaches a renderer (validation aside), the result either is
refused with an error, or parses back to exactly the intended keys: no extra line in the unit,
no extra directive in the nginx site, no second htpasswd user, no extra ssh option or word."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.core import grammar
from wizard.core.answers import Answers
from wizard.core.errors import InputError
from wizard.core.passwords import htpasswd_line
from wizard.plan import access
from wizard.plan.access.nginx import ProxySpec, render_site
from wizard.plan.service.unit import UnitSpec, render_unit
from wizard.probe.facts import Facts

# The characters that break renderers, among ordinary ones.
HOSTILE = st.text(
    alphabet=st.sampled_from(list("abc/._-: ;{}#$%'\"\\\n\r\t\x00\x7f=@[]*é")),
    min_size=1,
    max_size=24,
)
EXAMPLES = settings(max_examples=300, deadline=None)


def unit_keys(text: str) -> list[str]:
    """Each non-blank, non-comment line's key, as systemd reads the file line by line."""
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", ";", "[")):
            out.append(line.split("=", 1)[0])
    return out


BASE_UNIT = unit_keys(
    render_unit(UnitSpec("system", "/opt/j/bin/jupyter-lab", "/c", "/nb", "ada", "ada"))
)


@EXAMPLES
@given(working_dir=HOSTILE, config_dir=HOSTILE, user=HOSTILE)
def test_unit_is_refused_or_has_exactly_its_lines(
    working_dir: str, config_dir: str, user: str
) -> None:
    spec = UnitSpec(
        "system", "/opt/j/bin/jupyter-lab", "/" + config_dir, "/" + working_dir, user, user
    )
    try:
        text = render_unit(spec)
    except InputError:
        return
    assert unit_keys(text) == BASE_UNIT
    (wd,) = [ln for ln in text.splitlines() if ln.startswith("WorkingDirectory=")]
    assert wd.removeprefix("WorkingDirectory=").replace("%%", "%") == "/" + working_dir


def directives(text: str) -> int:
    return sum(text.count(c) for c in ";{}")


def proxy(**kw: str) -> ProxySpec:
    base: dict[str, object] = dict(
        jupyter_port=8888, base_url="/", https_port=443, certfile="/c.pem", keyfile="/k.pem"
    )
    return ProxySpec(**{**base, **kw})  # type: ignore[arg-type]


BASE_SITE = directives(render_site(proxy(server_name="x", htpasswd="/h")))


@EXAMPLES
@given(server_name=HOSTILE, htpasswd=HOSTILE)
def test_nginx_site_is_refused_or_has_exactly_its_directives(
    server_name: str, htpasswd: str
) -> None:
    try:
        text = render_site(proxy(server_name=server_name, htpasswd="/" + htpasswd))
    except InputError:
        return
    assert directives(text) == BASE_SITE
    assert f"    server_name {server_name};" in text.splitlines()


@EXAMPLES
@given(user=HOSTILE, password=HOSTILE)
def test_htpasswd_is_refused_or_one_line_for_one_user(user: str, password: str) -> None:
    try:
        line = htpasswd_line(user, password)
    except ValueError:
        return
    assert len(line.splitlines()) == 1 and line.split(":", 1)[0] == user


@EXAMPLES
@given(user=HOSTILE, host=HOSTILE)
def test_ssh_command_is_refused_or_exactly_its_words(user: str, host: str) -> None:
    facts = Facts(None, "/cfg", ssh_connection="10.0.0.9 5 192.0.2.10 2222")
    answers = Answers().replace("access", ssh_user=user, ssh_host=host)
    try:
        info = access.instructions(answers, facts)
    except InputError:
        return
    argv = shlex.split(info.ssh_command)
    assert argv == ["ssh", "-N", "-L", "8888:localhost:8888", "-p", "2222", "--", f"{user}@{host}"]
    cfg = info.ssh_config.splitlines()
    assert len(cfg) == 6 and all(len(line.split()) in (2, 3) for line in cfg)


TEXT_FIELDS = [
    (section, key)
    for section, values in Answers().to_dict().items()
    for key, value in values.items()
    if isinstance(value, str)
]


@EXAMPLES
@given(field=st.sampled_from(TEXT_FIELDS), value=HOSTILE)
def test_every_text_field_refuses_control_characters_and_bad_paths(
    field: tuple[str, str], value: str
) -> None:
    section, key = field
    problems = grammar.problems(Answers().replace(section, **{key: value}))
    flagged = [p.field for p in problems] == [f"{section}.{key}"]
    if any(c in value for c in "\n\r\t\x00\x7f") or (
        f"{section}.{key}" in grammar.PATHS and not value.startswith("/")
    ):
        assert flagged
    else:
        assert flagged or problems == []


def test_the_properties_can_fail() -> None:
    """The checks above would notice an injected line (they are not vacuous)."""
    injected = render_unit(UnitSpec("system", "/j", "/c", "/nb", "ada", "ada")) + "User=root\n"
    assert unit_keys(injected) != BASE_UNIT
    with pytest.raises(AssertionError):
        assert directives(render_site(proxy(server_name="x")) + "auth_basic off;") == BASE_SITE
