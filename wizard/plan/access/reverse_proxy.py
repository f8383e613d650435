"""reverse-proxy: nginx with TLS (and optional basic auth) in front of a loopback Jupyter."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.i18n import N_, _
from wizard.plan.access.acme import acme_spec
from wizard.plan.access.base import (
    AccessInfo,
    AccessUrl,
    Binding,
    CheckContext,
    CheckResult,
    DoctorCheck,
    MethodBase,
    Tls,
    skip,
)
from wizard.plan.access.shared import (
    certificate_check,
    classify,
    plan_self_signed,
    tls_mode,
    tls_pair,
    validate_tls,
)
from wizard.plan.actions import Action, Look, Poll, WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps.network import WILDCARDS, is_loopback
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import TraitKey

if TYPE_CHECKING:
    from wizard.plan.access.nginx import ProxySpec


def proxy_spec(answers: Answers, facts: Facts) -> ProxySpec:
    from wizard.plan.access.nginx import DEFAULT_HTPASSWD, ProxySpec

    a = answers.access
    cert, key = tls_pair(answers, facts, for_jupyter=False)
    acme = tls_mode(answers) == "acme"
    return ProxySpec(
        jupyter_port=answers.network.port,
        base_url=answers.network.base_url,
        https_port=a.https_port,
        certfile=cert,
        keyfile=key,
        server_name=a.server_name,
        listen_ip=a.listen_ip,
        htpasswd=(a.htpasswd_file or str(DEFAULT_HTPASSWD)) if a.basic_auth_user else "",
        ipv6=any(x.family == socket.AF_INET6 for x in facts.addresses),
        http_port=a.http_port if acme else 0,
        acme_webroot=str(acme_spec(answers).webroot) if acme else "",
    )


def site_path(answers: Answers) -> Path:
    from wizard.plan.access.nginx import DEFAULT_SITE

    return Path(answers.access.nginx_site) if answers.access.nginx_site else DEFAULT_SITE


def renewal_hook(answers: Answers, facts: Facts) -> WriteFile:
    """certbot's deploy hook for our lineage: `nginx -t`, then reload (JupyterLab is untouched)."""
    from wizard.plan.access import acme, nginx

    conf = answers.access.nginx_conf
    commands = [nginx.nginx_argv(conf, "-t"), nginx.reload_argv(conf, facts.systemd_running)]
    return acme.hook_file(acme.acme_spec(answers), commands, "test nginx and reload it")


def _htpasswd_has_user(path: Path, user: str) -> bool:
    try:
        return any(line.split(":", 1)[0] == user for line in path.read_text().splitlines())
    except OSError:
        return False


# --------------------------------------------------------------------------- doctor


def check_urls(ctx: CheckContext) -> CheckResult:
    """The advertised URL answers through nginx (and with the basic-auth credentials, if given)."""
    from wizard.plan.access.nginx import probe_basic_auth, probe_site

    answers, net = ctx.answers, ctx.answers.network
    spec = proxy_spec(answers, ctx.facts)
    problem = probe_site(spec, jupyter_expected=True)
    if problem is None and ctx.proxy_password and answers.access.basic_auth_user:
        status = probe_basic_auth(spec, answers.access.basic_auth_user, ctx.proxy_password)
        if status != 200:
            problem = _("with the basic-auth credentials {base_url}api answered {status}").format(
                base_url=net.base_url, status=status
            )
    if problem:
        return CheckResult(
            "advertised URLs",
            False,
            f"{spec.url()}: {problem}",
            _(
                "check nginx (nginx -t; its error log) and that Jupyter runs on "
                "127.0.0.1:{port} with base_url {base_url}"
            ).format(port=net.port, base_url=net.base_url),
        )
    return CheckResult(
        "advertised URLs", True, _("{url} answers through nginx").format(url=spec.url())
    )


