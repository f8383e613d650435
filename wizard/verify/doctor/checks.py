"""`jupyter-setup-wizard doctor`: every check that explains "I can't reach it", each with its fix.

`run_checks()` returns results and prints nothing (the TUI shows the same list; render.py makes
the text). The configuration compared against is the last apply's answers (wizard.current) or
an answers file. Only this machine is contacted: its loopback and its own addresses.

The checks here are common to every access method; each asks the method object what differs
(the addresses it needs, Jupyter's scheme, the exposed port...). A method may replace one of
them or add its own (AccessMethod.doctor_checks): they run after the common ones, before the
firewall.
"""

from __future__ import annotations

from wizard.core.answers import Answers
from wizard.core.i18n import _, ngettext
from wizard.plan import access
from wizard.plan.access.base import (
    AccessMethod,
    Binding,
    CheckContext,
    CheckResult,
    DoctorCheck,
    skip,
)
from wizard.plan.steps.network import WILDCARDS, binding_covers, is_jupyter_process, is_loopback
from wizard.probe.facts import Facts
from wizard.probe.http import request, url_host
from wizard.verify.doctor.firewall import firewall_blocks
from wizard.verify.doctor.kernels import check_kernels

__all__ = ["CheckResult", "checks_for", "run_checks"]

# A Host header no machine is called: Jupyter treats it as non-local (403 unless allowed).
FOREIGN_HOST = "jupyter-setup-wizard.invalid"


def run_checks(
    answers: Answers,
    facts: Facts,
    *,
    password: str | None = None,
    proxy_password: str | None = None,
    timeout: float = 3.0,
) -> list[CheckResult]:
    """Run every check for the configured access method; no output, no changes."""
    method = access.chosen(answers)
    ctx = CheckContext(answers, facts, method, password, proxy_password, timeout)
    return [check.run(ctx) for check in checks_for(method)]


def checks_for(method: AccessMethod) -> list[DoctorCheck]:
    """The checks doctor runs for `method`, in order: common ones (or the method's replacement),
    then every method's own (run for `method`, a skip for the others where the check says so),
    then the firewall."""
    own = {c.name: c for c in method.doctor_checks()}
    common = {c.name for c in (*COMMON, *LAST)}
    extra: dict[str, DoctorCheck] = {}
    for m in access.all():
        for c in m.doctor_checks():
            if c.name in common or c.name in extra:
                continue
            if c.name in own:
                extra[c.name] = own[c.name]
            elif c.elsewhere is not None:
                extra[c.name] = _absent(c.name, c.elsewhere)
    return [
        *(own.get(c.name, c) for c in COMMON),
        *extra.values(),
        *(own.get(c.name, c) for c in LAST),
    ]


def _absent(name: str, elsewhere: str) -> DoctorCheck:
    return DoctorCheck(name, lambda ctx: skip(name, _(elsewhere).format(method=ctx.method.name)))


# --------------------------------------------------------------------------- service


def check_service(ctx: CheckContext) -> CheckResult:
    answers, facts = ctx.answers, ctx.facts
    svc, port = answers.service, answers.network.port
    jupyters = [lst for lst in facts.listeners if is_jupyter_process(lst.process)]
    if svc.manager == "none":
        here = [lst for lst in jupyters if lst.port == port]
        if here:
            return CheckResult(
                "service",
                True,
                _("no service manager configured; {process} is running").format(
                    process=here[0].describe()
                ),
            )
        return CheckResult(
            "service",
            False,
            _("no service manager configured and no Jupyter runs on port {port}").format(port=port),
            _(
                "start it (jupyter lab), or choose a service (systemd) in the wizard so it starts by itself"
            ),
        )
    try:
        from wizard.plan.service import managers as services
    except ImportError:
        return skip(
            "service",
            _("cannot read the {manager} service here (wizard.services is missing)").format(
                manager=svc.manager
            ),
        )
    try:
        state = services.controller(svc, config_dir=answers.jupyter.config_dir).state()
    except Exception as exc:  # a broken manager must not stop the other checks
        return CheckResult(
            "service",
            False,
            _("could not read {name}'s state: {error}").format(name=svc.name, error=exc),
            "",
        )
    manager = str(state.manager)
    if manager.startswith("systemd"):
        user = manager == "systemd-user"
        ctl = "systemctl --user" if user else "sudo systemctl"
        jctl = "journalctl --user" if user else "sudo journalctl"
        restart = _("see why: {journal}; then: {restart}").format(
            journal=f"{jctl} -u {state.name} -n 50", restart=f"{ctl} restart {state.name}"
        )
    else:
        restart = _("see its log and restart it on the status screen (jupyter-setup-wizard status)")
    if not state.installed:
        return CheckResult(
            "service",
            False,
            _("service {name} is not installed ({manager})").format(
                name=state.name, manager=state.manager
            ),
            _("run the wizard's service step (or `jupyter-setup-wizard apply ANSWERS`) again"),
        )
    if state.active_state != "active":
        last = (
            _(", exit status {status}").format(status=state.exit_status)
            if state.exit_status not in (None, 0)
            else ""
        )
        return CheckResult(
            "service",
            False,
            _("{name} is {state} ({sub_state}{last})").format(
                name=state.name, state=state.active_state, sub_state=state.sub_state, last=last
            ),
            restart,
        )
    restarts = _(", restarted {count}x").format(count=state.n_restarts) if state.n_restarts else ""
    return CheckResult(
        "service",
        True,
        _("{name} is active ({sub_state}, pid {pid}{restarts})").format(
            name=state.name, sub_state=state.sub_state, pid=state.main_pid, restarts=restarts
        ),
    )


