"""What an access method is: the protocol every method module implements, and the types they share.

An access method is how the person reaches JupyterLab from their own computer. Each one lives
in its own module (ssh_tunnel, direct, router_tunnel, reverse_proxy) as one object that says
everything about it: its name and label, the answers fields it reads, the binding it needs,
its validation, the Jupyter settings it decides, its plan actions, its instructions and the
doctor checks only it has. The registry (registry.py) finds them by name.

`MethodBase` holds the defaults most methods share; a method overrides what differs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.plan.actions import Action
from wizard.plan.plan import Plan
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import TraitKey


class Binding(enum.Enum):
    """Where Jupyter itself must listen for the method to work."""

    LOOPBACK = "loopback"  # loopback only: something else (ssh, nginx) carries it outside
    BEYOND_LOOPBACK = "beyond loopback"  # other computers connect to Jupyter's own port


class Tls(enum.Enum):
    """Whether the method serves TLS with a cert/key pair of its own (certfile/keyfile/self_signed)."""

    NONE = "none"
    OPTIONAL = "optional"  # no pair = plain HTTP
    REQUIRED = "required"


# --------------------------------------------------------------------------- instructions


# An address kind (a code in JSON) as a person reads it.
KIND_LABELS = {
    "loopback": N_("loopback"),
    "private LAN": N_("private LAN"),
    "public": N_("public"),
    "link-local": N_("link-local"),
    "IPv6": N_("IPv6"),
    "name": N_("DNS name"),
}


@dataclass(frozen=True)
class AccessUrl:
    url: str
    address: str
    kind: str  # loopback | private LAN | public | link-local | IPv6 | name
    truth: str

    def __str__(self) -> str:
        return f"{self.url}  [{_(KIND_LABELS.get(self.kind, self.kind))}] {self.truth}"


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

    def next_step(self) -> str:
        """The one thing to do now, in three lines at most: what a screen shows first and a
        terminal keeps last."""
        out = []
        if self.ssh_command:  # on a line of its own: copied whole, never wrapped mid-way
            out += [_("On your computer, run:"), f"  {self.ssh_command}"]
        url = self.browser_url or (self.urls[0].url if self.urls else "")
        if url:
            out.append((_("Then open:  {url}") if out else _("Open:  {url}")).format(url=url))
        return "\n".join(out)

    def render(self) -> str:
        out = [self.headline]
        if self.ssh_command:
            out += ["", _("On your own computer, run:"), f"  {self.ssh_command}"]
            out += [_("In the background instead:"), f"  {self.ssh_background}"]
            out += [
                _("Or add this to ~/.ssh/config there:"),
                *(f"  {x}" for x in self.ssh_config.splitlines()),
            ]
        if self.urls:
            out += ["", _("URLs:"), *(f"  {u}" for u in self.urls)]
        if self.browser_url:
            out += ["", _("Then open: {url}").format(url=self.browser_url)]
        if self.steps:
            out += ["", _("Steps:"), *(f"  {i}. {s}" for i, s in enumerate(self.steps, 1))]
        if self.limits:
            out += ["", _("Limits:"), *(f"  - {x}" for x in self.limits)]
        if self.warnings:
            out += ["", *(f"! {w}" for w in self.warnings)]
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- doctor


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one doctor check (doctor's JSON is these, as dicts)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False  # could not be checked here (detail says why); does not fail doctor


def skip(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail, skipped=True)


@dataclass(frozen=True)
class CheckContext:
    """What one doctor run knows: the setup of record, this machine, the secrets given."""

    answers: Answers
    facts: Facts
    method: AccessMethod
    password: str | None = None
    proxy_password: str | None = None
    timeout: float = 3.0


@dataclass(frozen=True)
class DoctorCheck:
    """One named check. A method's check replaces the common check of the same name, or adds one.

    `elsewhere`: for a check only some methods have, what the other methods report instead
    (skipped; "{method}" becomes their name); None: the other methods do not list it.
    """

    name: str
    run: Callable[[CheckContext], CheckResult]
    elsewhere: str | None = None


# --------------------------------------------------------------------------- the protocol


class AccessMethod(Protocol):
    """One access method (MethodBase has the defaults). Its data, read-only:"""

    @property
    def name(self) -> str:
        """The answers value (access.method)."""
        ...

    @property
    def label(self) -> str:
        """One line for a menu."""
        ...

    @property
    def fields(self) -> tuple[str, ...]:
        """The AccessAnswers fields it reads, in the order a form asks them."""
        ...

    @property
    def needs_password(self) -> bool:
        """build_plan refuses it without a Jupyter password."""
        ...

    @property
    def binding(self) -> Binding: ...

    @property
    def tls(self) -> Tls: ...

    @property
    def wider_binding(self) -> str:
        """Another network.ip that also works, for doctor's fix ("" = none)."""
        ...

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]: ...

    def jupyter_settings(self, answers: Answers, facts: Facts) -> dict[TraitKey, Any]:
        """The ServerApp traits its answers set (the wizard owns exactly these; see steps/config)."""
        ...

    def plan(
        self, plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None
    ) -> None: ...

    def prerequisites(self, answers: Answers, facts: Facts) -> list[Action]:
        """Actions that go first in the whole plan (getting a certificate: when it fails,
        nothing else has changed yet)."""
        ...

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo: ...

    # doctor
    def needed_addresses(self, answers: Answers, facts: Facts) -> list[str]:
        """The addresses Jupyter must listen on for this method."""
        ...

    def jupyter_scheme(self, answers: Answers) -> str:
        """How Jupyter itself answers (http, or https when it serves TLS)."""
        ...

    def exposed_port(self, answers: Answers) -> int | None:
        """The TCP port other computers connect to (the firewall check's); None: none."""
        ...

    def url_targets(
        self, answers: Answers, facts: Facts, info: AccessInfo
    ) -> tuple[list[tuple[str, str]], str]:
        """(address, Host header) pairs where the advertised URLs must answer, and how they show."""
        ...

    def doctor_checks(self) -> tuple[DoctorCheck, ...]: ...

    def tls_endpoint(self, answers: Answers) -> tuple[str, int, str] | None:
        """Where this machine reaches the TLS the method serves, as (address, port, the name
        asked by SNI; "" = none): what status reads the served certificate from. None: no TLS."""
        ...


