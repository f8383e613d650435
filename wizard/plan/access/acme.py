"""A certificate from an ACME CA (Let's Encrypt by default) through the distribution's certbot.

The wizard's lineage is `<config dir>/live/jupyter-setup-wizard/`. reverse-proxy issues with the
webroot authenticator through its own nginx site (a port-80 server that answers
/.well-known/acme-challenge/ from `webroot` and redirects the rest to HTTPS); direct with
certbot's standalone server on that port. Renewal is certbot's own (the distribution's timer,
`certbot renew`), with one deploy hook of ours in `renewal-hooks/deploy/` that acts only for our
lineage: test and reload nginx, or copy the pair to where the service user may read it and
restart JupyterLab through its service manager.

What an apply had issued (a lineage that was not there before) is journaled; its undo and a
later `rollback` delete it again (`certbot delete`).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import read_file
from wizard.core.grammar import control_problem
from wizard.core.i18n import _
from wizard.plan.access import distro
from wizard.plan.actions import Action, ApplyContext, WriteFile, run_streaming
from wizard.plan.effects import CertificateEffect
from wizard.probe.certificate import read_certificate
from wizard.probe.facts import Facts

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
DEFAULT_CONFIG_DIR = Path("/etc/letsencrypt")
CERT_NAME = "jupyter-setup-wizard"
CHALLENGE_PATH = "/.well-known/acme-challenge/"
TIMEOUT = 300.0
WEBROOT_README = (
    b"jupyter-setup-wizard: certbot --webroot puts the CA's challenge files under\n"
    b".well-known/acme-challenge/ here; nginx serves them on port 80 (http_port).\n"
)


@dataclass(frozen=True)
class AcmeSpec:
    config_dir: Path
    server: str
    email: str
    domains: tuple[str, ...]
    http_port: int
    cert_name: str = CERT_NAME

    @property
    def live(self) -> Path:
        return self.config_dir / "live" / self.cert_name

    @property
    def fullchain(self) -> Path:
        return self.live / "fullchain.pem"

    @property
    def privkey(self) -> Path:
        return self.live / "privkey.pem"

    @property
    def own_dir(self) -> Path:
        """The wizard's own files beside certbot's: the webroot, direct's copy of the pair."""
        return self.config_dir / CERT_NAME

    @property
    def webroot(self) -> Path:
        return self.own_dir / "webroot"

    @property
    def jupyter_pair(self) -> tuple[Path, Path]:
        """direct: the copy JupyterLab reads (0600, its user's) in a root-owned directory."""
        return self.own_dir / "jupyter" / "cert.pem", self.own_dir / "jupyter" / "key.pem"

    @property
    def hook(self) -> Path:
        return self.config_dir / "renewal-hooks" / "deploy" / CERT_NAME


def acme_spec(answers: Answers) -> AcmeSpec:
    a = answers.access
    domains = tuple(a.acme_domains) or ((a.server_name,) if a.server_name else ())
    return AcmeSpec(
        config_dir=Path(a.acme_config_dir) if a.acme_config_dir else DEFAULT_CONFIG_DIR,
        server=a.acme_server or LETS_ENCRYPT,
        email=a.acme_email,
        domains=domains,
        http_port=a.http_port,
    )


# --------------------------------------------------------------------------- certbot's command lines


def certbot_argv(spec: AcmeSpec, *args: str) -> list[str]:
    extra = [] if spec.config_dir == DEFAULT_CONFIG_DIR else ["--config-dir", str(spec.config_dir)]
    return ["certbot", *args, *extra]


def certonly_argv(spec: AcmeSpec, *, webroot: bool, renew: bool = False) -> list[str]:
    """Issue (or, with `renew`, replace) our lineage: webroot through nginx, else standalone."""
    how = ["--webroot", "-w", str(spec.webroot)] if webroot else [
        "--standalone", "--http-01-port", str(spec.http_port)]  # fmt: skip
    argv = certbot_argv(
        spec, "certonly", "--non-interactive", "--agree-tos", "--email", spec.email,
        "--server", spec.server, "--cert-name", spec.cert_name, "--preferred-challenges", "http",
        *how, *(x for d in spec.domains for x in ("-d", d)),
    )  # fmt: skip
    if renew:  # the lineage exists for other names or another CA: replace it now
        argv.append("--force-renewal")
    for value in (spec.email, spec.server, *spec.domains):  # an option in disguise, or a new line
        if value.startswith("-") or control_problem("access", value) is not None:
            raise InputError(
                [
                    Problem(
                        "access",
                        _("{value!r} cannot go on certbot's command line").format(value=value),
                    )
                ]
            )
    return argv


