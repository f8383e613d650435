"""What the machine has now: the facts every step's defaults and validation start from."""

from __future__ import annotations

import ipaddress
import os
import pwd
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from wizard.probe import sockets
from wizard.probe.installers import find_uv
from wizard.probe.interpreter import Interpreter, inspect_interpreter
from wizard.probe.jupyter_config import ConfigFile, scan_config_dirs
from wizard.probe.kernelspecs import KernelFacts
from wizard.probe.person import Person, ssh_connection
from wizard.probe.person import person as current_person
from wizard.probe.sockets import Listener


@dataclass(frozen=True)
class Address:
    interface: str
    address: str  # without %scope
    family: int  # socket.AF_INET / AF_INET6

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.address)


@dataclass
class Facts:
    interpreter: Interpreter | None
    config_dir: str  # the user config dir the answers target
    config_files: list[ConfigFile] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    ssh_connection: str | None = None  # "client_ip client_port server_ip server_port"
    systemd_running: bool = False
    euid: int = 0
    user: str = ""
    # install.action = create-venv: the Python that makes the venv (interpreter is then the venv's)
    base_interpreter: Interpreter | None = None
    # Who the wizard works for (under sudo: the sudo user): whose paths are the defaults.
    person: Person = field(default_factory=current_person)
    uv: str | None = None  # uv's executable, when there is one (the fast installer)
    # The kernels the service's JupyterLab finds (filled in by the planner's resolve: where it
    # looks depends on whom it runs as).
    kernels: KernelFacts | None = None
    # The (python, config_dir) arguments these facts were probed for: wizard.session re-probes
    # when the answers point elsewhere.
    probed_for: tuple[str | None, str | None] = (None, None)

    @property
    def config_dirs(self) -> list[str]:
        """The target's config search path with the user dir replaced by the answers' config dir."""
        path = list(self.interpreter.config_path) if self.interpreter else []
        if self.interpreter and self.interpreter.config_dir in path:
            path[path.index(self.interpreter.config_dir)] = self.config_dir
        elif self.config_dir not in path:
            path.insert(0, self.config_dir)
        return path

    def listeners_on(self, port: int) -> list[Listener]:
        return [lst for lst in self.listeners if lst.port == port]

    def has_address(self, ip: str) -> bool:
        return any(a.address == ip for a in self.addresses)


def network_addresses() -> list[Address]:
    out: list[Address] = []
    for iface, addrs in psutil.net_if_addrs().items():
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6):
                out.append(Address(iface, a.address.split("%", 1)[0], a.family))
    return out


def listening_sockets(ports: Iterable[int] | None = None) -> list[Listener]:
    """Listening TCP sockets (all, or on `ports`) with their owning process (the replacement
    for `netstat -nlp`)."""
    names: dict[int, tuple[str | None, str | None]] = {}
    out: list[Listener] = []
    for s in sockets.listeners(ports):
        proc_name = user = None
        if s.pid is not None:
            if s.pid not in names:
                try:
                    p = psutil.Process(s.pid)
                    names[s.pid] = (p.name(), p.username())
                except (psutil.Error, KeyError):
                    names[s.pid] = (None, None)
            proc_name, user = names[s.pid]
        out.append(Listener(s.address, s.port, s.pid, proc_name, user))
    return out


def systemd_is_running() -> bool:
    """systemd's own test (sd_booted): PID 1 is systemd only when this directory exists."""
    return Path("/run/systemd/system").is_dir()


def probe(python: str | None, config_dir: str | None = None) -> Facts:
    """Take every fact the wizard needs; `python` is the target interpreter (None: not chosen yet).

    A `python` that does not exist yet (the venv install.action = create-venv will make) gives
    interpreter None; the install step predicts it (wizard.steps.install.target_facts).
    """
    exists = python is not None and (not os.path.isabs(python) or os.path.lexists(python))
    interp = inspect_interpreter(python) if python and exists else None
    cdir = config_dir or (interp.config_dir if interp else _default_config_dir())
    facts = Facts(
        interpreter=interp,
        config_dir=cdir,
        addresses=network_addresses(),
        listeners=listening_sockets(),
        ssh_connection=ssh_connection(),
        systemd_running=systemd_is_running(),
        euid=os.geteuid(),
        user=pwd.getpwuid(os.geteuid()).pw_name,
        person=current_person(),
        uv=find_uv(),
        probed_for=(python, config_dir),
    )
    facts.config_files = scan_config_dirs(facts.config_dirs, ours=facts.config_dir)
    return facts


def _default_config_dir() -> str:
    who = current_person()
    if who.via_sudo:  # sudo dropped the person's JUPYTER_CONFIG_DIR with the rest of it
        return str(Path(who.home) / ".jupyter")
    return os.environ.get("JUPYTER_CONFIG_DIR") or str(Path.home() / ".jupyter")
