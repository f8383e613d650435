"""ssh-tunnel: Jupyter stays on loopback; the exact `ssh -L` command for the person's computer."""

from __future__ import annotations

import re
import shlex
import socket

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.i18n import N_, _
from wizard.plan.access.base import (
    AccessInfo,
    AccessUrl,
    Binding,
    CheckContext,
    CheckResult,
    DoctorCheck,
    MethodBase,
    loopback_address,
    skip,
)
from wizard.plan.access.shared import classify, url_host, uses_tls
from wizard.plan.steps.network import is_loopback, validate_ip
from wizard.probe.facts import Facts

_SSH_WORD = re.compile(r"(?!-)[A-Za-z0-9_.:%-]+")  # a user or host: one word, never an option


def ssh_endpoint(answers: Answers, facts: Facts) -> tuple[str, str, int, bool]:
    """(user, host, ssh port, detected) for the tunnel command; detected: from SSH_CONNECTION."""
    a = answers.access
    user = a.ssh_user or facts.person.name or "USER"
    parts = (facts.ssh_connection or "").split()
    detected = len(parts) == 4
    host = a.ssh_host or (parts[2] if detected else socket.gethostname())
    port = a.ssh_port or (int(parts[3]) if detected and parts[3].isdigit() else 22)
    return user, host, port, detected or bool(a.ssh_host)


def _no_host_header_check(ctx: CheckContext) -> CheckResult:
    return skip(
        "host header",
        _(
            "not needed: through the tunnel the browser sends Host: localhost, which Jupyter accepts"
        ),
    )


def _no_firewall_check(ctx: CheckContext) -> CheckResult:
    return skip("firewall", _("not needed: the SSH tunnel reaches Jupyter over loopback"))


class SshTunnel(MethodBase):
    name = "ssh-tunnel"
    label = N_("SSH tunnel (safest: nothing beyond loopback)")
    fields = ("local_port", "ssh_user", "ssh_host", "ssh_port")
    needs_password = False
    binding = Binding.LOOPBACK

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]:
        ip = answers.network.ip
        if is_loopback(ip) or validate_ip(ip, facts):
            return []  # not a usable address at all: the network step names that, once
        return [
            Problem(
                "network.ip",
                _(
                    "ssh-tunnel reaches Jupyter on loopback: set 127.0.0.1 here (listening on {ip} would let other machines reach it, and the tunnel does not need that)"
                ).format(ip=ip),
            )
        ]

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo:
        net, a = answers.network, answers.access
        user, host, sshport, known = ssh_endpoint(answers, facts)
        local = a.local_port or net.port
        target = "[::1]" if net.ip == "::1" else "localhost"
        fwd = f"{local}:{target}:{net.port}"
        port_opt = [] if sshport == 22 else ["-p", str(sshport)]
        for what, value in (("access.ssh_user", user), ("access.ssh_host", host)):
            # Pasted on the person's laptop: never an option, a second line or a config keyword.
            if not _SSH_WORD.fullmatch(value):
                raise InputError(
                    [
                        Problem(
                            what, _("{value!r} cannot go into an ssh command").format(value=value)
                        )
                    ]
                )
        dest = f"{user}@{host}"
        # `--`: whatever the destination looks like, ssh reads no option from it.
        cmd = shlex.join(["ssh", "-N", "-L", fwd, *port_opt, "--", dest])
        bg = shlex.join(
            ["ssh", "-f", "-N", "-o", "ExitOnForwardFailure=yes", "-L", fwd, *port_opt, "--", dest]
        )
        alias = f"jupyter-{socket.gethostname().split('.')[0] or 'server'}"
        cfg = [f"Host {alias}", f"    HostName {host}", f"    User {user}"]
        if sshport != 22:
            cfg.append(f"    Port {sshport}")
        cfg += [f"    LocalForward {local} {target}:{net.port}", "    ExitOnForwardFailure yes"]
        scheme = "https" if uses_tls(answers) else "http"
        warnings = []
        if not known:
            warnings.append(
                _(
                    "not in an SSH session: {host} is this machine's name; use the address you reach it by"
                ).format(host=host)
            )
        return AccessInfo(
            method=self.name,
            headline=_(
                "JupyterLab listens on {host}:{port} (loopback only); reach it through an SSH tunnel."
            ).format(host=url_host(net.ip), port=net.port),
            browser_url=f"{scheme}://localhost:{local}{net.base_url}lab",
            ssh_command=cmd,
            ssh_background=bg,
            ssh_config="\n".join(cfg) + "\n",
            steps=(
                _(
                    "Run the ssh command on your own computer and leave it running (or use the "
                    "background variant)."
                ),
                _("Open the browser URL there and log in with the Jupyter password."),
                _(
                    "If port {port} is busy on your computer, choose another local port "
                    "(access.local_port)."
                ).format(port=local),
            ),
            warnings=tuple(warnings),
            urls=(
                AccessUrl(
                    f"http://{url_host(net.ip if net.ip != 'localhost' else '127.0.0.1')}:{net.port}{net.base_url}",
                    net.ip,
                    *classify("127.0.0.1" if net.ip == "localhost" else net.ip),
                ),
            ),
        )

    def url_targets(
        self, answers: Answers, facts: Facts, info: AccessInfo
    ) -> tuple[list[tuple[str, str]], str]:
        # The URL itself lives on the person's computer; check the tunnel's far end.
        net = answers.network
        far_end = (loopback_address(net.ip), f"localhost:{answers.access.local_port or net.port}")
        return [far_end], info.browser_url

    def doctor_checks(self) -> tuple[DoctorCheck, ...]:
        return (
            DoctorCheck("host header", _no_host_header_check),
            DoctorCheck("firewall", _no_firewall_check),
        )


METHOD = SshTunnel()
