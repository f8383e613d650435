"""Hostile and malformed answers: each refused by its field's grammar, with its message, before
anything reads the machine; and the renderers refuse the same values on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_wizard
from wizard.core import grammar
from wizard.core.answers import Answers
from wizard.core.errors import InputError
from wizard.core.passwords import htpasswd_line, is_jupyter_hash
from wizard.plan.service.unit import UnitSpec, render_unit
from wizard.plan.steps.network import validate_base_url

LONG = "/" + "a" * 300
HUGE = "/x" * 600_000  # 1.2 MB

# (name, section, key, value, a piece of the message)
BAD = [
    ("newline in root_dir adds a unit line", "network", "root_dir", "/nb\nUser=root", "control"),
    ("newline in config_dir", "jupyter", "config_dir", "/c\nExecStartPre=/x", "control"),
    ("NUL in python", "jupyter", "python", "/usr/bin/py\x00thon", "control"),
    ("NUL in venv_path", "install", "venv_path", "/opt/v\x00", "control"),
    ("tab in base_python", "install", "base_python", "/usr/bin/\tpython3", "control"),
    ("DEL in certfile", "access", "certfile", "/etc/c\x7f.pem", "control"),
    ("CR in keyfile", "access", "keyfile", "/etc/k.pem\r", "control"),
    ("relative root_dir", "network", "root_dir", "notebooks", "absolute"),
    ("relative config_dir", "jupyter", "config_dir", "cfg", "absolute"),
    ("relative htpasswd_file", "access", "htpasswd_file", "htpasswd", "absolute"),
    ("relative nginx_site", "access", "nginx_site", "site.conf", "absolute"),
    ("home-relative python", "jupyter", "python", "~/venv/bin/python", "absolute"),
    ("dot-dot in root_dir", "network", "root_dir", "/home/a/../b", "normalised"),
    ("double slash in config_dir", "jupyter", "config_dir", "//etc/jupyter", "normalised"),
    ("inner double slash", "install", "venv_path", "/opt//venv", "normalised"),
    ("trailing slash", "network", "root_dir", "/home/a/", "normalised"),
    ("dot component", "access", "nginx_conf", "/etc/./nginx.conf", "normalised"),
    ("1 MB path", "network", "root_dir", HUGE, "at most"),
    ("component too long", "install", "venv_path", LONG, "longer than"),
    ("option as ssh user", "access", "ssh_user", "-oProxyCommand=touch /tmp/x", "not a user"),
    ("space in ssh user", "access", "ssh_user", "a b", "not a user"),
    ("at sign in ssh user", "access", "ssh_user", "a@b", "not a user"),
    ("newline in ssh user", "access", "ssh_user", "a\nb", "control"),
    ("option as ssh host", "access", "ssh_host", "-oProxyCommand=x", "not a host"),
    ("newline in ssh host", "access", "ssh_host", "h\nProxyCommand x", "control"),
    ("space in ssh host", "access", "ssh_host", "a b", "not a host"),
    ("user@host as host", "access", "ssh_host", "me@srv", "not a host"),
    ("underscore label host", "access", "ssh_host", "a_b.example", "not a host"),
    ("hyphen-led label", "access", "ssh_host", "-a.example", "not a host"),
    ("too long label", "access", "ssh_host", "a" * 64 + ".example", "not a host"),
    ("semicolon in server_name", "access", "server_name", "x; auth_basic off", "not a host"),
    ("newline in server_name", "access", "server_name", "x\nlocation", "control"),
    ("NUL in server_name", "access", "server_name", "x\x00y", "control"),
    ("brace in server_name", "access", "server_name", "x{}", "not a host"),
    ("newline in basic auth user", "access", "basic_auth_user", "a\nb", "control"),
    ("newline in service user", "service", "user", "alice\nroot", "control"),
    ("option as service user", "service", "user", "-root", "not a user"),
    ("colon in service user", "service", "user", "a:b", "not a user"),
    ("slash in service user", "service", "user", "../root", "not a user"),
    ("unit suffix in name", "service", "name", "jupyter.service", "unit name"),
    ("slash in unit name", "service", "name", "a/b", "unit name"),
    ("space in unit name", "service", "name", "a b", "unit name"),
    ("newline in unit name", "service", "name", "a\n", "control"),
    ("newline in base_url", "network", "base_url", "/a/\n", "control"),
    ("newline in ip", "network", "ip", "127.0.0.1\n", "control"),
    ("newline in version", "install", "version", ">=4\n", "control"),
    ("newline in lan_ip", "access", "lan_ip", "10.0.0.1\n", "control"),
    ("newline in hash", "password", "hashed_password", "argon2:$x\n", "control"),
    ("escape in method", "access", "method", "direct\x1b", "control"),
    ("NUL in root_dir", "network", "root_dir", "/nb\x00", "control"),
    ("newline in nginx_conf", "access", "nginx_conf", "/etc/nginx/nginx.conf\n", "control"),
    ("relative certfile", "access", "certfile", "cert.pem", "absolute"),
    ("relative keyfile", "access", "keyfile", "key.pem", "absolute"),
    ("relative venv_path", "install", "venv_path", "venv", "absolute"),
    ("relative base_python", "install", "base_python", "python3", "absolute"),
    ("empty-looking dot path", "network", "root_dir", ".", "absolute"),
    ("newline in action", "install", "action", "keep\n", "control"),
    ("newline in manager", "service", "manager", "none\nUser=root", "control"),
    ("newline in listen_ip", "access", "listen_ip", "0.0.0.0\n", "control"),
    ("option as server_name", "access", "server_name", "-x", "not a host"),
    # found by tests/system/test_answers_property.py: a line break to Python's splitlines
    ("line separator in basic auth user", "access", "basic_auth_user", ";\u2028;", "control"),
    ("paragraph separator in root_dir", "network", "root_dir", "/nb\u2029x", "control"),
    ("C1 next-line in ssh host", "access", "ssh_host", "h\x85ProxyCommand x", "control"),
]


@pytest.mark.parametrize(("name", "section", "key", "value", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_field_is_refused_by_its_grammar(
    name: str, section: str, key: str, value: str, says: str
) -> None:
    answers = Answers().replace(section, **{key: value})
    problems = grammar.problems(answers)
    assert [p.field for p in problems] == [f"{section}.{key}"], name
    assert says in problems[0].message
    assert value not in problems[0].message or len(value) < 80  # a huge value is not echoed


def test_at_least_sixty_named_bad_inputs() -> None:
    assert len(BAD) >= 60 and len({b[0] for b in BAD}) == len(BAD)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("network", "root_dir", "/home/ada/notebooks"),
        ("jupyter", "config_dir", "/srv/jupyter cfg"),  # a space is a fine path character
        ("access", "ssh_user", "ada.lovelace"),
        ("access", "ssh_host", "lab-1.example.org"),
        ("access", "ssh_host", "2001:db8::5"),
        ("access", "server_name", "192.0.2.10"),
        ("access", "basic_auth_user", "ada@example.org"),
        ("service", "name", "jupyter@ada"),
        ("service", "user", "_jupyter"),
    ],
)
def test_good_values_pass(section: str, key: str, value: str) -> None:
    assert grammar.problems(Answers().replace(section, **{key: value})) == []


def test_base_url_without_a_trailing_newline_trick() -> None:
    assert validate_base_url("/a/") == []
    assert validate_base_url("/a/\n") != []
    assert validate_base_url("/a/../b/") != []


def test_malformed_argon2_hash_is_not_a_jupyter_hash() -> None:
    assert not is_jupyter_hash("argon2:$argon2id$x")
    assert not is_jupyter_hash("sha1:salt:not-hex")
    assert is_jupyter_hash(
        "argon2:$argon2id$v=19$m=10240,t=10,p=8$c2FsdHNhbHRzYWx0$"
        "vXlI1DFc8rqTK0m7gP8+fCXc6l1PbsUZe6y5NqDiiUQ"
    )


def test_unit_renderer_refuses_a_value_that_adds_a_line() -> None:
    spec = UnitSpec("system", "/opt/j/bin/jupyter-lab", "/c", "/nb\nUser=root", user="ada")
    with pytest.raises(InputError, match="cannot go into a unit file"):
        render_unit(spec)


@pytest.mark.parametrize(
    "root_dir",
    ["/srv/nb\\", "/srv/nb "],
    ids=["trailing backslash joins the next line", "trailing space"],
)
def test_unit_refuses_a_working_directory_systemd_would_read_otherwise(root_dir: str) -> None:
    """Found by tests/system/test_answers_property.py: a root_dir ending in a backslash made
    WorkingDirectory= swallow the Environment= line after it (JUPYTER_CONFIG_DIR gone), and a
    trailing space was stripped (another directory); systemd-analyze verify passed both."""
    assert grammar.problems(Answers().replace("network", root_dir=root_dir)) == []
    spec = UnitSpec("system", "/opt/j/bin/jupyter-lab", "/c", root_dir, user="ada")
    with pytest.raises(InputError, match="systemd WorkingDirectory") as err:
        render_unit(spec)
    assert err.value.problems[0].field == "network.root_dir"


def test_htpasswd_refuses_a_second_user() -> None:
    with pytest.raises(ValueError, match="control"):
        htpasswd_line("ada\nmallory", "pw")
    with pytest.raises(ValueError, match="control"):  # one line to nginx, two to splitlines
        htpasswd_line(";\u2028;", "pw")
    with pytest.raises(ValueError, match="control"):
        htpasswd_line("ada", "pw\nmallory:$2b$12$x")


@pytest.mark.parametrize(
    "line",
    [
        'root_dir = "/nb\\u0000"',
        f'root_dir = "{HUGE}"',
        'root_dir = "/nb\\nUser=root"',
    ],
    ids=["NUL", "1 MB", "newline"],
)
def test_apply_gives_an_error_line_not_a_traceback(tmp_path: Path, line: str) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(f"[network]\n{line}\n")
    r = run_wizard("apply", str(answers), "--dry-run")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: network.root_dir: ") and "Traceback" not in r.stderr
    assert len(r.stderr) < 1000  # the 1 MB value is not echoed back
    assert r.stdout == ""  # nothing planned, nothing written


def test_nginx_renderer_refuses_a_value_that_adds_a_directive() -> None:
    from wizard.plan.access.nginx import ProxySpec, render_site

    def spec(**kw: object) -> ProxySpec:
        base: dict[str, object] = dict(
            jupyter_port=8888, base_url="/", https_port=443, certfile="/c.pem", keyfile="/k.pem"
        )
        return ProxySpec(**{**base, **kw})  # type: ignore[arg-type]

    assert "server_name lab.example.org;" in render_site(spec(server_name="lab.example.org"))
    for bad in ("x; auth_basic off", "x\n    location / {", "x}", "$host", "a b"):
        with pytest.raises(InputError, match="cannot go into an nginx site"):
            render_site(spec(server_name=bad))
    with pytest.raises(InputError) as err:
        render_site(spec(htpasswd="/etc/h;\nauth_basic off"))
    assert err.value.problems[0].field == "access.htpasswd_file"  # the field to fix


def test_ssh_command_renderer_refuses_an_option_or_a_line() -> None:
    from wizard.plan import access
    from wizard.probe.facts import Facts

    facts = Facts(None, "/cfg", ssh_connection="10.0.0.9 5 192.0.2.10 22")
    for field, bad in (("ssh_user", "-oProxyCommand=x"), ("ssh_host", "h\nProxyCommand x")):
        a = Answers().replace("access", **{field: bad})
        with pytest.raises(InputError, match="cannot go into an ssh command"):
            access.instructions(a, facts)
    info = access.instructions(Answers().replace("access", ssh_user="ada"), facts)
    assert info.ssh_command.endswith("-- ada@192.0.2.10")


def test_a_kernel_interpreter_path_has_no_placeholder_or_path_separator() -> None:
    from wizard.core.grammar import environment_problem

    for bad in (
        "/home/a/{connection_file}/bin/python",
        "/opt/$HOME/bin/python",
        "/opt/a:b/bin/python",
    ):
        p = environment_problem("kernels.environments", bad)
        assert p is not None and "cannot be in a kernel's interpreter path" in p.message, bad
    assert environment_problem("kernels.environments", "/opt/conda/envs/torch/bin/python") is None