def check_websocket(ctx: CheckContext) -> CheckResult:
    """nginx forwards WebSocket upgrades: its site (static), or a live handshake with --password-stdin."""
    from wizard.plan.access.nginx import DEFAULT_SITE, site_has_websocket_headers
    from wizard.probe.http import WebSocket, basic_auth, jupyter_login, url_host

    name = "proxy websocket"
    a, password, proxy_password = ctx.answers.access, ctx.password, ctx.proxy_password
    site = Path(a.nginx_site) if a.nginx_site else DEFAULT_SITE
    fix = _(
        "re-apply the reverse-proxy step: its site sets proxy_http_version 1.1 and the "
        "Upgrade/Connection headers"
    )
    try:
        missing = site_has_websocket_headers(site.read_text())
    except OSError:
        missing = None
    if missing:
        return CheckResult(
            name,
            False,
            _("{site} lacks: {missing} (kernels would stay 'connecting')").format(
                site=site, missing="; ".join(missing)
            ),
            fix,
        )
    if not password:
        if missing is None:
            return skip(
                name,
                _("cannot read {site}; pass --password-stdin for a live handshake").format(
                    site=site
                ),
            )
        return CheckResult(
            name,
            True,
            _(
                "{site} forwards WebSocket upgrades (static check; --password-stdin for a live one)"
            ).format(site=site),
        )
    spec = proxy_spec(ctx.answers, ctx.facts)
    hh = f"{url_host(spec.public_host)}:{spec.https_port}"
    extra = (
        basic_auth(a.basic_auth_user, proxy_password)
        if a.basic_auth_user and proxy_password
        else {}
    )
    session = jupyter_login("https", spec.check_host, spec.https_port, spec.base_url, password,
                            host_header=hh, extra_headers=extra, timeout=ctx.timeout + 5)  # fmt: skip
    if isinstance(session, str):
        return CheckResult(
            name,
            False,
            _("could not log in through {url}: {error}").format(url=spec.url(), error=session),
            _("check the password (and the basic-auth one)"),
        )
    try:
        ws = WebSocket.open(
            "https", spec.check_host, spec.https_port, f"{spec.base_url}api/events/subscribe",
            host_header=hh, origin=f"https://{hh}",
            headers={**extra, "Cookie": session.cookie_header}, timeout=ctx.timeout + 5,
        )  # fmt: skip
        ws.close()  # the status line is the answer
        line = ws.status_line
    except OSError as exc:
        return CheckResult(
            name,
            False,
            _("WebSocket handshake through nginx failed: {error}").format(error=exc),
            fix,
        )
    if " 101 " not in f"{line} ":
        return CheckResult(
            name,
            False,
            _("WebSocket handshake through nginx answered {line!r}, not 101").format(line=line),
            fix,
        )
    return CheckResult(name, True, _("a WebSocket handshake through nginx completes (101)"))


# --------------------------------------------------------------------------- the method


