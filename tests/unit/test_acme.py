"""ACME: the answers, their grammar, certbot's command line, the hook and the port-80 server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wizard.core import grammar
from wizard.core.answers import Answers, parse_answers
from wizard.core.errors import ApplyError, InputError
from wizard.plan import access
from wizard.plan.access import acme, distro, nginx
from wizard.plan.access.shared import tls_mode
from wizard.plan.effects import SystemPackagesEffect
from wizard.probe.facts import Facts


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


# --------------------------------------------------------------------------- certbot with consent


def path_without_certbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *tools: str) -> Path:
    """PATH holding only `tools` (the machine's own, linked): certbot is not on it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("openssl", *tools):
        real = shutil.which(tool)
        assert real is not None, tool
        (bin_dir / tool).symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def root_facts() -> Facts:
    return Facts(None, "/nonexistent/cfg", euid=0)


def direct_acme(tmp_path: Path, **access: object) -> Answers:
    return acme_answers(method="direct", acme_config_dir=str(tmp_path / "le"), **access)


def test_missing_certbot_is_refused_with_its_fix_without_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path_without_certbot(tmp_path, monkeypatch, "apt-get", "dpkg-query")
    problems = acme.validate(direct_acme(tmp_path), root_facts(), through_nginx=False)
    [p] = [p for p in problems if p.field == "access.install_certbot"]
    assert "certbot is not installed: apt install certbot" in p.message
    assert "install_certbot = true" in p.message
    assert acme.install_certbot(direct_acme(tmp_path)) == []


def test_consent_plans_apt_get_first_and_says_so_in_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path_without_certbot(tmp_path, monkeypatch, "apt-get", "dpkg-query")
    answers = direct_acme(tmp_path, install_certbot=True)
    problems = acme.validate(answers, root_facts(), through_nginx=False)
    assert not [p for p in problems if p.field == "access.install_certbot"]
    for method in ("direct", "reverse-proxy"):
        first = access.get(method).prerequisites(
            answers.replace("access", method=method), root_facts()
        )[0]
        assert isinstance(first, distro.InstallPackage)
        assert first.preview().startswith("$ apt-get install -y certbot\n")
        assert not first.is_noop()


def test_consent_without_apt_get_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path_without_certbot(tmp_path, monkeypatch)
    problems = acme.validate(direct_acme(tmp_path, install_certbot=True), root_facts(),
                             through_nginx=False)  # fmt: skip
    [p] = [p for p in problems if p.field == "access.install_certbot"]
    assert "cannot be installed here (this system has no apt-get)" in p.message


def test_consent_when_certbot_is_there_installs_nothing(tmp_path: Path) -> None:
    answers = direct_acme(tmp_path, install_certbot=True)
    assert acme.install_certbot(answers) == []
    prereqs = access.get("direct").prerequisites(answers, root_facts())
    assert not any(isinstance(a, distro.InstallPackage) for a in prereqs)


def fake_apt(bin_dir: Path, *, fail: bool = False) -> Path:
    """apt-get and dpkg-query stand-ins over a one-line package database: `install` adds
    certbot (and a dependency) to it and puts a certbot on PATH, `remove` takes names out."""
    db = bin_dir / "db"
    db.write_text("base-files\n")
    certbot = bin_dir / "certbot"
    make = "exit 100" if fail else f"printf '#!/bin/sh' > {certbot}; chmod +x {certbot}"
    (bin_dir / "apt-get").write_text(f"""#!/bin/sh
set -e
PATH=/usr/bin:/bin
what=$1; shift; [ "$1" = -y ] && shift
echo "apt-get $what $*"
if [ "$what" = install ]; then
  echo certbot >> {db}; echo python3-certbot >> {db}
  {make}
else
  for p in "$@"; do grep -vx "$p" {db} > {db}.new || true; mv {db}.new {db}; done
  grep -qx certbot {db} || rm -f {certbot}
fi
""")
    (bin_dir / "dpkg-query").write_text(f"#!/bin/sh\n/bin/sed 's/$/\tinstalled/' {db}\n")
    for name in ("apt-get", "dpkg-query"):
        (bin_dir / name).chmod(0o755)
    return db


def test_install_is_journaled_first_and_undone_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journaling order and the undo, with stand-ins for apt/dpkg (the real apt-get
    install and remove of certbot: tests/system/test_acme.py)."""
    from wizard.apply.engine import apply_plan, rollback_plan
    from wizard.apply.journal import Journal
    from wizard.plan.plan import Plan

    bin_dir = path_without_certbot(tmp_path, monkeypatch)
    db = fake_apt(bin_dir)
    plan = Plan("t", [distro.InstallPackage("certbot", "certbot", "test")])
    result = apply_plan(plan)
    assert shutil.which("certbot") == str(bin_dir / "certbot")
    [effect] = Journal.load(result.journal_id or "").effects
    assert effect == SystemPackagesEffect(["certbot", "python3-certbot"])
    rb = rollback_plan(result.journal_id)
    assert "$ apt-get remove -y certbot python3-certbot\n" in rb.render()
    apply_plan(rb)
    assert db.read_text() == "base-files\n" and shutil.which("certbot") is None

    # A failing install: journaled before apt-get ran, undone in the same apply.
    fake_apt(bin_dir, fail=True)
    with pytest.raises(ApplyError):
        apply_plan(Plan("t", [distro.InstallPackage("certbot", "certbot", "test")]))
    assert db.read_text() == "base-files\n"


def test_a_package_that_was_there_is_never_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = path_without_certbot(tmp_path, monkeypatch)
    db = fake_apt(bin_dir)
    db.write_text("base-files\ncertbot\n")  # installed, but not on PATH (someone moved it)
    from wizard.apply.engine import apply_plan
    from wizard.apply.journal import Journal
    from wizard.plan.plan import Plan

    result = apply_plan(Plan("t", [distro.InstallPackage("certbot", "certbot", "test")]))
    [effect] = Journal.load(result.journal_id or "").effects
    assert effect == SystemPackagesEffect(["python3-certbot"])  # only what it added
