"""wizard.forms: the fields both front-ends draw, their defaults and checks (no UI, no probe)."""

from __future__ import annotations

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.forms import access, install, network, password, service
from wizard.forms.fields import FieldSpec
from wizard.forms.state import step_of, where


def test_prompts_say_what_empty_means() -> None:
    assert network.ROOT_DIR.prompt() == "Root directory (empty: your home):"
    assert network.ROOT_DIR.label == "Root directory (notebooks)"  # the TUI's label
    assert service.ENABLE.prompt() == "Start at boot / login?"
    assert password.NEW.prompt() == "New Jupyter password (empty: log in with a random token):"
    assert access.FIELDS["ssh_port"].prompt("22") == "SSH port (empty: 22):"
    assert FieldSpec("x", "X", empty="none").prompt("") == "X:"  # told: nothing to say


def test_access_fields_per_method_come_from_one_mapping() -> None:
    assert access.fields_of("ssh-tunnel") == ["local_port", "ssh_user", "ssh_host", "ssh_port"]
    assert access.fields_of("direct") == [
        "certfile", "keyfile", "acme_email", "acme_domains", "acme_server"
    ]  # fmt: skip
    assert access.fields_of("reverse-proxy")[:3] == ["server_name", "https_port", "listen_ip"]
    assert {m.value for m in access.methods()} == set(access.GROUPS)
    assert set(access.FIELDS) == {n for names in access.GROUP_FIELDS.values() for n in names}


def test_access_typed_values_and_their_problems() -> None:
    answers = Answers()
    texts = dict.fromkeys(access.FIELDS, "")
    texts.update(ssh_port=" 2222 ", local_port="22x", ssh_user="ada")
    typed, problems = access.typed(answers, "ssh-tunnel", texts)
    assert typed.access.ssh_port == 2222 and typed.access.ssh_user == "ada"
    assert typed.access.local_port == 0  # not a number: the last value stays, reported
    assert problems == [Problem("access.local_port", "'22x' is not a number")]
    assert access.field_problems(answers, None, "https_port", "") == []  # empty: 443
    assert access.field_problems(answers, None, "certfile", " ", required=True)[0].message == (
        "missing: give an existing file"
    )


def test_access_values_show_detected_numbers_empty() -> None:
    answers = Answers().replace("access", ssh_port=0, https_port=8443)
    values = access.values(answers, None)
    assert values["ssh_port"] == "" and values["https_port"] == "8443"
    assert access.empty_means(answers, None)["local_port"] == "8888, Jupyter's own"


def test_tls_choice_round_trips() -> None:
    direct = Answers().replace("access", method="direct")
    assert access.tls_kind(direct) == "none"
    assert [c.value for c in access.tls_choices("reverse-proxy")] == [
        "self-signed", "files", "acme"
    ]  # fmt: skip
    assert access.tls_choices("direct")[0].value == "none"
    made = access.with_tls(direct.replace("access", certfile="/c", keyfile="/k"), "self-signed")
    assert made.access.self_signed and made.access.certfile == ""  # given without self_signed
    assert access.tls_kind(access.with_tls(direct, "none")) == "none"


def test_proxy_password_twice() -> None:
    answers = Answers().replace("access", method="reverse-proxy", basic_auth_user="ada")
    assert access.proxy_password_problems(answers, "a", "b")[0].field == (
        "access.proxy_password_again"
    )
    assert access.proxy_password_problems(answers, "same", "same") == []
    assert access.proxy_password_problems(answers.replace("access", method="direct"), "", "x") == []


def test_network_collect_keeps_the_last_valid_port() -> None:
    typed = {"ip": " 0.0.0.0 ", "port": "80x", "root_dir": "", "base_url": "/"}
    answers = network.collect(Answers(), typed)
    assert answers.network.ip == "0.0.0.0" and answers.network.port == 8888
    assert network.problems("port", "80x", None)[0].message == "'80x' is not a number"


def test_install_defaults_stay_the_default() -> None:
    venv, base = install.venv_defaults()
    shown = install.values(Answers())
    assert shown["venv_path"] == venv and shown["base_python"] == base
    typed = {"python": "/old/bin/python", "venv_path": venv, "base_python": base}
    answers = install.collect(Answers(), "create-venv", {**typed, "version": " >=4.2 "})
    assert answers.install.venv_path == "" and answers.install.base_python == ""
    assert answers.install.version == ">=4.2"
    assert answers.jupyter.python == f"{venv}/bin/python"  # the new venv's, not the old one
    assert install.shown("keep") == {"envs", "python", "language_pack"}
    assert "python" not in install.shown("create-venv")
    assert install.default_action(answers, "/other/python") == "keep"  # not the new venv then


def test_create_venv_interpreter_follows_the_venv_path() -> None:
    """#13: changing the venv path moves the interpreter with it; nothing to agree by hand."""
    typed = {"python": "/opt/old/bin/python", "base_python": "", "version": ""}
    answers = install.collect(Answers(), "create-venv", {**typed, "venv_path": "/opt/jupyterlab"})
    assert answers.jupyter.python == "/opt/jupyterlab/bin/python"
    assert answers.install.action == "create-venv"
    assert install.venv_interpreter("/opt/jupyterlab").endswith("\n/opt/jupyterlab/bin/python")
    kept = install.collect(answers, "keep", {**typed, "venv_path": "/opt/jupyterlab"})
    assert kept.jupyter.python == "/opt/old/bin/python" and kept.install.action == "keep"


