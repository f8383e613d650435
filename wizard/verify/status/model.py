"""The data model of a status snapshot: what is configured, what runs, and what disagrees.

Plain dataclasses with no behaviour beyond a few derived properties (state, exit code, token URL):
collect.py fills them, findings.py judges them, render.py turns them into JSON and text. The JSON
form of every field is documented in schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wizard.core.i18n import _
from wizard.probe.sockets import Listener

if TYPE_CHECKING:
    from wizard.plan.service.base import ServiceState

EXIT_HEALTHY, EXIT_DOWN, EXIT_FINDINGS = 0, 3, 4
DEFAULT_PORT = 8888


@dataclass
class Configured:
    """What the machine is configured as: the last apply's answers or Jupyter's config files."""

    source: str  # "last apply" | "config files" | "defaults"
    port: int = DEFAULT_PORT
    ip: str = "localhost"
    access_method: str | None = None  # unknown unless the wizard applied it
    config_dir: str = ""
    service_manager: str = "none"
    service_name: str = ""
    service_user: str = ""


@dataclass
class ServiceStatus:
    """The configured service: the state its manager reports, or why there is none.

    `state` is None when no service manager is configured (manager "none") or when asking the
    manager failed (`error` says why); manager and name are then the configured ones, else the
    state's (whose name may be the unit's: jupyterlab.service).
    """

    manager: str  # "none" when no service manager is configured
    name: str = ""
    state: ServiceState | None = None
    error: str | None = None  # why the state is unknown

    @classmethod
    def of(cls, state: ServiceState) -> ServiceStatus:
        return cls(state.manager, state.name, state)


@dataclass
class HttpProbe:
    url: str
    ok: bool
    status: int | None = None
    version: str | None = None
    latency_ms: float | None = None
    error: str | None = None


@dataclass
class Server:
    """A running Jupyter server: its runtime file joined with its process and sockets."""

    pid: int
    port: int
    url: str = ""
    base_url: str = "/"
    hostname: str = ""
    root_dir: str = ""
    version: str = ""
    secure: bool = False
    token: str = field(default="", repr=False)  # shown only on request
    legacy_password: bool = False
    runtime_file: str | None = None  # None: process found, runtime file not readable or missing
    user: str | None = None
    started_at: float | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    kernels: int = 0
    kernel_pythons: list[str] = field(default_factory=list)  # what each running kernel runs
    listening: list[Listener] = field(default_factory=list)
    http: HttpProbe | None = None

    @property
    def token_in_use(self) -> bool:
        return bool(self.token)

    @property
    def url_with_token(self) -> str:
        if not self.token:
            return self.url
        return f"{self.url.rstrip('/')}/lab?token={self.token}"


@dataclass
class KernelInfo:
    """A kernelspec the configured JupyterLab offers."""

    name: str
    display_name: str
    python: str  # what it runs (argv[0]; a bare "python" is the server's own)
    dir: str
    ours: bool  # registered by the wizard
    broken: str | None = None  # why it cannot start for the service's user, with the fix


@dataclass
class ServedCertificate:
    """The certificate the access method's TLS serves, read over TLS from this machine (whoever
    issued it), or why it could not be read."""

    endpoint: str  # address:port it was read from
    server_name: str = ""  # the name asked by SNI ("" = none)
    names: list[str] = field(default_factory=list)
    issuer: str = ""
    serial: str = ""
    not_after: float | None = None  # Unix time
    days_left: float | None = None
    error: str | None = None  # why nothing was read

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.endpoint}: {self.error}"
        days = (
            _("{days} days left").format(days=f"{self.days_left:.0f}")
            if self.days_left is not None
            else "?"
        )
        return _("{names}, issued by {issuer} ({days})").format(
            names=", ".join(self.names) or _("(no names)"), issuer=self.issuer, days=days
        )


@dataclass
class Finding:
    code: str
    severity: str  # "error" | "warning"
    message: str
    fix: str
    step: str | None = None  # the wizard step that fixes it: network, password, service, access


@dataclass
class Snapshot:
    taken_at: float
    duration_ms: float
    configured: Configured
    service: ServiceStatus
    servers: list[Server] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kernels: list[KernelInfo] = field(default_factory=list)
    certificate: ServedCertificate | None = None  # None: the access method serves no TLS

    @property
    def running(self) -> bool:
        return bool(self.servers)

    @property
    def state(self) -> str:
        if not self.running:
            return "down"
        return "degraded" if self.findings else "healthy"

    @property
    def exit_code(self) -> int:
        return {"healthy": EXIT_HEALTHY, "down": EXIT_DOWN}.get(self.state, EXIT_FINDINGS)


def is_server_name(name: str) -> bool:
    """A Jupyter server's process name (not the wizard's own)."""
    # jupyter-lab, jupyter-server, jupyter-notebook (comm is cut at 15 chars); not ourselves.
    return name.startswith("jupyter-") and not name.startswith("jupyter-setup")
