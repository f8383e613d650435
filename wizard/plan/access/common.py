"""Access step: how the person reaches JupyterLab from their own computer.

Four methods, each with its validation, its plan actions and `instructions()` (pure: answers
and facts in, what the person needs out):
- ssh-tunnel: Jupyter stays on loopback; the exact `ssh -L` command for the person's computer.
- direct: the URLs of this server's addresses, each with what it really means.
- router-tunnel: the LAN address a router-side tunnel or port mapping must point at.
- reverse-proxy: nginx with TLS (and optional basic auth) in front of a loopback Jupyter.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import shlex
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.plan.actions import Look, Poll, WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps.network import WILDCARDS, binding_covers, is_loopback
from wizard.probe.facts import Facts

METHODS = ("ssh-tunnel", "direct", "router-tunnel", "reverse-proxy")
NEEDS_PASSWORD = ("direct", "router-tunnel", "reverse-proxy")
# RFC 1918, carrier-grade NAT (shared, e.g. Tailscale) and IPv6 unique-local. Not Python's
# is_private, which also counts documentation and reserved ranges.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


# --------------------------------------------------------------------------- what an address is


def classify(address: str) -> tuple[str, str]:
    """(kind, the one-line truth) for an address: loopback / private LAN / public / link-local / IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "name", "a DNS name: reachable wherever it resolves and the server answers"
    if ip.is_loopback:
        return (
            "loopback",
            "only programs on this server itself; from your computer use an SSH tunnel",
        )
    if ip.is_link_local:
        return (
            "link-local",
            "only from a computer on the same network segment, and it can change; not for bookmarks",
        )
    if any(ip.version == n.version and ip in n for n in _PRIVATE):
        return (
            "private LAN",
            "reachable from the same local network (or a VPN into it), not from the internet",
        )
    if ip.version == 6:
        return (
            "IPv6",
            "a global IPv6 address: reachable from any IPv6 client on the internet unless a firewall blocks it",
        )
    return (
        "public",
        "reachable from the whole internet unless a firewall blocks it: anyone can try the password",
    )


def url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


# --------------------------------------------------------------------------- derived choices


def uses_tls(answers: Answers) -> bool:
    a = answers.access
    return bool(a.certfile or a.self_signed)


def tls_pair(answers: Answers, facts: Facts) -> tuple[str, str]:
    """The cert/key paths in use: given ones, or where a self-signed pair is made."""
    a = answers.access
    if a.certfile or not a.self_signed:
        return a.certfile, a.keyfile
    # Jupyter (direct) runs as the person: its pair lives in their config dir; nginx's in /etc.
    from wizard.plan.access.tls import DEFAULT_DIR, default_pair

    d = Path(facts.config_dir) / "tls" if a.method == "direct" else DEFAULT_DIR
    cert, key = default_pair(d)
    return str(cert), str(key)


def lan_target(answers: Answers, facts: Facts) -> str | None:
    """router-tunnel: the LAN address the router points at (None when it must be chosen)."""
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


def ssh_endpoint(answers: Answers, facts: Facts) -> tuple[str, str, int, bool]:
    """(user, host, ssh port, detected) for the tunnel command; detected: from SSH_CONNECTION."""
    a = answers.access
    user = a.ssh_user or facts.person.name or "USER"
    parts = (facts.ssh_connection or "").split()
    detected = len(parts) == 4
    host = a.ssh_host or (parts[2] if detected else socket.gethostname())
    port = a.ssh_port or (int(parts[3]) if detected and parts[3].isdigit() else 22)
    return user, host, port, detected or bool(a.ssh_host)


def proxy_spec(answers: Answers, facts: Facts) -> Any:
    from wizard.plan.access.nginx import DEFAULT_HTPASSWD, ProxySpec

    a = answers.access
    cert, key = tls_pair(answers, facts)
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
    )


def needs_password(answers: Answers) -> bool:
    return answers.access.method in NEEDS_PASSWORD