def test_problems_lead_to_their_step() -> None:
    assert step_of("jupyter.python") == "install"
    assert where(Problem("network.ip", "x")) == "  (fix it in step 5, Network)"
    assert where(Problem("kernels.environments", "x")) == "  (fix it in step 3, Kernels)"
    assert where(Problem("access.lan_ip", "x")) == ""


def test_the_suggested_service_fits_the_machine() -> None:
    """#13 item 6: no systemd -> background, not "none"; a system unit under sudo with systemd;
    never a root service by default."""
    from wizard.forms import service
    from wizard.probe.facts import Facts
    from wizard.probe.person import Person

    ada = Person("ada", 1000, 1000, "/home/ada", via_sudo=False)
    plain = Facts(interpreter=None, config_dir="/c", euid=1000, person=ada, systemd_running=False)
    assert service.suggested(Answers(), plain).service.manager == "background"
    sudo = Facts(
        interpreter=None,
        config_dir="/c",
        euid=0,
        person=Person("ada", 1000, 1000, "/home/ada", via_sudo=True),
        systemd_running=True,
    )
    assert service.suggested(Answers(), sudo).service.manager == "systemd-system"
    root = Person("root", 0, 0, "/root", via_sudo=False)
    as_root = Facts(interpreter=None, config_dir="/c", euid=0, person=root, systemd_running=True)
    assert service.suggested(Answers(), as_root).service.manager == "none"
    chosen = Answers().replace("service", manager="systemd-user")
    assert service.suggested(chosen, plain) == chosen  # a choice made is never overridden


def test_an_index_url_as_typed_is_empty_or_a_url_by_its_grammar() -> None:
    form = install
    assert form.index_url_problems("") == [] and form.index_url_problems("  ") == []
    assert form.index_url_problems("https://mirror.example/simple") == []
    assert [p.field for p in form.index_url_problems("mirror/simple")] == ["install.index_url"]
    (secret,) = form.index_url_problems("https://me:hunter2@mirror.example/simple")
    assert "hunter2" not in secret.message and "password" in secret.message


def test_acme_is_a_tls_choice_with_its_own_fields() -> None:
    proxy = Answers().replace("access", method="reverse-proxy", server_name="lab.example.org")
    assert access.groups_for("reverse-proxy", "self-signed") == ("m-proxy", "m-tls", "m-auth")
    assert access.groups_for("direct", "acme") == ("m-tls", "m-acme")
    assert not access.files_shown("acme") and access.files_shown("files")
    texts = {**access.values(proxy, None), "certfile": "/c.pem", "keyfile": "/k.pem"}
    texts.update(acme_email=" ada@example.org ", acme_domains="a.example.org, b.example.org")
    typed, problems = access.typed(proxy, "reverse-proxy", texts, "acme", install_certbot=True)
    a = typed.access
    assert problems == [] and (a.tls, a.self_signed, a.certfile, a.keyfile) == (
        "acme",
        False,
        "",
        "",
    )
    assert a.acme_email == "ada@example.org" and a.install_certbot
    assert a.acme_domains == ["a.example.org", "b.example.org"]
    assert access.tls_kind(typed) == "acme"
    assert access.values(typed, None)["acme_domains"] == "a.example.org, b.example.org"
    # another choice: ACME's fields are not read, and the answers are no longer ACME
    back, _ = access.typed(typed, "reverse-proxy", texts, "files")
    assert (back.access.tls, back.access.certfile) == ("", "/c.pem")
    assert access.empty_means(proxy, None)["acme_domains"] == "the server name, lab.example.org"
    assert access.empty_means(proxy.replace("access", method="direct"), None)["acme_domains"] == ""


def test_acme_fields_are_checked_by_the_answers_grammar() -> None:
    acme = Answers().replace("access", method="direct", tls="acme")
    [p] = access.field_problems(acme, None, "acme_email", "ada")
    assert p.field == "access.acme_email" and "not an e-mail address" in p.message
    [p] = access.field_problems(acme, None, "acme_domains", "ok.example.org *.example.org")
    assert "'*.example.org' is not a DNS name" in p.message
    assert "not an http(s) URL" in access.field_problems(acme, None, "acme_server", "x")[0].message
    assert access.field_problems(acme, None, "acme_server", "") == []  # Let's Encrypt
    bad = acme.replace("access", acme_email="nope")
    assert [p.field for p in access.problems(bad, None, [], ("", ""))] == ["access.acme_email"]


def test_acme_help_says_what_port_80_must_allow_and_the_rate_limit() -> None:
    for method in ("direct", "reverse-proxy"):
        text = access.acme_help(method)
        assert "Port 80 must reach this machine from the internet" in text
        assert "5 failures an hour" in text and access.LETS_ENCRYPT_STAGING in text
    assert "be free" in access.acme_help("direct") and "nginx" in access.acme_help("reverse-proxy")