def renewal_server(spec: AcmeSpec) -> str | None:
    """The CA our lineage renews from (its renewal conf's `server`), None without one."""
    raw = read_file(spec.config_dir / "renewal" / f"{spec.cert_name}.conf")
    for line in (raw or b"").decode("utf-8", "replace").splitlines():
        key, eq, value = line.partition("=")
        if eq and key.strip() == "server":
            return value.strip()
    return None


def lineage_matches(spec: AcmeSpec) -> bool:
    """Our lineage exists, for exactly these names, from this CA."""
    cert = read_certificate(spec.fullchain)
    return (
        cert is not None
        and sorted(cert.names) == sorted(spec.domains)
        and renewal_server(spec) == spec.server
    )


class Issue(Action):
    """`certbot certonly` for our lineage (a no-op when it already matches). A lineage that was
    not there before is journaled first, so its undo and a later rollback delete it."""

    def __init__(self, spec: AcmeSpec, *, webroot: bool) -> None:
        self.spec, self.webroot = spec, webroot
        self.target = str(spec.live)
        self.description = _("get a certificate for {items} from {server}").format(
            items=", ".join(spec.domains), server=spec.server
        )
        self._created = False

    def argv(self) -> list[str]:
        return certonly_argv(self.spec, webroot=self.webroot, renew=self.spec.live.exists())

    def is_noop(self) -> bool:
        return lineage_matches(self.spec)

    def preview(self) -> str:
        return "$ " + shlex.join(self.argv()) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        if self.is_noop():
            return
        argv = self.argv()
        if not self.spec.live.exists():
            ctx.journal.record(CertificateEffect(str(self.spec.config_dir), self.spec.cert_name))
            self._created = True
        seen: list[str] = []

        def log(line: str) -> None:
            seen.append(line)
            ctx.log(line)

        try:
            run_streaming(argv, dataclasses.replace(ctx, log=log), env=None, timeout=TIMEOUT)
        except RuntimeError as exc:
            why = [" ".join(s.split()) for s in seen if s.strip().startswith(("Type:", "Detail:"))]
            raise RuntimeError(
                _("certbot got no certificate for {names}: {why}").format(
                    names=", ".join(self.spec.domains), why="; ".join(why) if why else exc
                )
            ) from exc

    def undo(self, ctx: ApplyContext) -> None:
        if self._created:
            DeleteLineage(self.spec.config_dir, self.spec.cert_name).apply(ctx)


class DeleteLineage(Action):
    """`certbot delete` of a lineage an apply issued (its renewal conf, live and archive)."""

    def __init__(self, config_dir: Path, cert_name: str) -> None:
        self.spec = AcmeSpec(config_dir, "", "", (), 80, cert_name)
        self.target = str(self.spec.live)
        self.description = _("delete the certificate {cert_name} that apply had issued").format(
            cert_name=cert_name
        )

    def argv(self) -> list[str]:
        return certbot_argv(
            self.spec, "delete", "--non-interactive", "--cert-name", self.spec.cert_name
        )

    def is_noop(self) -> bool:
        return not self.spec.live.exists()

    def preview(self) -> str:
        return "$ " + shlex.join(self.argv()) + "\n"

    def apply(self, ctx: ApplyContext) -> None:
        if not self.is_noop():
            run_streaming(self.argv(), ctx, env=None, timeout=60)

    # undo: none (a deleted lineage comes back by applying again)


# --------------------------------------------------------------------------- the deploy hook


def render_hook(spec: AcmeSpec, commands: Sequence[Sequence[str]], what: str) -> str:
    """Our deploy hook: a shell script that runs `commands` after certbot renewed our lineage
    (and does nothing for any other). A value with a control character is refused here."""
    for arg in (str(spec.live), *(x for c in commands for x in c)):
        if (p := control_problem("access", arg)) is not None:
            raise InputError([p])
    return "\n".join([
        "#!/bin/sh",
        f"# Written by jupyter-setup-wizard: after certbot renews {spec.cert_name}, {what}.",
        "# certbot runs every script here for every lineage it renews: only ours is ours.",
        f'[ "$RENEWED_LINEAGE" = {shlex.quote(str(spec.live))} ] || exit 0',
        "set -e",
        "umask 077",
        *(shlex.join(c) for c in commands),
        "",
    ])  # fmt: skip


def hook_file(spec: AcmeSpec, commands: Sequence[Sequence[str]], what: str) -> WriteFile:
    text = render_hook(spec, commands, what)
    return WriteFile(
        spec.hook, text.encode(), mode=0o755, owner=(0, 0), why=_("certbot deploy hook")
    )