def jupyter_settings(answers: Answers, facts: Facts) -> dict[tuple[str, str], Any]:
    """ServerApp traits the access method decides (always written, so switching method resets them)."""
    a = answers.access
    direct_tls = a.method == "direct" and uses_tls(answers)
    cert, key = tls_pair(answers, facts) if direct_tls else ("", "")
    out: dict[tuple[str, str], Any] = {
        ("ServerApp", "certfile"): cert,
        ("ServerApp", "keyfile"): key,
        # Behind nginx: trust X-Forwarded-*/X-Scheme for the client address and https.
        ("ServerApp", "trust_xheaders"): a.method == "reverse-proxy",
    }
    if a.method == "reverse-proxy":
        # Requests arrive with the proxy's Host (a DNS name): not "local", so allow them.
        out[("ServerApp", "allow_remote_access")] = True
    return out


# --------------------------------------------------------------------------- validation


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    a, net = answers.access, answers.network
    if a.method not in METHODS:
        return [Problem("access.method", f"must be one of: {', '.join(METHODS)}")]
    problems: list[Problem] = []
    for name in ("local_port", "ssh_port", "https_port"):
        value = getattr(a, name)
        if not 0 <= value <= 65535 or (name == "https_port" and value == 0):
            problems.append(Problem(f"access.{name}", f"{value} is not a port (1-65535)"))
    if a.method == "ssh-tunnel" and not is_loopback(net.ip):
        problems.append(
            Problem(
                "network.ip",
                f"ssh-tunnel keeps Jupyter on loopback (127.0.0.1): the tunnel needs nothing more, and {net.ip} would expose it",
            )
        )
    elif a.method == "direct":
        if is_loopback(net.ip):
            problems.append(
                Problem(
                    "network.ip",
                    "direct access needs a binding beyond loopback: an address of this machine, 0.0.0.0 or all",
                )
            )
        problems += _validate_tls(answers)
    elif a.method == "router-tunnel":
        problems += _validate_router(answers, facts)
    elif a.method == "reverse-proxy":
        problems += _validate_proxy(answers, facts)
    return problems


def _validate_tls(answers: Answers) -> list[Problem]:
    from wizard.plan.access.tls import validate_pair

    a = answers.access
    if not uses_tls(answers) and not a.keyfile:
        return []
    return validate_pair(a.certfile, a.keyfile, self_signed=a.self_signed, field="access")


def _validate_router(answers: Answers, facts: Facts) -> list[Problem]:
    ip = answers.network.ip
    target = lan_target(answers, facts)
    if target is None:
        choices = sorted(
            {a.address for a in facts.addresses if classify(a.address)[0] == "private LAN"}
        )
        return [
            Problem(
                "access.lan_ip",
                "choose the LAN address the router points at"
                + (f" (this machine has: {', '.join(choices)})" if choices else ""),
            )
        ]
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return [Problem("access.lan_ip", f"{target!r} is not an IP address")]
    if not facts.has_address(target):
        return [Problem("access.lan_ip", f"{target} is not an address of this machine")]
    if not binding_covers(ip, target):
        return [
            Problem(
                "network.ip",
                f"the router must reach http://{url_host(target)}:{answers.network.port}, but Jupyter would listen on {ip} only; set network.ip = {target!r}",
            )
        ]
    return []


