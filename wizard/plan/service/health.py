"""Is the service up? The health gate after a start or restart, and the serving check after a
rollback's restart: both are Polls (wizard.plan.actions), looking at the manager's state, the
ports its own process tree listens on (wizard.probe.sockets) and an HTTP answer
(wizard.probe.http). A failure carries the service's last log lines.
"""

from __future__ import annotations

import json
import re
import time

from wizard.core.errors import ExplainedError
from wizard.core.i18n import _
from wizard.plan.actions import Action, Look, Poll
from wizard.plan.service.base import ServiceManager, ServiceState
from wizard.probe import sockets
from wizard.probe.facts import listening_sockets
from wizard.probe.http import request, url_host

LOG_LINES = 30


class HealthError(ExplainedError):
    """The service did not become healthy in time (message: why, plus the journal tail)."""


def api_url(host: str, port: int, base_url: str) -> str:
    return f"http://{url_host(host)}:{port}{base_url.rstrip('/')}/api"


def api_version(host: str, port: int, base_url: str, timeout: float = 3.0) -> str | None:
    """Jupyter's version from GET /api (no auth needed); None when it does not answer yet."""
    try:
        r = request("http", host, port, f"{base_url.rstrip('/')}/api", timeout=timeout)
        data = json.loads(r.body) if r.status // 100 == 2 else None
    except (OSError, ValueError):
        return None
    return str(data.get("version", "?")) if isinstance(data, dict) else None


def answers_http(host: str, port: int, timeout: float = 2.0) -> bool:
    """Does anything answer HTTP(S) there? Any status counts (a base_url gives 404 at /api)."""
    for scheme in ("http", "https"):  # our own server's certificate may be self-signed
        try:
            request(scheme, host, port, "/api", timeout=timeout)
            return True
        except OSError:
            continue
    return False


# Jupyter's log levels: [C 2026-01-01 12:00:00.000 ServerApp] is critical, [E ...] an error.
_LEVEL = re.compile(r"^\[([CE]) \d")
_EXCEPTION = re.compile(r"^\w+(?:\.\w+)*(?:Error|Exception|Exit): ")


def decisive_line(tail: str) -> str | None:
    """The one log line that says why a service did not come up: the last critical line of
    Jupyter's log, else its last error line, else the last exception of a traceback."""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for pattern in ("C", "E"):
        found = [line for line in lines if (m := _LEVEL.match(line)) and m.group(1) == pattern]
        if found:
            return found[-1]
    found = [line for line in lines if _EXCEPTION.match(line)]
    return found[-1] if found else None


class _ServicePoll(Poll):
    """A Poll on a service: failures say the decisive log line first, then its last lines."""

    def __init__(self, ctl: ServiceManager, description: str, *, after: Action, timeout: float):
        super().__init__(description, after=[after], timeout=timeout, interval=0.25)
        self.ctl = ctl
        self.target = ctl.name

    def failed(self, look: Look) -> Exception:
        reason = (
            look.reason
            if look.fatal
            else _("not healthy after {timeout:.0f}s: {reason}").format(
                timeout=self.timeout, reason=look.reason
            )
        )
        time.sleep(0.5)  # let the journal catch the last lines of a crash
        tail = self.ctl.journal(LOG_LINES).strip() or _("(no log lines)")
        line = decisive_line(tail)
        cause = f"{line}{self.busy_port_note(line)}" if line else None
        why = "\n" + _("why: {cause}").format(cause=cause) if cause else ""
        heading = _("--- last log lines of {name} ---").format(name=self.ctl.name)
        return HealthError(f"{reason}{why}\n{heading}\n{tail}", cause)

    def busy_port_note(self, cause: str) -> str:
        """For a port found busy at start: who holds it now (it may be gone by then)."""
        return ""


