"""Access: how you reach JupyterLab from your own computer.

The one place the front-ends read wizard.plan.access (methods, validation, instructions). Each
method asks only its own fields (AccessMethod.fields, from the registry); GROUP_FIELDS below
lays them out in groups. The core's problems (`access.lan_ip`, ...) name the field they belong to.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from wizard.core import grammar
from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms.fields import Choice, FieldSpec, on_field
from wizard.plan import access
from wizard.plan.access.nginx import DEFAULT_HTPASSWD
from wizard.plan.access.router_tunnel import lan_target
from wizard.plan.access.ssh_tunnel import ssh_endpoint
from wizard.probe.facts import Facts

TITLE = N_("Access: reach JupyterLab from your computer")

METHOD = FieldSpec("method", N_("Method"), question=N_("Reach JupyterLab from your computer by"))

# Name -> field. The name is the AccessAnswers key, so `access.<name>` problems land on it.
FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("ssh_user", N_("SSH user"), help=N_("your login on this server")),
        FieldSpec("ssh_host", N_("SSH host"), help=N_("this server as you reach it")),
        FieldSpec("local_port", N_("Local port"), help=N_("the port on your computer")),
        FieldSpec("ssh_port", N_("SSH port"), help=N_("this server's sshd port")),
        FieldSpec(
            "lan_ip",
            N_("LAN address the router points at"),
            help=N_("an address of this machine on the router's network"),
        ),
        FieldSpec(
            "server_name",
            N_("Server name"),
            help=N_("DNS name or address people type; empty = any"),
            empty=N_("any name"),
        ),
        FieldSpec("https_port", N_("HTTPS port"), help=N_("where nginx listens")),
        FieldSpec(
            "listen_ip",
            N_("nginx listen address"),
            help=N_("empty = every address"),
            empty=N_("every address"),
        ),
        FieldSpec("certfile", N_("TLS certificate file"), help=N_("absolute path (PEM)")),
        FieldSpec("keyfile", N_("TLS key file"), help=N_("absolute path (PEM)")),
        FieldSpec(
            "acme_email",
            N_("E-mail for the CA"),
            help=N_("the CA's contact; it warns there before expiry"),
        ),
        FieldSpec(
            "acme_domains",
            N_("Certificate names"),
            help=N_("DNS names, comma-separated"),
            question=N_("DNS names for the certificate, comma-separated"),
        ),
        FieldSpec(
            "acme_server",
            N_("ACME server"),
            help=N_("empty = Let's Encrypt"),
            question=N_("ACME directory URL (staging, or an internal CA)"),
            empty=N_("Let's Encrypt's production CA"),
        ),
        FieldSpec(
            "basic_auth_user",
            N_("Basic-auth user"),
            help=N_("empty = no basic auth before Jupyter's login"),
            empty=N_("no basic auth"),
        ),
    )
}
INT_FIELDS = {"local_port": 0, "ssh_port": 0, "https_port": 443}  # empty -> this value
LIST_FIELDS = ("acme_domains",)  # typed as comma-separated items
SELF_SIGNED = FieldSpec("self_signed", N_("Self-signed: make the pair if the files are missing"))
INSTALL_CERTBOT = FieldSpec(
    "install_certbot",
    N_("Install certbot (apt-get install -y certbot)"),
    question=N_(
        "certbot is not installed. Install the distribution's package "
        "(apt-get install -y certbot; a rollback removes it again)?"
    ),
)
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
# Entered twice, masked; only into Secrets, never the answers. Their problems are
# `access.proxy_password` and `access.proxy_password_again`.
PROXY_PASSWORD = FieldSpec("proxy_password", N_("Basic-auth password"))
PROXY_PASSWORD_AGAIN = FieldSpec(
    "proxy_password_again", N_("Password again"), question=N_("The same password again")
)

# Which groups of fields each method asks, in order; the fields of each group, in the order a
# line-by-line front-end asks them. The TUI shows each group as one container.
TLS_GROUP = "m-tls"  # the TLS choice, then (for "files") the two files
ACME_GROUP = "m-acme"  # the TLS choice "acme": the CA's e-mail, the names, the CA
AUTH_GROUP = "m-auth"  # the basic-auth user, then (when there is one) its password twice
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "m-ssh": ("local_port", "ssh_user", "ssh_host", "ssh_port"),
    "m-router": ("lan_ip",),
    "m-proxy": ("server_name", "https_port", "listen_ip"),
    TLS_GROUP: ("certfile", "keyfile"),
    ACME_GROUP: ("acme_email", "acme_domains", "acme_server"),
    AUTH_GROUP: ("basic_auth_user",),
}
# The groups each method shows: those holding a field of the method (its `fields`, from the
# registry: the one list of what a method asks).
GROUPS: dict[str, tuple[str, ...]] = {
    m.name: tuple(g for g, names in GROUP_FIELDS.items() if set(names) & set(m.fields))
    for m in access.all()
}

# TLS as one choice; "files" then asks the two files, "acme" the ACME group.
TLS_CHOICES = {
    "none": N_("No TLS (the password crosses the network in clear text)"),
    "self-signed": N_("Self-signed (made if missing; browsers warn once)"),
    "files": N_("My certificate and key files"),
    "acme": N_("A certificate from an ACME CA (Let's Encrypt)"),
}
TLS = FieldSpec("tls", N_("TLS certificate"))


def methods() -> list[Choice]:
    return [Choice(m.name, m.label) for m in access.all()]


def fields_of(method: str) -> list[str]:
    """The text fields the method asks, in its own order (AccessMethod.fields)."""
    return [name for name in access.get(method).fields if name in FIELDS]


def groups_for(method: str, kind: str) -> tuple[str, ...]:
    """The groups shown for a method with a TLS choice made: the ACME group only for "acme";
    the TLS group always (its choice), its two files only for "files" (files_shown)."""
    return tuple(g for g in GROUPS.get(method, ()) if g != ACME_GROUP or kind == "acme")


def files_shown(kind: str) -> bool:
    return kind == "files"


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    return access.validate(answers, facts)


def grammar_problems(answers: Answers) -> list[Problem]:
    """The answers grammar's verdict on the access fields (what an answers file is held to)."""
    return [p for p in grammar.problems(answers) if p.field.startswith("access.")]