def _validate_proxy(answers: Answers, facts: Facts) -> list[Problem]:
    from wizard.plan.access.tls import validate_pair

    a, net = answers.access, answers.network
    problems: list[Problem] = []
    if not is_loopback(net.ip):
        problems.append(
            Problem(
                "network.ip",
                f"behind a reverse proxy Jupyter stays on loopback (127.0.0.1), not {net.ip}: nginx is the only way in",
            )
        )
    if shutil.which("nginx") is None:
        problems.append(
            Problem("access.method", "nginx is not installed: sudo apt install nginx-light")
        )
    site = Path(a.nginx_site) if a.nginx_site else None
    if site is not None and not site.is_absolute():
        problems.append(Problem("access.nginx_site", f"{a.nginx_site!r} must be an absolute path"))
    elif site is None and not Path("/etc/nginx/conf.d").is_dir() and shutil.which("nginx"):
        problems.append(
            Problem("access.nginx_site", "/etc/nginx/conf.d does not exist: give nginx_site")
        )
    if a.nginx_conf and not Path(a.nginx_conf).is_file():
        problems.append(Problem("access.nginx_conf", f"{a.nginx_conf} does not exist"))
    if a.basic_auth_user and (
        ":" in a.basic_auth_user or a.basic_auth_user.strip() != a.basic_auth_user
    ):
        problems.append(
            Problem("access.basic_auth_user", "must not contain ':' or spaces at the ends")
        )
    if a.https_port == net.port:
        problems.append(Problem("access.https_port", f"{a.https_port} is Jupyter's own port"))
    for lst in facts.listeners_on(a.https_port):
        if (lst.process or "").startswith("nginx") or lst.pid is None:
            continue
        problems.append(
            Problem("access.https_port", f"port {a.https_port} is in use by {lst.describe()}")
        )
        break
    listen = a.listen_ip
    if (
        listen
        and listen not in WILDCARDS
        and not is_loopback(listen)
        and not facts.has_address(listen)
    ):
        problems.append(Problem("access.listen_ip", f"{listen} is not an address of this machine"))
    problems += validate_pair(a.certfile, a.keyfile, self_signed=a.self_signed, field="access")
    return problems


# --------------------------------------------------------------------------- plan


def plan_access(
    plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None = None
) -> None:
    a = answers.access
    if a.method in ("direct", "router-tunnel"):
        if a.method == "direct" and not uses_tls(answers):
            plan.note(
                "warning",
                "no TLS: the password and notebooks cross the network in clear text; set certfile/keyfile or self_signed = true",
            )
        if a.method == "direct" and a.self_signed:
            _plan_self_signed(plan, answers, facts, owner=_config_owner(facts))
        if a.method == "router-tunnel":
            plan.note(
                "risk",
                "the router's tunnel exposes the login page publicly: the Jupyter password is the only lock",
            )
    elif a.method == "reverse-proxy":
        _plan_proxy(plan, answers, facts, proxy_password)


def _config_owner(facts: Facts) -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    from wizard.core.fileops import nearest_existing

    st = nearest_existing(Path(facts.config_dir)).stat()
    return st.st_uid, st.st_gid


def _plan_self_signed(
    plan: Plan, answers: Answers, facts: Facts, owner: tuple[int, int] | None
) -> None:
    from wizard.plan.access.tls import MakeSelfSigned

    cert, key = tls_pair(answers, facts)
    names = [answers.access.server_name] if answers.access.server_name else []
    if answers.access.method == "direct":
        names += [u.address for u in direct_urls(answers, facts)]
    names += ["localhost", "127.0.0.1", socket.gethostname()]
    plan.actions.append(MakeSelfSigned(Path(cert), Path(key), names, owner))
    plan.note(
        "info",
        f"self-signed certificate {cert}: browsers warn once; compare its fingerprint (openssl x509 -in {cert} -noout -fingerprint -sha256)",
    )


