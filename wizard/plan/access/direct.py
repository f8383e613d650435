"""direct: the URLs of this server's addresses, each with what it really means (TLS optional)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.fileops import owner_for_new
from wizard.core.i18n import N_, _
from wizard.plan.access.base import AccessInfo, AccessUrl, Binding, DoctorCheck, MethodBase, Tls
from wizard.plan.access.shared import (
    certificate_check,
    classify,
    plan_self_signed,
    tls_mode,
    tls_pair,
    url_host,
    uses_tls,
    validate_tls,
)
from wizard.plan.actions import Action, WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps.network import WILDCARDS, binding_covers, is_loopback
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import TraitKey


def jupyter_owner(answers: Answers, facts: Facts) -> tuple[int, int] | None:
    from wizard.plan.service.step import config_owner

    return config_owner(answers, facts)


def renewal_hook(answers: Answers, facts: Facts) -> WriteFile:
    """certbot's deploy hook for our lineage: copy the pair for JupyterLab's user, then restart
    JupyterLab through its service manager (if it runs)."""
    from wizard.plan.access import acme
    from wizard.plan.service.managers import controller_for

    spec = acme.acme_spec(answers)
    uid, gid = jupyter_owner(answers, facts) or (facts.euid, os.getegid())
    commands = [
        ["install", "-m", "0600", "-o", str(uid), "-g", str(gid), str(src), str(dst)]
        for src, dst in zip((spec.fullchain, spec.privkey), spec.jupyter_pair, strict=True)
    ]
    svc = answers.service
    restart = controller_for(svc.manager, svc.name, config_dir=facts.config_dir).try_restart_argv()
    commands += [restart] if restart else []
    return acme.hook_file(spec, commands, "copy the pair for JupyterLab and restart it")


def direct_urls(answers: Answers, facts: Facts) -> list[AccessUrl]:
    """One URL per address the binding covers, most useful first; loopback only if nothing else."""
    net = answers.network
    scheme = "https" if uses_tls(answers) else "http"
    order = {"private LAN": 0, "public": 1, "IPv6": 2, "link-local": 3, "loopback": 4}
    seen: dict[str, AccessUrl] = {}
    bind = "127.0.0.1" if net.ip == "localhost" else net.ip
    for a in facts.addresses:
        if a.address in seen or not binding_covers(bind, a.address):
            continue
        kind, truth = classify(a.address)
        if kind == "link-local" and ":" in a.address:
            continue  # needs a %zone browsers do not accept
        url = f"{scheme}://{url_host(a.address)}:{net.port}{net.base_url}"
        seen[a.address] = AccessUrl(url, a.address, kind, truth)
    if bind not in WILDCARDS and bind not in seen and not is_loopback(bind):
        kind, truth = classify(bind)
        seen[bind] = AccessUrl(
            f"{scheme}://{url_host(bind)}:{net.port}{net.base_url}", bind, kind, truth
        )
    urls = sorted(seen.values(), key=lambda u: (order.get(u.kind, 5), u.address))
    non_loop = [u for u in urls if u.kind != "loopback"]
    return non_loop or urls


class Direct(MethodBase):
    name = "direct"
    label = N_("Direct: browse to this machine's address and port")
    fields = ("self_signed", "certfile", "keyfile", "tls", "acme_email", "acme_domains",
              "acme_server", "acme_config_dir", "http_port", "install_certbot")  # fmt: skip
    binding = Binding.BEYOND_LOOPBACK
    tls = Tls.OPTIONAL
    wider_binding = "0.0.0.0"

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]:
        problems = []
        if is_loopback(answers.network.ip):
            problems.append(
                Problem(
                    "network.ip",
                    _(
                        "direct access needs a binding beyond loopback: an address of this machine, 0.0.0.0 or all"
                    ),
                )
            )
        return problems + validate_tls(answers, facts, required=False)

    def jupyter_settings(self, answers: Answers, facts: Facts) -> dict[TraitKey, Any]:
        if not uses_tls(answers):
            return {}
        cert, key = tls_pair(answers, facts, for_jupyter=True)
        return {("ServerApp", "certfile"): cert, ("ServerApp", "keyfile"): key}

    def plan(
        self, plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None
    ) -> None:
        if not uses_tls(answers):
            plan.note(
                "warning",
                _(
                    "no TLS: the password and notebooks cross the network in clear text; set certfile/keyfile or self_signed = true"
                ),
            )
        names = [u.address for u in direct_urls(answers, facts)]
        plan_self_signed(plan, answers, facts, for_jupyter=True, names=names,
                         owner=owner_for_new(Path(facts.config_dir) / "tls"))  # fmt: skip
        if tls_mode(answers) == "acme":
            from wizard.plan.access import acme

            hook = renewal_hook(answers, facts)
            plan.actions.append(hook)
            for severity, text in acme.notes(answers, facts):
                plan.note(severity, text)
            if b"try-restart" not in (hook.content or b""):
                plan.note("warning", _('{manager}: nothing restarts JupyterLab after a renewal; restart it yourself then (jupyter-setup-wizard service restart)').format(manager=answers.service.manager))  # fmt: skip

    def prerequisites(self, answers: Answers, facts: Facts) -> list[Action]:
        """ACME, first in the plan: certbot's own server on port 80 gets the certificate, then
        a copy of the pair goes where JupyterLab (its user) may read it."""
        from wizard.plan.access import acme

        if tls_mode(answers) != "acme":
            return []
        spec = acme.acme_spec(answers)
        owner = jupyter_owner(answers, facts)
        cert, key = spec.jupyter_pair
        return [
            *acme.install_certbot(answers),
            acme.Issue(spec, webroot=False),
            acme.CopyFromLineage(
                spec.fullchain, cert, owner=owner, why=_("JupyterLab's certificate")
            ),
            acme.CopyFromLineage(spec.privkey, key, owner=owner, why=_("JupyterLab's key")),
        ]

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo:
        urls = tuple(direct_urls(answers, facts))
        warnings = []
        if not uses_tls(answers):
            warnings.append(_("no TLS: the password travels in clear text beyond this machine"))
        if any(u.kind in ("public", "IPv6") for u in urls):
            warnings.append(_("a public address: check the firewall and use a long password"))
        net = answers.network
        return AccessInfo(
            method=self.name,
            headline=_(
                "JupyterLab listens on {address} port {port}; open one of these from your computer:"
            ).format(address=_(WILDCARDS.get(net.ip, net.ip)), port=net.port),
            urls=urls,
            browser_url=urls[0].url + "lab" if urls else "",
            steps=(
                _("Open the URL that matches where your computer is (same LAN: the private one)."),
                _("Log in with the Jupyter password."),
            ),
            warnings=tuple(warnings),
        )

    def needed_addresses(self, answers: Answers, facts: Facts) -> list[str]:
        urls = direct_urls(answers, facts)
        return [u.address for u in urls if u.kind != "loopback"] or [answers.network.ip]

    def doctor_checks(self) -> tuple[DoctorCheck, ...]:
        return (certificate_check(),)

    def jupyter_scheme(self, answers: Answers) -> str:
        return "https" if uses_tls(answers) else "http"

    def tls_endpoint(self, answers: Answers) -> tuple[str, int, str] | None:
        from wizard.plan.access.acme import acme_spec

        if not uses_tls(answers):
            return None
        ip = answers.network.ip
        host = {"localhost": "127.0.0.1", "0.0.0.0": "127.0.0.1", "all": "127.0.0.1",
                "::": "::1"}.get(ip, ip)  # fmt: skip
        names = acme_spec(answers).domains if tls_mode(answers) == "acme" else ()
        return host, answers.network.port, next(iter(names), "")


METHOD = Direct()