# --------------------------------------------------------------------------- listening


def _covers(listen: str, address: str) -> bool:
    try:
        return binding_covers(listen, address)
    except ValueError:
        return False


def _is_wildcard(address: str) -> bool:
    return address in WILDCARDS or address == ""


def check_listening(ctx: CheckContext) -> CheckResult:
    answers, method = ctx.answers, ctx.method
    port, ip = answers.network.port, answers.network.ip
    lst = ctx.facts.listeners_on(port)
    where = ", ".join(sorted({url_host(x.address) for x in lst}))
    need = method.needed_addresses(answers, ctx.facts)
    if not lst:
        return CheckResult(
            "listening",
            False,
            _("nothing listens on port {port}").format(port=port),
            _("start Jupyter (see the service check); if it exits at once, its log says why"),
        )
    missing = [a for a in need if not any(_covers(x.address, a) for x in lst)]
    loopback_method = method.binding is Binding.LOOPBACK
    configured_wild = ip in WILDCARDS and not loopback_method
    extra = sorted(
        {
            x.address
            for x in lst
            if not is_loopback(x.address)
            and x.address not in need
            and not (configured_wild and _is_wildcard(x.address))
        }
    )
    if extra:
        only = _("loopback") if loopback_method else ", ".join(need)
        also = _(", and not on {addresses}").format(addresses=", ".join(missing)) if missing else ""
        return CheckResult(
            "listening",
            False,
            _(
                "Jupyter listens on {addresses}:{port}, more than {method} needs ({only}){also}: "
                "anyone on that network can try to log in"
            ).format(
                addresses=", ".join(extra), port=port, method=method.name, only=only, also=also
            ),
            _("set {setting}, apply, and restart Jupyter").format(
                setting=f"network.ip = {('127.0.0.1' if loopback_method else need[0])!r}"
            ),
        )
    if missing:
        why = (
            _(": other computers cannot reach a loopback address")
            if all(is_loopback(x.address) for x in lst)
            else ""
        )
        wider = (
            _(" (or {binding})").format(binding=method.wider_binding)
            if method.wider_binding
            else ""
        )
        return CheckResult(
            "listening",
            False,
            _(
                "{method} needs Jupyter on {addresses}:{port}, but it listens on {where} only{why}"
            ).format(
                method=method.name, addresses=", ".join(missing), port=port, where=where, why=why
            ),
            _("set {setting}, apply, and restart Jupyter").format(
                setting=f"network.ip = {missing[0]!r}{wider}"
            ),
        )
    return CheckResult(
        "listening",
        True,
        _("listens on {where} port {port}, as {method} needs").format(
            where=where, port=port, method=method.name
        ),
    )


# --------------------------------------------------------------------------- port


def check_port(ctx: CheckContext) -> CheckResult:
    port, facts = ctx.answers.network.port, ctx.facts
    here = facts.listeners_on(port)
    jupyters = [x for x in facts.listeners if is_jupyter_process(x.process)]
    others = [x for x in here if x.pid is not None and not is_jupyter_process(x.process)]
    if others:
        return CheckResult(
            "port",
            False,
            _("port {port} is held by {holder}, not Jupyter").format(
                port=port, holder=others[0].describe()
            ),
            _("stop that program, or choose another port (network.port) and apply"),
        )
    if here:
        return CheckResult(
            "port", True, _("Jupyter is on its configured port {port}").format(port=port)
        )
    elsewhere = sorted({x.port for x in jupyters})
    if elsewhere:
        return CheckResult(
            "port",
            False,
            _(
                "configured port is {port}, but Jupyter listens on {ports}"
                " (started with other settings, or moved by a busy port)"
            ).format(port=port, ports=", ".join(map(str, elsewhere))),
            _(
                "restart Jupyter so it reads its configuration (port {port}, port_retries = 0)"
            ).format(port=port),
        )
    return skip(
        "port", _("no Jupyter process listens anywhere (configured port {port})").format(port=port)
    )