def _plan_proxy(plan: Plan, answers: Answers, facts: Facts, proxy_password: str | None) -> None:
    from wizard.core.passwords import htpasswd_line
    from wizard.plan.access import nginx

    a = answers.access
    if a.self_signed:  # a no-op when the pair exists already
        _plan_self_signed(plan, answers, facts, owner=None)
    spec = proxy_spec(answers, facts)
    site = Path(a.nginx_site) if a.nginx_site else nginx.DEFAULT_SITE
    files: list[WriteFile] = [
        WriteFile(site, nginx.render_site(spec).encode(), mode=0o644, why="nginx site")
    ]
    if spec.htpasswd:
        path = Path(spec.htpasswd)
        if proxy_password:
            line = htpasswd_line(a.basic_auth_user, proxy_password) + "\n"
            files.append(
                nginx.HtpasswdFile(
                    path, line.encode(), mode=0o640, owner=nginx.htpasswd_owner(), why="basic auth"
                )
            )
        elif not _htpasswd_has_user(path, a.basic_auth_user):
            from wizard.core.errors import InputError

            raise InputError(
                [
                    Problem(
                        "access.basic_auth_user",
                        f"basic auth for {a.basic_auth_user!r} needs its password (apply --proxy-password-stdin)",
                    )
                ]
            )
    site_action = nginx.NginxSite(files, a.nginx_conf, facts.systemd_running)
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
            f"nginx serves {spec.url()} (TLS, our site"
            + (", basic auth asked" if spec.htpasswd else "")
            + ")",
            lambda: Look.problem(nginx.probe_site(spec, jupyter_expected=jupyter_running)),
            after=[site_action],
        )
    )
    plan.note("info", f"JupyterLab will be at {spec.url()} (through nginx)")


def _htpasswd_has_user(path: Path, user: str) -> bool:
    try:
        return any(line.split(":", 1)[0] == user for line in path.read_text().splitlines())
    except OSError:
        return False


# --------------------------------------------------------------------------- instructions


@dataclass(frozen=True)
class AccessUrl:
    url: str
    address: str
    kind: str  # loopback | private LAN | public | link-local | IPv6 | name
    truth: str

    def __str__(self) -> str:
        return f"{self.url}  [{self.kind}] {self.truth}"


@dataclass(frozen=True)
class AccessInfo:
    """What the person needs to reach JupyterLab with the chosen method."""

    method: str
    headline: str
    urls: tuple[AccessUrl, ...] = ()
    browser_url: str = ""  # what to open on the person's own computer
    ssh_command: str = ""
    ssh_background: str = ""
    ssh_config: str = ""  # a ~/.ssh/config block with LocalForward
    steps: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def render(self) -> str:
        out = [self.headline]
        if self.ssh_command:
            out += ["", "On your own computer, run:", f"  {self.ssh_command}"]
            out += ["In the background instead:", f"  {self.ssh_background}"]
            out += [
                "Or add this to ~/.ssh/config there:",
                *(f"  {x}" for x in self.ssh_config.splitlines()),
            ]
        if self.urls:
            out += ["", "URLs:", *(f"  {u}" for u in self.urls)]
        if self.browser_url:
            out += ["", f"Then open: {self.browser_url}"]
        if self.steps:
            out += ["", "Steps:", *(f"  {i}. {s}" for i, s in enumerate(self.steps, 1))]
        if self.limits:
            out += ["", "Limits:", *(f"  - {x}" for x in self.limits)]
        if self.warnings:
            out += ["", *(f"! {w}" for w in self.warnings)]
        return "\n".join(out) + "\n"


def osc52(text: str) -> str:
    """The terminal escape that copies `text` into the clipboard of the person's terminal, over SSH."""
    return f"\033]52;c;{base64.b64encode(text.encode()).decode()}\a"


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


def instructions(answers: Answers, facts: Facts) -> AccessInfo:
    method = answers.access.method
    if method == "direct":
        return _direct_info(answers, facts)
    if method == "router-tunnel":
        return _router_info(answers, facts)
    if method == "reverse-proxy":
        return _proxy_info(answers, facts)
    return _ssh_info(answers, facts)