def read_lineage_file(path: Path) -> bytes | None:
    """A file of certbot's live/ dir: a link into archive/ (certbot's own layout, under root's
    config dir), so the link is resolved first; the file itself is read without following one."""
    return read_file(Path(os.path.realpath(path)))


class CopyFromLineage(WriteFile):
    """WriteFile whose content is a file of the lineage, read when it runs (issued just before)."""

    def __init__(
        self, source: Path, path: Path, *, owner: tuple[int, int] | None, why: str
    ) -> None:
        super().__init__(path, b"", mode=0o600, owner=owner, why=why, dirs_owner=(0, 0))
        self.source = source
        self.description = _("copy {source} to {path} ({why})").format(
            source=source, path=path, why=why
        )

    def is_noop(self) -> bool:
        self.content = read_lineage_file(self.source) or b""
        return self.source.exists() and super().is_noop()

    def preview(self) -> str:
        if self.owner:
            return _("(mode 0600, owned by uid {uid}, in a directory of root's)\n").format(
                uid=self.owner[0]
            )
        return _("(mode 0600, owned by the current user, in a directory of root's)\n")

    def apply(self, ctx: ApplyContext) -> None:
        data = read_lineage_file(self.source)
        if data is None:
            raise RuntimeError(
                _("{source} is missing: certbot issued no certificate").format(source=self.source)
            )
        self.content = data
        super().apply(ctx)


def install_certbot(answers: Answers) -> list[Action]:
    """The distribution's certbot, first, when it is missing and the person consented."""
    if not answers.access.install_certbot or shutil.which("certbot") is not None:
        return []
    return [distro.InstallPackage("certbot", "certbot", _("to get and renew the certificate"))]


# --------------------------------------------------------------------------- before asking the CA


def validate(answers: Answers, facts: Facts, *, through_nginx: bool) -> list[Problem]:
    """What makes issuance fail, found before anything changes; each problem says its fix.
    `through_nginx`: nginx answers the challenge (so it may hold the port); else certbot does."""
    a, spec = answers.access, acme_spec(answers)
    problems = []
    if facts.euid != 0:
        problems.append(Problem("access.tls", _('acme needs root (certbot writes its certificates and answers on port 80): run with sudo')))  # fmt: skip
    if shutil.which("certbot") is None and not a.install_certbot:
        problems.append(Problem("access.install_certbot", _("certbot is not installed: apt install certbot, or let the wizard install it (install_certbot = true)")))  # fmt: skip
    elif shutil.which("certbot") is None and (why := distro.can_install()) is not None:
        problems.append(Problem("access.install_certbot", _("certbot is not installed and cannot be installed here ({why}): install certbot yourself").format(why=why)))  # fmt: skip
    if not a.acme_email:
        problems.append(Problem("access.acme_email", _("missing: the CA's account needs a contact (it warns before expiry)")))  # fmt: skip
    if not spec.domains:
        problems.append(Problem("access.acme_domains", _('missing: the DNS name(s) the certificate is for (or set server_name)')))  # fmt: skip
    for lst in facts.listeners_on(a.http_port):
        if not (through_nginx and (lst.process or "nginx").startswith("nginx")):
            problems.append(Problem("access.http_port", _("port {http_port} is held by {describe}: the CA's HTTP challenge needs it; stop that, or free the port").format(http_port=a.http_port, describe=lst.describe())))  # fmt: skip
            break
    if a.certfile or a.keyfile or a.self_signed:
        problems.append(Problem("access.certfile", _('tls = "acme" makes its own pair: leave certfile, keyfile and self_signed unset')))  # fmt: skip
    return problems


def notes(answers: Answers, facts: Facts) -> list[tuple[str, str]]:
    """What can only be warned about: where the names resolve, the production CA's limits."""
    spec, out = acme_spec(answers), []
    mine = {x.address for x in facts.addresses}
    for name in spec.domains:
        try:
            found = {str(i[4][0]) for i in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
        except OSError:
            out.append(("warning", _("{name} does not resolve from here; the CA must resolve it to this machine (or its router's public address)").format(name=name)))  # fmt: skip
            continue
        if not found & mine:
            out.append(("info", _("{name} resolves to {addresses}, not an address of this machine: fine behind a router forwarding port {port}, else fix its DNS record").format(name=name, addresses=", ".join(sorted(found)), port=spec.http_port)))  # fmt: skip
    if spec.server == LETS_ENCRYPT:
        out.append(("info", _("Let's Encrypt's production CA limits failures (5 an hour per name): test with its staging directory (acme_server) if unsure")))  # fmt: skip
    return out