# --------------------------------------------------------------------------- Host header


def _own_target(ctx: CheckContext) -> str:
    """An address of this machine where Jupyter should answer for the access method."""
    need = ctx.method.needed_addresses(ctx.answers, ctx.facts)
    return need[0] if need else "127.0.0.1"


def check_host_header(ctx: CheckContext) -> CheckResult:
    name = "host header"
    host, port = _own_target(ctx), ctx.answers.network.port
    path = f"{ctx.answers.network.base_url}api"
    scheme = ctx.method.jupyter_scheme(ctx.answers)
    try:
        r = request(scheme, host, port, path,
                    host_header=f"{FOREIGN_HOST}:{port}", timeout=ctx.timeout)  # fmt: skip
    except OSError as exc:
        return skip(
            name,
            _("not checked: nothing answers on {address} ({error})").format(
                address=f"{url_host(host)}:{port}", error=exc
            ),
        )
    if r.status == 403:
        return CheckResult(
            name,
            False,
            _(
                "Jupyter answers 403 to a request whose Host is a name ({host}): it blocks non-local Host headers"
            ).format(host=FOREIGN_HOST),
            _(
                "set ServerApp.allow_remote_access = True (re-apply with this access method), then restart Jupyter"
            ),
        )
    if r.status != 200:
        return CheckResult(
            name,
            False,
            _("{path} answered {status} for a non-local Host").format(path=path, status=r.status),
            "",
        )
    return CheckResult(name, True, _("requests with a non-local Host header are accepted"))


# --------------------------------------------------------------------------- advertised URLs


def _api_ok(r_status: int, body: str) -> bool:
    return r_status == 200 and '"version"' in body


def check_urls(ctx: CheckContext) -> CheckResult:
    name = "advertised URLs"
    answers, method = ctx.answers, ctx.method
    info = method.instructions(answers, ctx.facts)
    net = answers.network
    api = f"{net.base_url}api"
    targets, shown = method.url_targets(answers, ctx.facts, info)
    if not targets:
        return CheckResult(
            name, False, _("no URL to advertise"), _("set access.lan_ip / network.ip")
        )
    scheme = method.jupyter_scheme(answers)
    bad = []
    for host, hh in targets:
        try:
            r = request(scheme, host, net.port, api, host_header=hh, timeout=ctx.timeout)
        except OSError as exc:
            bad.append(f"{url_host(host)}:{net.port}: {exc}")
            continue
        if not _api_ok(r.status, r.body):
            bad.append(
                _("{url} answered {status}").format(
                    url=f"{url_host(host)}:{net.port}{api}", status=r.status
                )
            )
    if bad:
        return CheckResult(
            name,
            False,
            _("not answering: ") + "; ".join(bad),
            _(
                "see the listening and host header checks; from this machine itself no firewall is in the way"
            ),
        )
    return CheckResult(name, True, _("answering: {urls}").format(urls=shown))


# --------------------------------------------------------------------------- firewall


def check_firewall(ctx: CheckContext) -> CheckResult:
    name = "firewall"
    port = ctx.method.exposed_port(ctx.answers)
    if port is None:
        return skip(
            name,
            _("not needed: {method} exposes no port beyond loopback").format(
                method=ctx.method.name
            ),
        )
    blocks, read = firewall_blocks(port)
    if blocks:
        return CheckResult(
            name,
            False,
            ngettext(
                "{count} rule(s) block TCP port {port}: ",
                "{count} rule(s) block TCP port {port}: ",
                len(blocks),
            ).format(count=len(blocks), port=port)
            + "; ".join(f"[{b.source}] {b.rule}" for b in blocks),
            "; ".join(dict.fromkeys(b.fix for b in blocks)),
        )
    if not read:
        return skip(
            name, _("no firewall rules readable here (nft/iptables/ufw missing, or not root)")
        )
    return CheckResult(
        name,
        True,
        _("no rule blocks TCP port {port} ({tools} read)").format(port=port, tools=", ".join(read)),
    )


COMMON: tuple[DoctorCheck, ...] = (
    DoctorCheck("service", check_service),
    DoctorCheck("listening", check_listening),
    DoctorCheck("port", check_port),
    DoctorCheck("host header", check_host_header),
    DoctorCheck("advertised URLs", check_urls),
    DoctorCheck("kernels", check_kernels),
)
LAST: tuple[DoctorCheck, ...] = (DoctorCheck("firewall", check_firewall),)