class HealthGate(_ServicePoll):
    """Active, listening on the configured port (by its own process tree), GET /api answers.

    Bounded in time; a crash (failed, or systemd's auto-restart) fails at once, and apply_plan
    rolls everything back.
    """

    def __init__(
        self,
        ctl: ServiceManager,
        *,
        host: str,
        port: int,
        base_url: str,
        after: Action,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(
            ctl,
            _(
                "health check of {name}: active, port {port} listening, "
                "GET {url}/api answers (at most {timeout:.0f}s)"
            ).format(name=ctl.name, port=port, url=base_url.rstrip("/"), timeout=timeout),
            after=after,
            timeout=timeout,
        )
        self.host, self.port, self.base_url = host, port, base_url
        self._restarts: int | None = None

    def preview(self) -> str:
        return _("wait for {url}\n").format(url=api_url(self.host, self.port, self.base_url))

    def busy_port_note(self, cause: str) -> str:
        if "already in use" not in cause and "not available" not in cause:
            return ""
        holders = sorted({lst.describe() for lst in listening_sockets([self.port])})
        if not holders:
            return "\n" + _(
                "(port {port} was busy when {name} started and is free now: "
                "applying again may well work)"
            ).format(port=self.port, name=self.ctl.name)
        return "\n" + _("(port {port} is held by {holders})").format(
            port=self.port, holders=", ".join(holders)
        )

    def begin(self) -> None:
        self._restarts = self.ctl.state().n_restarts

    def look(self) -> Look:
        seen = self._look_once()
        n = self.ctl.state().n_restarts
        if not seen.ok and self._restarts is not None and (n or 0) > self._restarts:
            return Look(
                False,
                _("{name} crashed and was restarted ({reason})").format(
                    name=self.ctl.name, reason=seen.reason
                ),
                True,
            )
        return seen

    def _look_once(self) -> Look:
        st = self.ctl.state()
        if st.active_state == "failed" or st.sub_state == "auto-restart":
            state = f"{st.active_state}/{st.sub_state}"
            if st.exit_status:
                state = _("{state}, exit status {status}").format(
                    state=state, status=st.exit_status
                )
            return Look(
                False, _("{name} crashed ({state})").format(name=self.ctl.name, state=state), True
            )
        if not st.active or not st.main_pid:
            return _not_active(self.ctl.name, st)
        held = listening_sockets([self.port])
        ours = sockets.process_tree(st.main_pid)
        if not any(lst.pid in ours for lst in held):
            if held:
                who = ", ".join(sorted({lst.describe() for lst in held}))
                return Look(
                    False,
                    _("port {port} is held by {who}, not by {name}").format(
                        port=self.port, who=who, name=self.ctl.name
                    ),
                )
            return Look(False, _("nothing listens on port {port} yet").format(port=self.port))
        url = api_url(self.host, self.port, self.base_url)
        version = api_version(self.host, self.port, self.base_url)
        if version is None:
            return Look(False, _("GET {url} does not answer").format(url=url))
        return Look(
            True,
            _("{name} answers on {url} (Jupyter Server {version})").format(
                name=self.ctl.name, url=url, version=version
            ),
        )

    def succeeded(self, look: Look, elapsed: float) -> str:
        return _("healthy after {elapsed:.1f}s: {reason}").format(
            elapsed=elapsed, reason=look.reason
        )


class ServingCheck(_ServicePoll):
    """After a restart with restored files: active, listening (its own process tree), HTTP
    answers. The port is whatever the restored config says, so it is looked up, not assumed."""

    def __init__(self, ctl: ServiceManager, *, after: Action, timeout: float = 60.0) -> None:
        super().__init__(
            ctl,
            _(
                "health check of {name}: active, listening, answering HTTP (at most {timeout:.0f}s)"
            ).format(name=ctl.name, timeout=timeout),
            after=after,
            timeout=timeout,
        )

    def preview(self) -> str:
        return _("check: {name} answers on the port of the restored settings\n").format(
            name=self.ctl.name
        )

    def look(self) -> Look:
        st = self.ctl.state()
        if st.active_state == "failed":
            return Look(False, _("{name} failed").format(name=self.ctl.name))
        if not st.active or not st.main_pid:
            return _not_active(self.ctl.name, st)
        ports = sockets.ports_of(sockets.process_tree(st.main_pid))
        if not ports:
            return Look(False, _("{name} listens on no TCP port yet").format(name=self.ctl.name))
        for ip, port in ports:
            host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(ip, ip)
            if answers_http(host, port):
                return Look(True, f"{host}:{port}")
        where = ", ".join(f"{ip}:{p}" for ip, p in ports)
        return Look(False, _("no HTTP answer on {where}").format(where=where))

    def succeeded(self, look: Look, elapsed: float) -> str:
        return _("{name} answers on {where} after {elapsed:.1f}s").format(
            name=self.ctl.name, where=look.reason, elapsed=elapsed
        )


def _not_active(name: str, st: ServiceState) -> Look:
    return Look(
        False, _("{name} is {state}").format(name=name, state=f"{st.active_state}/{st.sub_state}")
    )
