"""ACME: the answers, their grammar, certbot's command line, the hook and the port-80 server."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.core import grammar
from wizard.core.answers import Answers, parse_answers
from wizard.core.errors import InputError
from wizard.plan.access import acme, nginx
from wizard.plan.access.shared import tls_mode


def acme_answers(**access: object) -> Answers:
    base = {"method": "reverse-proxy", "tls": "acme", "acme_email": "a@example.org",
            "acme_domains": ["jupyter.example.org"], **access}  # fmt: skip
    return Answers().replace("access", **base)


def test_domains_are_a_list_of_strings_in_the_answers_file() -> None:
    a = parse_answers(b'[access]\nacme_domains = ["a.example.org", "b.example.org"]\n', "t")
    assert a.access.acme_domains == ["a.example.org", "b.example.org"]
    for bad in (b'acme_domains = "a.example.org"', b"acme_domains = [1]"):
        with pytest.raises(InputError) as e:
            parse_answers(b"[access]\n" + bad + b"\n", "t")
        assert e.value.problems[0].field == "access.acme_domains"


@pytest.mark.parametrize(
    ("field", "value"),
    [("acme_email", "not-an-address"), ("acme_email", "a@b.org\nX"),
     ("acme_server", "https://x/$(id)"), ("acme_server", "file:///etc/passwd"),
     ("acme_domains", ["10.0.0.1"]), ("acme_domains", ["*.example.org"]),
     ("acme_domains", ["--register-unsafely-without-email"]), ("acme_config_dir", "le")],
)  # fmt: skip
def test_grammar_refuses_what_is_not_its_kind(field: str, value: object) -> None:
    problems = grammar.problems(acme_answers(**{field: value}))
    assert [p.field for p in problems] == [f"access.{field}"]


def test_tls_mode_keeps_the_old_fields_meaning() -> None:
    a = Answers()
    assert tls_mode(a) == "none"
    assert tls_mode(a.replace("access", self_signed=True)) == "self-signed"
    assert tls_mode(a.replace("access", certfile="/c.pem", keyfile="/k.pem")) == "files"
    assert tls_mode(acme_answers()) == "acme"


def test_certonly_argv_and_refusal() -> None:
    spec = acme.acme_spec(acme_answers(acme_server="https://ca.test/dir", server_name="x.org"))
    argv = acme.certonly_argv(spec, webroot=True)
    assert argv[:2] == ["certbot", "certonly"] and "--config-dir" not in argv
    assert argv[argv.index("--server") + 1] == "https://ca.test/dir"
    assert argv[argv.index("-d") + 1] == "jupyter.example.org"  # acme_domains over server_name
    assert acme.acme_spec(acme_answers(acme_domains=[], server_name="x.org")).domains == ("x.org",)
    assert acme.acme_spec(Answers()).server == acme.LETS_ENCRYPT
    bad = acme.AcmeSpec(Path("/etc/letsencrypt"), "https://ca", "-x", ("a.org",), 80)
    with pytest.raises(InputError):
        acme.certonly_argv(bad, webroot=False)


def test_hook_acts_only_for_our_lineage_and_refuses_control_characters() -> None:
    spec = acme.acme_spec(acme_answers())
    text = acme.render_hook(spec, [["nginx", "-t"], ["systemctl", "reload", "nginx"]], "reload")
    assert '[ "$RENEWED_LINEAGE" = /etc/letsencrypt/live/jupyter-setup-wizard ] || exit 0' in text
    assert text.splitlines()[-1] == "systemctl reload nginx"
    with pytest.raises(InputError):
        acme.render_hook(spec, [["nginx", "-c", "/a\nrm -rf /"]], "reload")


def test_site_with_acme_has_the_challenge_server_and_redirect() -> None:
    spec = nginx.ProxySpec(8888, "/", 8443, "/le/live/x/fullchain.pem", "/le/live/x/privkey.pem",
                           server_name="j.example.org", http_port=80, acme_webroot="/le/webroot")  # fmt: skip
    site = nginx.render_site(spec)
    assert "    listen 80;" in site and "    listen [::]:80;" in site
    assert "location ^~ /.well-known/acme-challenge/ {\n        root /le/webroot;" in site
    assert "return 301 https://$host:8443$request_uri;" in site
    only = nginx.render_challenge_site(spec)
    assert "ssl_certificate" not in only and "acme-challenge" in only
    with pytest.raises(InputError):
        nginx.render_site(nginx.ProxySpec(8888, "/", 443, "/c", "/k", http_port=80,
                                          acme_webroot="/w; include /etc/shadow"))  # fmt: skip