def loopback_address(ip: str) -> str:
    """The loopback address a loopback binding answers on."""
    return "::1" if ip == "::1" else "127.0.0.1"


class MethodBase:
    """Defaults for an access method; a method module subclasses it and overrides what differs."""

    name: str
    label: str
    fields: tuple[str, ...] = ()
    needs_password: bool = True
    binding: Binding = Binding.BEYOND_LOOPBACK
    tls: Tls = Tls.NONE
    wider_binding: str = ""

    def validate(self, answers: Answers, facts: Facts) -> list[Problem]:
        return []

    def jupyter_settings(self, answers: Answers, facts: Facts) -> dict[TraitKey, Any]:
        return {}

    def plan(
        self, plan: Plan, answers: Answers, facts: Facts, *, proxy_password: str | None
    ) -> None:
        return None

    def prerequisites(self, answers: Answers, facts: Facts) -> list[Action]:
        return []

    def instructions(self, answers: Answers, facts: Facts) -> AccessInfo:
        raise NotImplementedError

    def needed_addresses(self, answers: Answers, facts: Facts) -> list[str]:
        """Loopback for a loopback method; a method that binds beyond loopback overrides it."""
        return [loopback_address(answers.network.ip)]

    def jupyter_scheme(self, answers: Answers) -> str:
        return "http"

    def exposed_port(self, answers: Answers) -> int | None:
        return None if self.binding is Binding.LOOPBACK else answers.network.port

    def url_targets(
        self, answers: Answers, facts: Facts, info: AccessInfo
    ) -> tuple[list[tuple[str, str]], str]:
        from wizard.probe.http import url_host

        port = answers.network.port
        targets = [(u.address, f"{url_host(u.address)}:{port}") for u in info.urls]
        return targets, ", ".join(u.url for u in info.urls)

    def doctor_checks(self) -> tuple[DoctorCheck, ...]:
        return ()

    def tls_endpoint(self, answers: Answers) -> tuple[str, int, str] | None:
        return None