# -- what the fields show -------------------------------------------------------------------


def values(answers: Answers, facts: Facts | None) -> dict[str, str]:
    """What each field shows: the answers; 0 (= detected) empty; the LAN address prefilled."""
    a = answers.access
    out: dict[str, str] = {}
    for name in FIELDS:
        value = getattr(a, name)
        if name in INT_FIELDS:
            out[name] = "" if value == 0 else str(value)
        elif name in LIST_FIELDS:
            out[name] = ", ".join(value)
        else:
            out[name] = str(value)
    if not out["lan_ip"]:
        out["lan_ip"] = private_lan_address(answers, facts)
    return out


def detected(answers: Answers, facts: Facts | None) -> dict[str, str]:
    """What an empty SSH field means here, detected from the session (nothing before the probe)."""
    if facts is None:
        return {}
    blank = answers.replace("access", ssh_user="", ssh_host="", ssh_port=0)
    user, host, port, _ = ssh_endpoint(blank, facts)
    return {
        "ssh_user": user,
        "ssh_host": host,
        "ssh_port": str(port),
        "local_port": str(answers.network.port),
    }


def empty_means(answers: Answers, facts: Facts | None) -> dict[str, str]:
    """For each field, what leaving it empty means (the prompts' "(empty: ...)")."""
    out = {name: spec.empty for name, spec in FIELDS.items()}
    out.update(ssh_user=_("detected"), ssh_host=_("detected"), ssh_port=_("detected"))
    out.update(detected(answers, facts))
    out["local_port"] = _("{port}, Jupyter's own").format(port=answers.network.port)
    server_name = acme_domains_default(answers)
    out["acme_domains"] = (
        _("the server name, {name}").format(name=server_name) if server_name else ""
    )
    return out


def acme_domains_default(answers: Answers) -> str:
    """What empty certificate names mean: the reverse proxy's server name ("" = none)."""
    return answers.access.server_name if answers.access.method == "reverse-proxy" else ""


def machine_addresses(facts: Facts | None) -> list[str]:
    """This machine's addresses beyond loopback (what a router can point at)."""
    if facts is None:
        return []
    return sorted({x.address for x in facts.addresses if not x.ip.is_loopback})


