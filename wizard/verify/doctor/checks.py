"""`jupyter-setup-wizard doctor`: every check that explains "I can't reach it", each with its fix.

`run_checks()` returns results and prints nothing (the TUI shows the same list; render.py makes
the text, wizard.cli.doctor is the CLI). The configuration compared against is the last apply's answers (wizard.current) or an
answers file. Only this machine is contacted: its loopback and its own addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wizard.core.answers import Answers
from wizard.plan.access import common as access
from wizard.plan.steps.network import WILDCARDS, binding_covers, is_jupyter_process, is_loopback
from wizard.probe.facts import Facts
from wizard.probe.http import basic_auth, jupyter_login, request, url_host, websocket_handshake
from wizard.verify.doctor.firewall import firewall_blocks

# A Host header no machine is called: Jupyter treats it as non-local (403 unless allowed).
FOREIGN_HOST = "jupyter-setup-wizard.invalid"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False  # could not be checked here (detail says why); does not fail doctor


def run_checks(
    answers: Answers,
    facts: Facts,
    *,
    password: str | None = None,
    proxy_password: str | None = None,
    timeout: float = 3.0,
) -> list[CheckResult]:
    """Run every check for the configured access method; no output, no changes."""
    return [
        check_service(answers, facts),
        check_listening(answers, facts),
        check_port(answers, facts),
        check_host_header(answers, facts, timeout),
        check_urls(answers, facts, proxy_password, timeout),
        check_websocket(answers, facts, password, proxy_password, timeout),
        check_firewall(answers),
    ]


def _skip(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail, skipped=True)


# --------------------------------------------------------------------------- service


def check_service(answers: Answers, facts: Facts) -> CheckResult:
    svc, port = answers.service, answers.network.port
    jupyters = [lst for lst in facts.listeners if is_jupyter_process(lst.process)]
    if svc.manager == "none":
        here = [lst for lst in jupyters if lst.port == port]
        if here:
            return CheckResult(
                "service",
                True,
                f"no service manager configured; {here[0].describe()} is running",
            )
        return CheckResult(
            "service",
            False,
            f"no service manager configured and no Jupyter runs on port {port}",
            "start it (jupyter lab), or choose a service (systemd) in the wizard so it starts by itself",
        )
    try:
        from wizard.plan.service import managers as services
    except ImportError:
        return _skip(
            "service", f"cannot read the {svc.manager} service here (wizard.services is missing)"
        )
    try:
        state = services.controller(svc, config_dir=answers.jupyter.config_dir).state()
    except Exception as exc:  # a broken manager must not stop the other checks
        return CheckResult("service", False, f"could not read {svc.name}'s state: {exc}", "")
    manager = str(state.manager)
    if manager.startswith("systemd"):
        user = manager == "systemd-user"
        ctl = "systemctl --user" if user else "sudo systemctl"
        jctl = "journalctl --user" if user else "sudo journalctl"
        restart = f"see why: {jctl} -u {state.name} -n 50; then: {ctl} restart {state.name}"
    else:
        restart = "see its log and restart it on the status screen (jupyter-setup-wizard status)"
    if not state.installed:
        return CheckResult(
            "service",
            False,
            f"service {state.name} is not installed ({state.manager})",
            "run the wizard's service step (or `jupyter-setup-wizard apply ANSWERS`) again",
        )
    if state.active_state != "active":
        last = f", exit status {state.exit_status}" if state.exit_status not in (None, 0) else ""
        return CheckResult(
            "service",
            False,
            f"{state.name} is {state.active_state} ({state.sub_state}{last})",
            restart,
        )
    restarts = f", restarted {state.n_restarts}x" if state.n_restarts else ""
    return CheckResult(
        "service",
        True,
        f"{state.name} is active ({state.sub_state}, pid {state.main_pid}{restarts})",
    )


# --------------------------------------------------------------------------- listening


def needed_addresses(answers: Answers, facts: Facts) -> list[str]:
    """The addresses the access method needs Jupyter to listen on."""
    method, ip = answers.access.method, answers.network.ip
    if method in ("ssh-tunnel", "reverse-proxy"):
        return ["::1" if ip == "::1" else "127.0.0.1"]
    if method == "router-tunnel":
        target = access.lan_target(answers, facts)
        return [target] if target else []
    return [u.address for u in access.direct_urls(answers, facts) if u.kind != "loopback"] or [ip]


def _covers(listen: str, address: str) -> bool:
    try:
        return binding_covers(listen, address)
    except ValueError:
        return False


def _is_wildcard(address: str) -> bool:
    return address in WILDCARDS or address == ""


def check_listening(answers: Answers, facts: Facts) -> CheckResult:
    method, port, ip = answers.access.method, answers.network.port, answers.network.ip
    lst = facts.listeners_on(port)
    where = ", ".join(sorted({url_host(x.address) for x in lst}))
    need = needed_addresses(answers, facts)
    if not lst:
        return CheckResult(
            "listening",
            False,
            f"nothing listens on port {port}",
            "start Jupyter (see the service check); if it exits at once, its log says why",
        )
    missing = [a for a in need if not any(_covers(x.address, a) for x in lst)]
    configured_wild = ip in WILDCARDS and method in ("direct", "router-tunnel")
    extra = sorted(
        {
            x.address
            for x in lst
            if not is_loopback(x.address)
            and x.address not in need
            and not (configured_wild and _is_wildcard(x.address))
        }
    )
    loopback_method = method in ("ssh-tunnel", "reverse-proxy")
    if extra:
        only = "loopback" if loopback_method else ", ".join(need)
        also = f", and not on {', '.join(missing)}" if missing else ""
        return CheckResult(
            "listening",
            False,
            f"Jupyter listens on {', '.join(extra)}:{port}, more than {method} needs ({only}){also}: "
            "anyone on that network can try to log in",
            f"set network.ip = {('127.0.0.1' if loopback_method else need[0])!r}, apply, and restart Jupyter",
        )
    if missing:
        why = (
            ": other computers cannot reach a loopback address"
            if all(is_loopback(x.address) for x in lst)
            else ""
        )
        wider = " (or 0.0.0.0)" if method == "direct" else ""
        return CheckResult(
            "listening",
            False,
            f"{method} needs Jupyter on {', '.join(missing)}:{port}, but it listens on {where} only{why}",
            f"set network.ip = {missing[0]!r}{wider}, apply, and restart Jupyter",
        )
    return CheckResult("listening", True, f"listens on {where} port {port}, as {method} needs")


# --------------------------------------------------------------------------- port


def check_port(answers: Answers, facts: Facts) -> CheckResult:
    port = answers.network.port
    here = facts.listeners_on(port)
    jupyters = [x for x in facts.listeners if is_jupyter_process(x.process)]
    others = [x for x in here if x.pid is not None and not is_jupyter_process(x.process)]
    if others:
        return CheckResult(
            "port",
            False,
            f"port {port} is held by {others[0].describe()}, not Jupyter",
            "stop that program, or choose another port (network.port) and apply",
        )
    if here:
        return CheckResult("port", True, f"Jupyter is on its configured port {port}")
    elsewhere = sorted({x.port for x in jupyters})
    if elsewhere:
        return CheckResult(
            "port",
            False,
            f"configured port is {port}, but Jupyter listens on {', '.join(map(str, elsewhere))}"
            " (started with other settings, or moved by a busy port)",
            f"restart Jupyter so it reads its configuration (port {port}, port_retries = 0)",
        )
    return _skip("port", f"no Jupyter process listens anywhere (configured port {port})")


# --------------------------------------------------------------------------- Host header


def _jupyter_scheme(answers: Answers) -> str:
    return "https" if answers.access.method == "direct" and access.uses_tls(answers) else "http"


def _own_target(answers: Answers, facts: Facts) -> str:
    """An address of this machine where Jupyter should answer for the access method."""
    need = needed_addresses(answers, facts)
    return need[0] if need else "127.0.0.1"


def check_host_header(answers: Answers, facts: Facts, timeout: float) -> CheckResult:
    name = "host header"
    if answers.access.method == "ssh-tunnel":
        return _skip(
            name,
            "not needed: through the tunnel the browser sends Host: localhost, which Jupyter accepts",
        )
    host, port = _own_target(answers, facts), answers.network.port
    path = f"{answers.network.base_url}api"
    try:
        r = request(_jupyter_scheme(answers), host, port, path,
                    host_header=f"{FOREIGN_HOST}:{port}", timeout=timeout)  # fmt: skip
    except OSError as exc:
        return _skip(name, f"not checked: nothing answers on {url_host(host)}:{port} ({exc})")
    if r.status == 403:
        return CheckResult(
            name,
            False,
            f"Jupyter answers 403 to a request whose Host is a name ({FOREIGN_HOST}): it blocks non-local Host headers",
            "set ServerApp.allow_remote_access = True (re-apply with this access method), then restart Jupyter",
        )
    if r.status != 200:
        return CheckResult(name, False, f"{path} answered {r.status} for a non-local Host", "")
    return CheckResult(name, True, "requests with a non-local Host header are accepted")


# --------------------------------------------------------------------------- advertised URLs


def _api_ok(r_status: int, body: str) -> bool:
    return r_status == 200 and '"version"' in body


def check_urls(
    answers: Answers, facts: Facts, proxy_password: str | None, timeout: float
) -> CheckResult:
    name = "advertised URLs"
    info = access.instructions(answers, facts)
    net = answers.network
    api = f"{net.base_url}api"
    if answers.access.method == "reverse-proxy":
        from wizard.plan.access.nginx import probe_basic_auth, probe_site

        spec = access.proxy_spec(answers, facts)
        problem = probe_site(spec, jupyter_expected=True)
        if problem is None and proxy_password and answers.access.basic_auth_user:
            status = probe_basic_auth(spec, answers.access.basic_auth_user, proxy_password)
            if status != 200:
                problem = f"with the basic-auth credentials {api} answered {status}"
        if problem:
            return CheckResult(
                name,
                False,
                f"{spec.url()}: {problem}",
                "check nginx (nginx -t; its error log) and that Jupyter runs on "
                f"127.0.0.1:{net.port} with base_url {net.base_url}",
            )
        return CheckResult(name, True, f"{spec.url()} answers through nginx")
    if answers.access.method == "ssh-tunnel":
        # The URL itself lives on the person's computer; check the tunnel's far end.
        targets = [
            (
                "127.0.0.1" if net.ip != "::1" else "::1",
                f"localhost:{answers.access.local_port or net.port}",
            )
        ]
        shown = info.browser_url
    else:
        targets = [(u.address, f"{url_host(u.address)}:{net.port}") for u in info.urls]
        shown = ", ".join(u.url for u in info.urls)
    if not targets:
        return CheckResult(name, False, "no URL to advertise", "set access.lan_ip / network.ip")
    bad = []
    for host, hh in targets:
        try:
            r = request(
                _jupyter_scheme(answers), host, net.port, api, host_header=hh, timeout=timeout
            )
        except OSError as exc:
            bad.append(f"{url_host(host)}:{net.port}: {exc}")
            continue
        if not _api_ok(r.status, r.body):
            bad.append(f"{url_host(host)}:{net.port}{api} answered {r.status}")
    if bad:
        return CheckResult(
            name,
            False,
            "not answering: " + "; ".join(bad),
            "see the listening and host header checks; from this machine itself no firewall is in the way",
        )
    return CheckResult(name, True, f"answering: {shown}")


# --------------------------------------------------------------------------- WebSocket


def check_websocket(
    answers: Answers,
    facts: Facts,
    password: str | None,
    proxy_password: str | None,
    timeout: float,
) -> CheckResult:
    name = "proxy websocket"
    a = answers.access
    if a.method != "reverse-proxy":
        return _skip(name, f"no proxy in {a.method}")
    from wizard.plan.access.nginx import DEFAULT_SITE, site_has_websocket_headers

    site = Path(a.nginx_site) if a.nginx_site else DEFAULT_SITE
    fix = "re-apply the reverse-proxy step: its site sets proxy_http_version 1.1 and the Upgrade/Connection headers"
    try:
        missing = site_has_websocket_headers(site.read_text())
    except OSError:
        missing = None
    if missing:
        return CheckResult(
            name,
            False,
            f"{site} lacks: {'; '.join(missing)} (kernels would stay 'connecting')",
            fix,
        )
    if not password:
        if missing is None:
            return _skip(name, f"cannot read {site}; pass --password-stdin for a live handshake")
        return CheckResult(
            name,
            True,
            f"{site} forwards WebSocket upgrades (static check; --password-stdin for a live one)",
        )
    spec = access.proxy_spec(answers, facts)
    hh = f"{url_host(spec.public_host)}:{spec.https_port}"
    extra = (
        basic_auth(a.basic_auth_user, proxy_password)
        if a.basic_auth_user and proxy_password
        else {}
    )
    session = jupyter_login("https", spec.check_host, spec.https_port, spec.base_url, password,
                            host_header=hh, extra_headers=extra, timeout=timeout + 5)  # fmt: skip
    if isinstance(session, str):
        return CheckResult(
            name,
            False,
            f"could not log in through {spec.url()}: {session}",
            "check the password (and the basic-auth one)",
        )
    try:
        line = websocket_handshake(
            "https", spec.check_host, spec.https_port, f"{spec.base_url}api/events/subscribe",
            host_header=hh, origin=f"https://{hh}",
            headers={**extra, "Cookie": session.cookie_header}, timeout=timeout + 5,
        )  # fmt: skip
    except OSError as exc:
        return CheckResult(name, False, f"WebSocket handshake through nginx failed: {exc}", fix)
    if " 101 " not in f"{line} ":
        return CheckResult(
            name, False, f"WebSocket handshake through nginx answered {line!r}, not 101", fix
        )
    return CheckResult(name, True, "a WebSocket handshake through nginx completes (101)")


# --------------------------------------------------------------------------- firewall


def exposed_port(answers: Answers) -> int | None:
    a = answers.access
    if a.method == "reverse-proxy":
        return a.https_port
    if a.method in ("direct", "router-tunnel"):
        return answers.network.port
    return None


def check_firewall(answers: Answers) -> CheckResult:
    name = "firewall"
    port = exposed_port(answers)
    if port is None:
        return _skip(name, "not needed: the SSH tunnel reaches Jupyter over loopback")
    blocks, read = firewall_blocks(port)
    if blocks:
        return CheckResult(
            name,
            False,
            f"{len(blocks)} rule(s) block TCP port {port}: "
            + "; ".join(f"[{b.source}] {b.rule}" for b in blocks),
            "; ".join(dict.fromkeys(b.fix for b in blocks)),
        )
    if not read:
        return _skip(
            name, "no firewall rules readable here (nft/iptables/ufw missing, or not root)"
        )
    return CheckResult(name, True, f"no rule blocks TCP port {port} ({', '.join(read)} read)")
