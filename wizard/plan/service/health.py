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
from wizard.plan.actions import Action, Look, Poll
from wizard.plan.service.base import ServiceManager
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
            look.reason if look.fatal else f"not healthy after {self.timeout:.0f}s: {look.reason}"
        )
        time.sleep(0.5)  # let the journal catch the last lines of a crash
        tail = self.ctl.journal(LOG_LINES).strip() or "(no log lines)"
        line = decisive_line(tail)
        cause = f"{line}{self.busy_port_note(line)}" if line else None
        why = f"\nwhy: {cause}" if cause else ""
        return HealthError(
            f"{reason}{why}\n--- last log lines of {self.ctl.name} ---\n{tail}", cause
        )

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
            f"health check of {ctl.name}: active, port {port} listening, "
            f"GET {base_url.rstrip('/')}/api answers (at most {timeout:.0f}s)",
            after=after,
            timeout=timeout,
        )
        self.host, self.port, self.base_url = host, port, base_url
        self._restarts: int | None = None

    def preview(self) -> str:
        return f"wait for {api_url(self.host, self.port, self.base_url)}\n"

    def busy_port_note(self, cause: str) -> str:
        if "already in use" not in cause and "not available" not in cause:
            return ""
        holders = sorted({lst.describe() for lst in listening_sockets([self.port])})
        if not holders:
            return (
                f"\n(port {self.port} was busy when {self.ctl.name} started and is free now: "
                "applying again may well work)"
            )
        return f"\n(port {self.port} is held by {', '.join(holders)})"

    def begin(self) -> None:
        self._restarts = self.ctl.state().n_restarts

    def look(self) -> Look:
        seen = self._look_once()
        n = self.ctl.state().n_restarts
        if not seen.ok and self._restarts is not None and (n or 0) > self._restarts:
            return Look(False, f"{self.ctl.name} crashed and was restarted ({seen.reason})", True)
        return seen

    def _look_once(self) -> Look:
        st = self.ctl.state()
        if st.active_state == "failed" or st.sub_state == "auto-restart":
            status = f", exit status {st.exit_status}" if st.exit_status else ""
            return Look(
                False, f"{self.ctl.name} crashed ({st.active_state}/{st.sub_state}{status})", True
            )
        if not st.active or not st.main_pid:
            return Look(False, f"{self.ctl.name} is {st.active_state}/{st.sub_state}")
        held = listening_sockets([self.port])
        ours = sockets.process_tree(st.main_pid)
        if not any(lst.pid in ours for lst in held):
            if held:
                who = ", ".join(sorted({lst.describe() for lst in held}))
                return Look(False, f"port {self.port} is held by {who}, not by {self.ctl.name}")
            return Look(False, f"nothing listens on port {self.port} yet")
        url = api_url(self.host, self.port, self.base_url)
        version = api_version(self.host, self.port, self.base_url)
        if version is None:
            return Look(False, f"GET {url} does not answer")
        return Look(True, f"{self.ctl.name} answers on {url} (Jupyter Server {version})")

    def succeeded(self, look: Look, elapsed: float) -> str:
        return f"healthy after {elapsed:.1f}s: {look.reason}"


class ServingCheck(_ServicePoll):
    """After a restart with restored files: active, listening (its own process tree), HTTP
    answers. The port is whatever the restored config says, so it is looked up, not assumed."""

    def __init__(self, ctl: ServiceManager, *, after: Action, timeout: float = 60.0) -> None:
        super().__init__(
            ctl,
            f"health check of {ctl.name}: active, listening, answering HTTP "
            f"(at most {timeout:.0f}s)",
            after=after,
            timeout=timeout,
        )

    def preview(self) -> str:
        return f"check: {self.ctl.name} answers on the port of the restored settings\n"

    def look(self) -> Look:
        st = self.ctl.state()
        if st.active_state == "failed":
            return Look(False, f"{self.ctl.name} failed")
        if not st.active or not st.main_pid:
            return Look(False, f"{self.ctl.name} is {st.active_state}/{st.sub_state}")
        ports = sockets.ports_of(sockets.process_tree(st.main_pid))
        if not ports:
            return Look(False, f"{self.ctl.name} listens on no TCP port yet")
        for ip, port in ports:
            host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(ip, ip)
            if answers_http(host, port):
                return Look(True, f"{host}:{port}")
        return Look(False, f"no HTTP answer on {', '.join(f'{ip}:{p}' for ip, p in ports)}")

    def succeeded(self, look: Look, elapsed: float) -> str:
        return f"{self.ctl.name} answers on {look.reason} after {elapsed:.1f}s"