def private_lan_address(answers: Answers, facts: Facts | None) -> str:
    """router-tunnel prefill: the core's own choice, else this machine's first private LAN IPv4."""
    if facts is None:
        return ""
    target = lan_target(answers, facts)
    if target:
        return target
    lan = sorted(
        a.address
        for a in facts.addresses
        if ":" not in a.address and access.classify(a.address)[0] == "private LAN"
    )
    return lan[0] if lan else ""


def tls_choices(method: str) -> list[Choice]:
    """direct may go without TLS; the reverse proxy always serves HTTPS."""
    return [
        Choice(k, label) for k, label in TLS_CHOICES.items() if method == "direct" or k != "none"
    ]


def tls_kind(answers: Answers) -> str:
    """The TLS choice the answers make now."""
    a = answers.access
    if a.tls == "acme":
        return "acme"
    if a.certfile and not a.self_signed:
        return "files"
    if answers.access.method == "direct" and not a.certfile and not a.self_signed:
        return "none"
    return "self-signed"


def with_tls(answers: Answers, kind: str) -> Answers:
    """The answers with a TLS choice made (the files themselves are asked after "files", the
    ACME fields after "acme")."""
    a = answers.access
    if kind == "acme":  # certbot makes the pair: no files, no self-signed one
        return answers.replace("access", tls="acme", self_signed=False, certfile="", keyfile="")
    answers = answers.replace("access", tls="")  # another choice than ACME: no longer ACME
    if kind == "none":
        return answers.replace("access", self_signed=False, certfile="", keyfile="")
    if kind == "self-signed":
        keep = a.self_signed  # paths given with self_signed say where the pair is made
        return answers.replace(
            "access",
            self_signed=True,
            certfile=a.certfile if keep else "",
            keyfile=a.keyfile if keep else "",
        )
    return answers.replace("access", self_signed=False)


def certbot_missing() -> bool:
    """certbot is not on PATH: the ACME choice then asks whether to install it."""
    return shutil.which("certbot") is None


def acme_help(method: str) -> str:
    """What an ACME certificate needs, under its fields: port 80, and the production CA's limits."""
    if method == "reverse-proxy":
        port = _("Port 80 must reach this machine from the internet: the CA checks a challenge there (nginx answers it, the rest goes to HTTPS).")  # fmt: skip
    else:
        port = _("Port 80 must reach this machine from the internet and be free: certbot answers the CA's challenge there, now and at each renewal.")  # fmt: skip
    return _(
        "{port} Let's Encrypt's production CA refuses a name after 5 failures an hour: "
        "try its staging CA first ({staging})."
    ).format(port=port, staging=LETS_ENCRYPT_STAGING)


# -- what was typed -------------------------------------------------------------------------


def parse(name: str, text: str) -> tuple[object, list[Problem]]:
    """A field's value as typed: stripped; a number for the ports (empty: its default); a list
    for the names (comma- or space-separated)."""
    text = text.strip()
    if name in LIST_FIELDS:
        return [x for x in text.replace(",", " ").split() if x], []
    if name not in INT_FIELDS:
        return text, []
    if not text:
        return INT_FIELDS[name], []
    try:
        return int(text), []
    except ValueError:
        return None, [
            Problem(f"access.{name}", _("{text} is not a number").format(text=repr(text)))
        ]


def typed(
    answers: Answers,
    method: str,
    texts: Mapping[str, str],
    tls: str = "",
    *,
    install_certbot: bool = False,
) -> tuple[Answers, list[Problem]]:
    """The answers as the fields hold them (only the method's own fields count, and of the TLS
    ones only those of the TLS choice `tls`); a number that is not one keeps the last value
    and is reported. `install_certbot`: the consent, asked with ACME while certbot is missing."""
    changes: dict[str, object] = {"method": method}
    problems: list[Problem] = []
    has_tls = TLS_GROUP in GROUPS.get(method, ())
    kind = tls or tls_kind(answers)
    for name in fields_of(method):
        if name in GROUP_FIELDS[TLS_GROUP] and not files_shown(kind):
            continue
        if name in GROUP_FIELDS[ACME_GROUP] and kind != "acme":
            continue
        value, bad = parse(name, texts[name])
        problems += bad
        if not bad:
            changes[name] = value
    answers = answers.replace("access", **changes)
    if has_tls:
        answers = with_tls(answers, kind)
        if kind == "acme":
            answers = answers.replace("access", install_certbot=install_certbot)
    return answers, problems