def _ssh_info(answers: Answers, facts: Facts) -> AccessInfo:
    net, a = answers.network, answers.access
    user, host, sshport, known = ssh_endpoint(answers, facts)
    local = a.local_port or net.port
    target = "[::1]" if net.ip == "::1" else "localhost"
    fwd = f"{local}:{target}:{net.port}"
    port_opt = [] if sshport == 22 else ["-p", str(sshport)]
    dest = f"{user}@{host}"
    cmd = shlex.join(["ssh", "-N", "-L", fwd, dest, *port_opt])
    bg = shlex.join(
        ["ssh", "-f", "-N", "-o", "ExitOnForwardFailure=yes", "-L", fwd, dest, *port_opt]
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
            f"not in an SSH session: {host} is this machine's name; use the address you reach it by"
        )
    return AccessInfo(
        method="ssh-tunnel",
        headline=f"JupyterLab listens on {url_host(net.ip)}:{net.port} (loopback only); reach it through an SSH tunnel.",
        browser_url=f"{scheme}://localhost:{local}{net.base_url}lab",
        ssh_command=cmd,
        ssh_background=bg,
        ssh_config="\n".join(cfg) + "\n",
        steps=(
            "Run the ssh command on your own computer and leave it running (or use the background variant).",
            "Open the browser URL there and log in with the Jupyter password.",
            f"If port {local} is busy on your computer, choose another local port (access.local_port).",
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


def _direct_info(answers: Answers, facts: Facts) -> AccessInfo:
    urls = tuple(direct_urls(answers, facts))
    warnings = []
    if not uses_tls(answers):
        warnings.append("no TLS: the password travels in clear text beyond this machine")
    if any(u.kind in ("public", "IPv6") for u in urls):
        warnings.append("a public address: check the firewall and use a long password")
    return AccessInfo(
        method="direct",
        headline=f"JupyterLab listens on {WILDCARDS.get(answers.network.ip, answers.network.ip)} port {answers.network.port}; open one of these from your computer:",
        urls=urls,
        browser_url=urls[0].url + "lab" if urls else "",
        steps=("Open the URL that matches where your computer is (same LAN: the private one).",
               "Log in with the Jupyter password."),
        warnings=tuple(warnings),
    )  # fmt: skip


def _router_info(answers: Answers, facts: Facts) -> AccessInfo:
    net = answers.network
    target = lan_target(answers, facts) or "LAN_IP"
    url = f"http://{url_host(target)}:{net.port}{net.base_url}"
    kind, truth = classify(target) if target != "LAN_IP" else ("private LAN", "")
    return AccessInfo(
        method="router-tunnel",
        headline=f"Point the router's tunnel (e.g. DDNSTO) or port mapping at {url}",
        urls=(AccessUrl(url, target, kind, truth),),
        steps=(
            "Open the router's admin page and its tunnel service (or port forwarding).",
            f"Add a mapping whose target is {url} (address {target}, port {net.port}).",
            f"Give this server a fixed LAN address ({target}): a DHCP reservation on the router, or the mapping breaks when it changes.",
            "Open the public address the tunnel service shows, and log in with the Jupyter password.",
        ),
        limits=(
            "One person: JupyterLab has one password and one user (several people need JupyterHub).",
            "Whoever knows the public address reaches the login page: the password is the only lock.",
            "You trust the tunnel provider: without end-to-end HTTPS it can see the password and notebooks.",
            "Notebooks need WebSockets through the tunnel; if kernels stay 'connecting', the provider blocks them.",
        ),
    )


def _proxy_info(answers: Answers, facts: Facts) -> AccessInfo:
    spec = proxy_spec(answers, facts)
    kind, truth = classify(spec.public_host)
    a = answers.access
    steps = [f"Open {spec.url()} in your browser."]
    if a.self_signed:
        steps.append(
            f"The certificate is self-signed: the browser warns once; compare the fingerprint (openssl x509 -in {spec.certfile} -noout -fingerprint -sha256)."
        )
    if a.basic_auth_user:
        steps.append(
            f"The browser asks for a user name first: {a.basic_auth_user} and the proxy password."
        )
    steps.append("Then log in with the Jupyter password.")
    return AccessInfo(
        method="reverse-proxy",
        headline=f"nginx serves JupyterLab over HTTPS at {spec.url()}; Jupyter itself stays on 127.0.0.1:{answers.network.port}.",
        urls=(AccessUrl(spec.url(), spec.public_host, kind, truth),),
        browser_url=spec.url() + "lab",
        steps=tuple(steps),
    )
