"""router-tunnel: the LAN address a router-side tunnel or port mapping must point at."""

from __future__ import annotations

import ipaddress
import socket

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.plan.access.base import AccessInfo, AccessUrl, Binding, MethodBase
from wizard.plan.access.shared import classify, url_host
from wizard.plan.plan import Plan
from wizard.plan.steps.network import WILDCARDS, binding_covers, is_loopback
from wizard.probe.facts import Facts


def lan_target(answers: Answers, facts: Facts) -> str | None:
    """The LAN address the router points at (None when it must be chosen)."""
    if answers.access.lan_ip:
        return answers.access.lan_ip
    ip = answers.network.ip
    if ip not in WILDCARDS and not is_loopback(ip):
        return ip
    covered = sorted(
        {
            a.address
            for a in facts.addresses
            if a.family == socket.AF_INET
            and classify(a.address)[0] == "private LAN"
            and binding_covers(ip, a.address)
        }
    )
    return covered[0] if len(covered) == 1 else None


class RouterTunnel(MethodBase):
    name = "router-tunnel"
    label = N_("Through a router / port forward")
    fields = ("lan_ip",)
    binding = Binding.BEYOND_LOOPBACK

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]:
        ip = answers.network.ip
        target = lan_target(answers, facts)
        if target is None:
            choices = sorted(
                {a.address for a in facts.addresses if classify(a.address)[0] == "private LAN"}
            )
            return [
                Problem(
                    "access.lan_ip",
                    _(
                        "choose the LAN address the router points at (this machine has: {addresses})"
                    ).format(addresses=", ".join(choices))
                    if choices
                    else _("choose the LAN address the router points at"),
                )
            ]
        try:
            ipaddress.ip_address(target)
        except ValueError:
            return [
                Problem("access.lan_ip", _("{target!r} is not an IP address").format(target=target))
            ]
        if not facts.has_address(target):
            return [
                Problem(
                    "access.lan_ip",
                    _("{target} is not an address of this machine").format(target=target),
                )
            ]
        if not binding_covers(ip, target):
            return [
                Problem(
                    "network.ip",
                    _(
                        "the router must reach http://{url_host}:{port}, but Jupyter would listen on {ip} only; set network.ip = {target!r}"
                    ).format(
                        url_host=url_host(target), port=answers.network.port, ip=ip, target=target
                    ),
                )
            ]
        return []

    def plan(
        self, plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None
    ) -> None:
        plan.note(
            "risk",
            _(
                "the router's tunnel exposes the login page publicly: the Jupyter password is the only lock"
            ),
        )

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo:
        net = answers.network
        target = lan_target(answers, facts) or "LAN_IP"
        url = f"http://{url_host(target)}:{net.port}{net.base_url}"
        kind, truth = classify(target) if target != "LAN_IP" else ("private LAN", "")
        return AccessInfo(
            method=self.name,
            headline=_("Point the router's tunnel (e.g. DDNSTO) or port mapping at {url}").format(
                url=url
            ),
            urls=(AccessUrl(url, target, kind, truth),),
            steps=(
                _("Open the router's admin page and its tunnel service (or port forwarding)."),
                _("Add a mapping whose target is {url} (address {address}, port {port}).").format(
                    url=url, address=target, port=net.port
                ),
                _(
                    "Give this server a fixed LAN address ({address}): a DHCP reservation on the "
                    "router, or the mapping breaks when it changes."
                ).format(address=target),
                _(
                    "Open the public address the tunnel service shows, and log in with the "
                    "Jupyter password."
                ),
            ),
            limits=(
                _(
                    "One person: JupyterLab has one password and one user (several people need "
                    "JupyterHub)."
                ),
                _(
                    "Whoever knows the public address reaches the login page: the password is the "
                    "only lock."
                ),
                _(
                    "You trust the tunnel provider: without end-to-end HTTPS it can see the "
                    "password and notebooks."
                ),
                _(
                    "Notebooks need WebSockets through the tunnel; if kernels stay 'connecting', "
                    "the provider blocks them."
                ),
            ),
        )

    def needed_addresses(self, answers: Answers, facts: Facts) -> list[str]:
        target = lan_target(answers, facts)
        return [target] if target else []


METHOD = RouterTunnel()