def field_problems(
    answers: Answers, facts: Facts | None, name: str, text: str, *, required: bool = False
) -> list[Problem]:
    """The verdict on one field as typed (only that field's problems): its grammar (the
    answers file's), then the core's checks."""
    if required and not text.strip():
        return [Problem(f"access.{name}", _("missing: give an existing file"))]
    value, bad = parse(name, text)
    if bad:
        return bad
    changed = answers.replace("access", **{name: value})
    wrong = on_field(grammar_problems(changed), f"access.{name}")
    if wrong or facts is None:
        return wrong
    return on_field(validate(changed, facts), f"access.{name}")


def problems(
    answers: Answers,
    facts: Facts | None,
    typed_problems: list[Problem],
    password: tuple[str, str],
) -> list[Problem]:
    """Every problem of the typed answers: the typed ones, the grammar's, the core's (a field
    reported once is not reported again), the basic-auth password's."""
    out = list(typed_problems)
    out += [p for p in grammar_problems(answers) if p.field not in {q.field for q in out}]
    if facts is not None:
        seen = {p.field for p in out}
        out += [p for p in validate(answers, facts) if p.field not in seen]
    return out + proxy_password_problems(answers, *password)


# -- the basic-auth password ----------------------------------------------------------------


def htpasswd_has_user(answers: Answers) -> bool:
    """Basic auth for this user exists already (an empty proxy password then keeps it)."""
    a = answers.access
    path = Path(a.htpasswd_file) if a.htpasswd_file else DEFAULT_HTPASSWD
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return False
    return any(line.split(":", 1)[0] == a.basic_auth_user for line in lines)


def uses_basic_auth(answers: Answers) -> bool:
    return answers.access.method == "reverse-proxy" and bool(answers.access.basic_auth_user)


def proxy_password_help(answers: Answers) -> str:
    """Under the first entry: an empty one keeps the current password, when there is one."""
    return (
        _("empty = keep the current one")
        if htpasswd_has_user(answers)
        else _("masked; never saved")
    )


def proxy_password_prompt(answers: Answers) -> str:
    """The first entry asked line by line, naming the user."""
    spec = FieldSpec(
        PROXY_PASSWORD.name,
        _("{label} for {user}").format(
            label=PROXY_PASSWORD.label, user=answers.access.basic_auth_user
        ),
    )
    return spec.prompt(_("keep the current one") if htpasswd_has_user(answers) else "")


def proxy_password_problems(answers: Answers, first: str, second: str) -> list[Problem]:
    """The basic-auth password, entered twice (only asked when there is a basic-auth user)."""
    if not uses_basic_auth(answers):
        return []
    if first != second:
        return [Problem("access.proxy_password_again", _("the two entries differ"))]
    if not first and not htpasswd_has_user(answers):
        return [
            Problem(
                "access.proxy_password",
                _("basic auth for {user} needs a password").format(
                    user=repr(answers.access.basic_auth_user)
                ),
            )
        ]
    return []


# -- what the person will do ----------------------------------------------------------------


def instructions(answers: Answers, facts: Facts | None) -> str:
    """What the person will do from their computer (a sketch until the machine is probed)."""
    if facts is not None:
        return access.instructions(answers, facts).render().rstrip("\n")
    net = answers.network
    if answers.access.method == "ssh-tunnel":
        return (_("From your computer:  {command}\nthen open {url}")).format(
            command=f"ssh -N -L {net.port}:localhost:{net.port} USER@THIS-SERVER",
            url=f"http://localhost:{net.port}{net.base_url}",
        )
    return _("Open {url}").format(url=f"http://THIS-SERVER:{net.port}{net.base_url}")


def next_step(answers: Answers, facts: Facts) -> str:
    """The command to run and the URL to open, first on the result and last in the terminal."""
    return access.instructions(answers, facts).next_step()


def ssh_command(answers: Answers, facts: Facts | None) -> str:
    """The exact `ssh -N -L ...` command for the person's computer ("" before the probe)."""
    if facts is None:
        return ""
    return access.instructions(answers, facts).ssh_command