class ReverseProxy(MethodBase):
    name = "reverse-proxy"
    label = N_("Behind a reverse proxy (nginx with TLS)")
    fields = ("server_name", "https_port", "listen_ip", "self_signed", "certfile", "keyfile",
              "tls", "acme_email", "acme_domains", "acme_server", "acme_config_dir", "http_port",
              "install_certbot", "basic_auth_user", "htpasswd_file", "nginx_site", "nginx_conf")  # fmt: skip
    binding = Binding.LOOPBACK
    tls = Tls.REQUIRED

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]:
        a, net = answers.access, answers.network
        problems: list[Problem] = []
        if not is_loopback(net.ip):
            problems.append(
                Problem(
                    "network.ip",
                    _(
                        "behind a reverse proxy Jupyter stays on loopback (127.0.0.1), not {ip}: nginx is the only way in"
                    ).format(ip=net.ip),
                )
            )
        if shutil.which("nginx") is None:
            problems.append(
                Problem("access.method", _("nginx is not installed: sudo apt install nginx-light"))
            )
        site = Path(a.nginx_site) if a.nginx_site else None
        if site is not None and not site.is_absolute():
            problems.append(
                Problem(
                    "access.nginx_site",
                    _("{nginx_site!r} must be an absolute path").format(nginx_site=a.nginx_site),
                )
            )
        elif site is None and not Path("/etc/nginx/conf.d").is_dir() and shutil.which("nginx"):
            problems.append(
                Problem("access.nginx_site", _("/etc/nginx/conf.d does not exist: give nginx_site"))
            )
        if a.nginx_conf and not Path(a.nginx_conf).is_file():
            problems.append(
                Problem(
                    "access.nginx_conf",
                    _("{nginx_conf} does not exist").format(nginx_conf=a.nginx_conf),
                )
            )
        if a.basic_auth_user and (
            ":" in a.basic_auth_user or a.basic_auth_user.strip() != a.basic_auth_user
        ):
            problems.append(
                Problem("access.basic_auth_user", _("must not contain ':' or spaces at the ends"))
            )
        if a.https_port == net.port:
            problems.append(
                Problem(
                    "access.https_port",
                    _("{https_port} is Jupyter's own port").format(https_port=a.https_port),
                )
            )
        for lst in facts.listeners_on(a.https_port):
            if (lst.process or "").startswith("nginx") or lst.pid is None:
                continue
            problems.append(
                Problem(
                    "access.https_port",
                    _("port {https_port} is in use by {describe}").format(
                        https_port=a.https_port, describe=lst.describe()
                    ),
                )
            )
            break
        listen = a.listen_ip
        if (
            listen
            and listen not in WILDCARDS
            and not is_loopback(listen)
            and not facts.has_address(listen)
        ):
            problems.append(
                Problem(
                    "access.listen_ip",
                    _("{listen} is not an address of this machine").format(listen=listen),
                )
            )
        return problems + validate_tls(answers, facts, required=True, through_nginx=True)

    def jupyter_settings(self, answers: Answers, facts: Facts) -> dict[TraitKey, Any]:
        return {
            # Behind nginx: trust X-Forwarded-*/X-Scheme for the client address and https.
            ("ServerApp", "trust_xheaders"): True,
            # Requests arrive with the proxy's Host (a DNS name): not "local", so allow them.
            ("ServerApp", "allow_remote_access"): True,
            # nginx speaks plain HTTP to Jupyter: TLS of Jupyter's own would break the proxy.
            ("ServerApp", "certfile"): "",
            ("ServerApp", "keyfile"): "",
            ("ServerApp", "ssl_options"): {},
        }

    def plan(
        self, plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None
    ) -> None:
        from wizard.core.passwords import htpasswd_line
        from wizard.plan.access import nginx

        a = answers.access
        # a no-op when the pair exists already
        plan_self_signed(plan, answers, facts, for_jupyter=False, names=[], owner=None)
        spec = proxy_spec(answers, facts)
        site = site_path(answers)
        files: list[WriteFile] = [
            WriteFile(site, nginx.render_site(spec).encode(), mode=0o644, why=_("nginx site"))
        ]
        if spec.htpasswd:
            path = Path(spec.htpasswd)
            if proxy_password:
                line = htpasswd_line(a.basic_auth_user, proxy_password) + "\n"
                files.append(
                    nginx.HtpasswdFile(path, line.encode(), mode=0o640,
                                       owner=nginx.htpasswd_owner(), why=_('basic auth'))
                )  # fmt: skip
            elif not _htpasswd_has_user(path, a.basic_auth_user):
                raise InputError(
                    [
                        Problem(
                            "access.basic_auth_user",
                            _(
                                "basic auth for {basic_auth_user!r} needs its password (apply --proxy-password-stdin)"
                            ).format(basic_auth_user=a.basic_auth_user),
                        )
                    ]
                )
        site_action = nginx.NginxSite(files, a.nginx_conf, facts.systemd_running)
        if tls_mode(answers) == "acme":
            plan.actions.append(renewal_hook(answers, facts))
        plan.actions.append(site_action)
        jupyter_running = (
            any(
                is_loopback(lst.address) or lst.address in WILDCARDS
                for lst in facts.listeners_on(answers.network.port)
            )
            or answers.service.manager != "none"
        )
        plan.actions.append(
            Poll(
                (
                    _("nginx serves {url} (TLS, our site, basic auth asked)")
                    if spec.htpasswd
                    else _("nginx serves {url} (TLS, our site)")
                ).format(url=spec.url()),
                lambda: Look.problem(nginx.probe_site(spec, jupyter_expected=jupyter_running)),
                after=[site_action],
            )
        )
        if tls_mode(answers) == "acme":
            from wizard.plan.access import acme

            for severity, text in acme.notes(answers, facts):
                plan.note(severity, text)
        plan.note("info", _("JupyterLab will be at {url} (through nginx)").format(url=spec.url()))

    def prerequisites(self, answers: Answers, facts: Facts) -> list[Action]:
        """ACME, first in the plan: nginx answers the challenge on port 80, certbot gets the
        certificate (nothing else has changed when that fails). Nothing when it is in place."""
        from wizard.plan.access import acme, nginx

        if tls_mode(answers) != "acme":
            return []
        spec, issue = proxy_spec(answers, facts), acme.Issue(acme.acme_spec(answers), webroot=True)
        certbot = acme.install_certbot(answers)
        if issue.is_noop():
            return certbot
        a = answers.access
        challenge = WriteFile(site_path(answers), nginx.render_challenge_site(spec).encode(),
                              mode=0o644, why=_('nginx site: the ACME challenge only, for now'))  # fmt: skip
        webroot = WriteFile(issue.spec.webroot / "README", acme.WEBROOT_README, mode=0o644,
                            why=_("certbot's webroot, served by nginx on port 80"))  # fmt: skip
        site = nginx.NginxSite([challenge], a.nginx_conf, facts.systemd_running)
        return [*certbot, webroot, site, issue]

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo:
        spec = proxy_spec(answers, facts)
        kind, truth = classify(spec.public_host)
        a = answers.access
        steps = [_("Open {url} in your browser.").format(url=spec.url())]
        if tls_mode(answers) == "self-signed":
            steps.append(
                _(
                    "The certificate is self-signed: the browser warns once; compare the "
                    "fingerprint (openssl x509 -in {certfile} -noout -fingerprint -sha256)."
                ).format(certfile=spec.certfile)
            )
        if tls_mode(answers) == "acme":
            steps.append(
                _(
                    "The certificate is from {server}; certbot renews it (its timer) and reloads "
                    "nginx."
                ).format(server=acme_spec(answers).server)
            )
        if a.basic_auth_user:
            steps.append(
                _("The browser asks for a user name first: {user} and the proxy password.").format(
                    user=a.basic_auth_user
                )
            )
        steps.append(_("Then log in with the Jupyter password."))
        return AccessInfo(
            method=self.name,
            headline=_(
                "nginx serves JupyterLab over HTTPS at {url}; Jupyter itself stays on "
                "127.0.0.1:{port}."
            ).format(url=spec.url(), port=answers.network.port),
            urls=(AccessUrl(spec.url(), spec.public_host, kind, truth),),
            browser_url=spec.url() + "lab",
            steps=tuple(steps),
        )

    def exposed_port(self, answers: Answers) -> int | None:
        return answers.access.https_port

    def tls_endpoint(self, answers: Answers) -> tuple[str, int, str] | None:
        from wizard.plan.access.nginx import check_host

        a = answers.access
        name = a.server_name or next(iter(acme_spec(answers).domains), "")
        return check_host(a.listen_ip), a.https_port, name

    def doctor_checks(self) -> tuple[DoctorCheck, ...]:
        return (
            DoctorCheck("advertised URLs", check_urls),
            DoctorCheck("proxy websocket", check_websocket, elsewhere=N_("no proxy in {method}")),
            certificate_check(),
        )


METHOD = ReverseProxy()
