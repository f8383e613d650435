"""The newcomer's journey, end to end, exactly as a person takes it: SSH in, `sudo` the wizard.

A real server: Debian bookworm with a real systemd (systemd-nspawn), a real sshd inside it on a
free loopback port, `sudo` with a rule for jupyteruser, and the wizard installed in /opt/jsw (a
venv built from this repo, bind-mounted read-only) with /usr/local/bin/jupyter-setup-wizard.
From the host, `ssh -p PORT jupyteruser@127.0.0.1` with a key runs in tmux at 80x24
(TERM=xterm-256color); at the shell prompt the person types `sudo jupyter-setup-wizard` and
takes the defaults except: service manager systemd-system, access ssh-tunnel, a password typed
twice. Then: Review, Apply, read the result screen, run the printed ssh command on "their
computer" (the host), log in to JupyterLab through it, run code in a kernel; and without sudo,
`jupyter-setup-wizard status --once` over ssh.

Two deviations from "the defaults", both forced by the container sharing the host's network
(server and "laptop" are one loopback): JupyterLab's port is a free one (8888 may be taken by
anything else on this machine), and the tunnel's local port is another free one (the default,
the same port as JupyterLab's, is taken by JupyterLab itself here).

The image (openssh-server, sudo, the wizard's dependencies, a wheelhouse for JupyterLab used
through /etc/pip.conf, so the wizard's own pip install runs offline) is built once and cached
beside the harness's base rootfs; each run only installs this repo's wizard into it (~seconds).

The module fixture `journey` drives the whole TUI once and records what the person saw; the
tests then check one thing each, with the screen in every failure message.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import websocket

from tests.support.jupyter import login
from tests.support.nspawn import (
    TEST_UID,
    TEST_USER,
    HarnessError,
    SystemdContainer,
    chroot_run,
    ensure_derived_rootfs,
    ensure_rootfs,
    pip_env,
    require_tools,
)
from tests.support.ports import HarnessError as TerminalError
from tests.support.ports import free_port, stop_process, wait_for_port, wait_until
from tests.support.tmux import TmuxSession

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.system

REPO = Path(__file__).parents[2]
SRC = "/srv/src"  # the repo inside the container (read-only bind mount)
HOME = f"/home/{TEST_USER}"
WIZ_VENV = "/opt/jsw"
WIZ_BIN = "/usr/local/bin/jupyter-setup-wizard"
WHEELS = "/var/cache/jsw-wheels"
CA = "/etc/ssl/certs/ca-certificates.crt"
UNIT = "jupyterlab.service"
PASSWORD = "Quiet-Harbour-Lights-9"
TERM = "xterm-256color"
SUDOERS = f"{TEST_USER} ALL=(root) NOPASSWD: {WIZ_BIN}\n"
# The machine's pip: the host's CA bundle (TLS may be intercepted by a proxy the host trusts) and
# only the wheelhouse, so the wizard's `pip install jupyterlab` is fast and needs no network.
PIP_CONF = f"[global]\ncert = {CA}\nno-index = true\nfind-links = {WHEELS}\n"
APT_PACKAGES = ("openssh-server", "sudo")
IMAGE_VERSION = "2"  # bump when _build_image changes in a way the recipe text does not show

TIMINGS: dict[str, float] = {}


def _timed(name: str, t0: float) -> None:
    TIMINGS[name] = time.monotonic() - t0
    print(f"[timing] {name}: {TIMINGS[name]:.1f}s", flush=True)


def _screen(text: str, title: str = "screen") -> str:
    return f"\n--- {title} ---\n{text.rstrip()}\n--- end of {title} ---"


# --------------------------------------------------------------------------- the image


def _wizard_deps() -> list[str]:
    """The wizard's runtime dependencies, as pyproject.toml lists them (markers included)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def _recipe() -> str:
    return "\n".join(
        [IMAGE_VERSION, *APT_PACKAGES, *_wizard_deps(), "hatchling", SUDOERS, PIP_CONF, WIZ_VENV]
    )


def _build_image(root: Path) -> None:
    """openssh-server and sudo from the Debian mirror; the wizard's venv; a JupyterLab wheelhouse."""
    # Nothing may start in the chroot (it shares the host's network: sshd would take port 22).
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
    chroot_run(root, ["apt-get", "update"], timeout=600, env=apt_env)
    chroot_run(
        root,
        ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
        timeout=900,
        env=apt_env,
    )
    policy.unlink()
    # What any installed Debian has (debootstrap writes none): "localhost" must not go to DNS.
    (root / "etc/hosts").write_text(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    )
    # Started per test, once it has its own port and address.
    chroot_run(root, ["systemctl", "disable", "ssh.service"], timeout=60)

    pip = [f"{WIZ_VENV}/bin/pip", "install", "-q", "--cert", CA]
    chroot_run(root, ["/usr/bin/python3", "-m", "venv", WIZ_VENV], timeout=300)
    # hatchling: the repo's build backend, for the per-run offline install of the wizard itself.
    chroot_run(root, [*pip, *_wizard_deps(), "hatchling"], timeout=1200, env=pip_env())
    chroot_run(
        root,
        [f"{WIZ_VENV}/bin/pip", "wheel", "-q", "--cert", CA, "-w", WHEELS, "jupyterlab"],
        timeout=1800,
        env=pip_env(),
    )
    (root / "etc/pip.conf").write_text(PIP_CONF)
    sudoers = root / "etc/sudoers.d/jsw-journey"
    sudoers.write_text(SUDOERS)
    sudoers.chmod(0o440)
    chroot_run(root, ["visudo", "-c", "-f", "/etc/sudoers.d/jsw-journey"], timeout=60)
    (root / WIZ_BIN.lstrip("/")).symlink_to(f"{WIZ_VENV}/bin/jupyter-setup-wizard")


# --------------------------------------------------------------------------- the server


@dataclass
class JourneyServer:
    ct: SystemdContainer
    ssh_port: int
    key: Path
    known_hosts: Path

    @property
    def destination(self) -> str:
        return f"{TEST_USER}@127.0.0.1"

    def client_options(self) -> list[str]:
        """What makes the test's ssh client use only the test's key and host key."""
        return [
            "-F", "/dev/null",
            "-i", str(self.key),
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
        ]  # fmt: skip

    def ssh(self, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`ssh -p PORT jupyteruser@127.0.0.1 -- COMMAND`, as the user types it."""
        argv = ["ssh", *self.client_options(), "-p", str(self.ssh_port), self.destination]
        return subprocess.run(
            [*argv, "--", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def sshd_log(self) -> str:
        return self.ct.journal("ssh.service", lines=40)


@pytest.fixture(scope="module")
def server() -> Iterator[JourneyServer]:
    try:
        require_tools("systemd-nspawn", "debootstrap", "nsenter", "unshare", "chroot", "setpriv")
        for tool in ("ssh", "ssh-keygen", "tmux"):
            if shutil.which(tool) is None:
                raise HarnessError(f"{tool} not found (apt-get install openssh-client tmux)")
        t0 = time.monotonic()
        image = ensure_derived_rootfs("journey", _recipe(), _build_image, base=ensure_rootfs())
        _timed("image (cached after the first run)", t0)
    except HarnessError as exc:
        pytest.fail(f"cannot provide the journey image: {exc}", pytrace=False)

    tmp = Path(tempfile.mkdtemp(prefix="jsw-journey-"))
    ct = SystemdContainer(image, bind_ro=[f"{REPO}:{SRC}"], name="journey")
    try:
        t0 = time.monotonic()
        ct.boot()
        _timed("boot", t0)
        yield _start_server(ct, tmp)
    finally:
        ct.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _start_server(ct: SystemdContainer, tmp: Path) -> JourneyServer:
    t0 = time.monotonic()
    # The wizard from this repo, the way an admin installs it (offline: deps and backend are in).
    r = ct.run(
        [f"{WIZ_VENV}/bin/pip", "install", "-q", "--no-deps", "--no-build-isolation", SRC],
        check=False,
        timeout=300,
    )
    if r.returncode != 0:
        raise HarnessError(f"installing the wizard failed:\n{r.stdout}\n{r.stderr}")
    _timed("install the wizard in the container", t0)

    # sudo (and anything else) resolves the machine's own name locally, not via DNS.
    hostname = ct.run(["hostname"]).stdout.strip()
    with ct.host_path("/etc/hosts").open("a") as hosts:
        hosts.write(f"127.0.1.1\t{hostname}\n")

    # The person's key in their authorized_keys; the server's host key in the client's known_hosts.
    key = tmp / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "journey", "-f", str(key)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    ssh_dir = ct.host_path(f"{HOME}/.ssh")
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    auth = ssh_dir / "authorized_keys"
    auth.write_text(key.with_suffix(".pub").read_text())
    auth.chmod(0o600)
    for p in (ssh_dir, auth):
        shutil.chown(p, TEST_UID, TEST_UID)

    port = free_port()
    ct.host_path("/etc/ssh/sshd_config.d/10-jsw-journey.conf").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nAllowUsers {TEST_USER}\n"
    )
    r = ct.systemctl("start", "ssh.service", check=False)
    if r.returncode != 0:
        raise HarnessError(f"sshd did not start:\n{r.stderr}\n{ct.journal('ssh.service')}")
    wait_for_port("127.0.0.1", port, 20, log=lambda: ct.journal("ssh.service"))
    host_pub = ct.host_path("/etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    known_hosts = tmp / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    srv = JourneyServer(ct, port, key, known_hosts)

    # Harness self-checks: a key login works, sudo lets the user run the wizard, nothing else.
    r = srv.ssh("id -un; echo $SSH_CONNECTION; sudo -n jupyter-setup-wizard --version")
    if r.returncode != 0:
        raise HarnessError(
            f"ssh + sudo self-check failed ({r.returncode}):\n{r.stdout}\n{r.stderr}\n"
            f"{srv.sshd_log()}"
        )
    lines = r.stdout.splitlines()
    if len(lines) < 2 or lines[0] != TEST_USER or lines[1].split()[2:] != ["127.0.0.1", str(port)]:
        raise HarnessError(f"unexpected ssh self-check output:\n{r.stdout}")
    return srv


# --------------------------------------------------------------------------- the journey


@dataclass
class Journey:
    """What the person saw on the way (screens as tmux captured them)."""

    jupyter_port: int
    local_port: int
    welcome: str = ""
    install: str = ""
    access: str = ""
    review: str = ""
    result: str = ""
    applied: bool = False
    stage: str = "Welcome"
    stopped: str = ""  # where and why the person could not go on (with the screen)
    screens: list[tuple[str, str]] = field(default_factory=list)

    def seen(self, name: str, screen: str) -> str:
        self.screens.append((name, screen))
        print(_screen(screen, name), flush=True)
        return screen

    def result_block(self) -> str:
        if self.stopped:
            return f"\nthe journey stopped before the result screen, at {self.stopped}"
        return _screen(self.result, "result screen")


def _settle() -> None:
    # A new screen takes a moment to mount and focus its first field; a person never types
    # within those milliseconds, and keys sent earlier would race the screen switch.
    time.sleep(0.5)


def _wait_gone(tmux: TmuxSession, text: str, timeout: float) -> str:
    last = ""

    def gone() -> str | None:
        nonlocal last
        last = tmux.capture()
        return last if text not in last else None

    try:
        return wait_until(gone, timeout=timeout, what=f"{text!r} to go away")[0]
    except TerminalError as exc:
        raise TerminalError(f"{exc}{_screen(last)}") from None


def _ui_order(module: str, func: str) -> list[str]:
    """The values of a choice list in the order the screens offer them (wizard/forms)."""
    import importlib

    return [value for value, _ in getattr(importlib.import_module(module), func)()]


def _choose(tmux: TmuxSession, module: str, func: str, value: str) -> None:
    """On a focused choice list: to the top, then down to `value` (moving is choosing)."""
    tmux.send_keys("Home")
    for _ in range(_ui_order(module, func).index(value)):
        tmux.send_keys("Down")


def _take_the_steps(tmux: TmuxSession, j: Journey) -> None:
    """sudo the wizard, Welcome -> ... -> Review -> Apply; j.stage says where the person is."""
    j.stage = "the shell: sudo jupyter-setup-wizard, to the probed Welcome"
    t0 = time.monotonic()
    tmux.type_text("sudo jupyter-setup-wizard")
    tmux.send_keys("Enter")
    tmux.wait_for_text("Set up", timeout=60)
    # The glance fills in once the probe is done.
    j.welcome = j.seen("welcome", tmux.wait_for_text(re.compile(r"Binding +\S+:\d+"), 60))
    _timed("wizard start to the probed welcome", t0)

    j.stage = "Welcome: Enter on Set up, to Install"
    tmux.send_keys("Enter")  # "Set up" has the focus
    tmux.wait_for_text("▶2 Install", timeout=20)

    j.stage = "Install: the defaults (Ctrl+N), to Password"
    _wait_gone(tmux, "Looking for Python environments", timeout=30)
    _settle()
    j.install = j.seen("install", tmux.capture())
    tmux.send_keys("C-n")
    tmux.wait_for_text("▶3 Password", timeout=20)

    j.stage = "Password: typed twice, to Network"
    _settle()
    tmux.type_text(PASSWORD)
    tmux.send_keys("Enter")
    tmux.type_text(PASSWORD)
    tmux.send_keys("Enter")
    tmux.wait_for_text("▶4 Network", timeout=20)

    j.stage = "Network: a free port (Ctrl+N), to Service"
    _settle()
    tmux.send_keys("Tab")  # listen address -> port (its text is selected on focus)
    tmux.type_text(str(j.jupyter_port))
    tmux.wait_for_text(f"│ {j.jupyter_port}\n")
    tmux.send_keys("C-n")
    tmux.wait_for_text("▶5 Service", timeout=20)

    j.stage = "Service: systemd-system, Run as user empty (Ctrl+N), to Access"
    _settle()
    _choose(tmux, "wizard.forms.service", "managers", "systemd-system")
    tmux.wait_for_text("Run as user")  # shown for a service manager only
    _settle()
    j.seen("service", tmux.capture())
    tmux.send_keys("C-n")
    tmux.wait_for_text("▶6 Access", timeout=20)

    j.stage = "Access: ssh-tunnel, a free local port"
    _settle()
    _choose(tmux, "wizard.forms.access", "methods", "ssh-tunnel")
    _settle()
    for _ in range(3):  # method -> SSH user -> SSH host -> Local port, as a person tabs
        tmux.send_keys("Tab")
        time.sleep(0.3)
    tmux.type_text(str(j.local_port))
    j.access = j.seen("access", tmux.wait_for_text(f"-L {j.local_port}:localhost:{j.jupyter_port}"))

    j.stage = "Access: Ctrl+R, to Review and its plan"
    tmux.send_keys("C-r")
    j.review = j.seen("review", tmux.wait_for_text("Press A to apply", timeout=120))

    j.stage = "Review: A, the apply to its end"
    t0 = time.monotonic()
    tmux.send_keys("a")
    done = re.compile(r"Applied \(ID|The apply failed|Stopped; every change")
    j.result = j.seen("result", tmux.wait_for_text(done, timeout=900))
    _timed("apply", t0)
    j.applied = "Applied (ID" in j.result
    j.stage = "the result screen"


@pytest.fixture(scope="module")
def journey(server: JourneyServer) -> Iterator[Journey]:
    j = Journey(jupyter_port=free_port(), local_port=free_port())
    login_argv = [
        "env", f"TERM={TERM}",
        "ssh", *server.client_options(), "-p", str(server.ssh_port), server.destination,
    ]  # fmt: skip
    t_all = time.monotonic()
    with TmuxSession() as tmux:
        tmux.new_session(login_argv, width=80, height=24)
        prompt = re.compile(rf"{TEST_USER}@[\w.-]+:~\$ ?$", re.MULTILINE)
        tmux.wait_for_text(prompt, timeout=30)
        try:
            _take_the_steps(tmux, j)
        except (HarnessError, TerminalError) as exc:  # a step the person cannot get past
            j.stopped = f"{j.stage}: {exc}"
            print(f"[journey] stopped at {j.stage}", flush=True)
        _timed("the whole TUI journey", t_all)
        yield j
        tmux.send_keys("q")


# --------------------------------------------------------------------------- what the person checks


def test_welcome_shows_the_users_own_config_dir(journey: Journey) -> None:
    """Under sudo the glance is about the person's Jupyter, not root's."""
    if not journey.welcome:
        pytest.fail(f"the Welcome screen never showed its glance: {journey.stopped}")
    config_line = [ln for ln in journey.welcome.splitlines() if "Config " in ln]
    assert f"Config       {HOME}/.jupyter" in journey.welcome, (
        f"Welcome should show {HOME}/.jupyter; it shows {config_line}"
        + _screen(journey.welcome, "welcome screen")
    )
    assert "/root" not in journey.welcome, _screen(journey.welcome, "welcome screen")


def test_defaults_get_through_to_a_successful_apply(journey: Journey) -> None:
    """Every step takes the defaults (and the few choices) without a problem; the apply works."""
    assert not journey.stopped, "the person could not go on" + journey.result_block()
    assert journey.applied, "the apply did not succeed" + journey.result_block()


def _require_applied(journey: Journey) -> None:
    if journey.stopped:  # its screen is in test_defaults_get_through_to_a_successful_apply
        reason = journey.stopped.splitlines()[0]
        pytest.fail(f"nothing was applied: the journey stopped at {reason}", pytrace=False)
    if not journey.applied:
        pytest.fail("the apply failed, nothing to check" + journey.result_block(), pytrace=False)


def test_unit_runs_as_the_user(journey: Journey, server: JourneyServer) -> None:
    _require_applied(journey)
    show = server.ct.systemctl("show", UNIT, "-p", "User,ActiveState,ExecStart").stdout
    assert f"User={TEST_USER}" in show.splitlines(), show + server.ct.journal(UNIT, 30)
    assert "ActiveState=active" in show.splitlines(), show + server.ct.journal(UNIT, 30)


def _printed_command(result: str) -> str:
    """The `ssh -N -L ...` line of the result screen, without the box drawing around it."""
    for line in result.splitlines():
        i = line.find("ssh -N -L")
        if i >= 0:
            return line[i:].split("│")[0].strip()
    return ""


def _access_command(access: str) -> str:
    """The command the Access step shows under "On your computer", its wrapped lines joined."""
    lines = [ln.split("│", 1)[-1].strip() for ln in access.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("On your computer"):
            words = []
            for more in lines[i + 1 :]:
                if not more:
                    break
                words.append(more)
            return " ".join(words)
    return ""


def test_printed_tunnel_command_names_this_ssh_session(
    journey: Journey, server: JourneyServer
) -> None:
    """sudo dropped SSH_CONNECTION; the command still names the address and port the person
    used to log in (as this server saw them), and their login."""
    if journey.stopped:
        _require_applied(journey)
    command = _printed_command(journey.result)
    assert command, "no `ssh -N -L` command on the result screen" + journey.result_block()
    argv = shlex.split(command)
    where = f"printed: {command!r}" + journey.result_block()
    assert f"{TEST_USER}@127.0.0.1" in argv, where
    assert "-p" in argv and argv[argv.index("-p") + 1] == str(server.ssh_port), where
    assert f"{journey.local_port}:localhost:{journey.jupyter_port}" in argv, where


def _run_code(base: str, session: requests.Session, code: str) -> str:
    """Start a kernel through the server's API, run `code` over the websocket, return stdout."""
    xsrf = {"X-XSRFToken": session.cookies["_xsrf"]}
    r = session.post(f"{base}/api/kernels", json={"name": "python3"}, headers=xsrf, timeout=60)
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    msg_id = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"{base.replace('http://', 'ws://')}/api/kernels/{kernel}/channels",
        cookie="; ".join(f"{c.name}={c.value}" for c in session.cookies),
        header=[f"X-XSRFToken: {session.cookies['_xsrf']}"],
        timeout=60,
    )
    out: list[str] = []
    try:
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "journey",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                out.append("\n".join(msg["content"].get("traceback", [])))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        ws.close()
        session.delete(f"{base}/api/kernels/{kernel}", headers=xsrf, timeout=30)
    return "".join(out)


def test_printed_command_logs_in_and_runs_code(journey: Journey, server: JourneyServer) -> None:
    """On "their computer": the printed command as is (plus the test's key options and
    ExitOnForwardFailure), then the browser's login with the password, then a kernel."""
    _require_applied(journey)
    command = _printed_command(journey.result)
    if not command:  # tested above; the one the Access step showed is just as printed
        command = _access_command(journey.access)
        print(f"[journey] no command on the result screen; the Access step's: {command!r}")
    argv = shlex.split(command)
    if not command or f"{TEST_USER}@127.0.0.1" not in argv or argv[0] != "ssh":
        # Never sent anywhere but this machine's loopback: a printed host name is not run.
        pytest.fail(
            f"the printed command does not reach this server over loopback: {command!r}"
            + journey.result_block()
        )
    tunnel = [
        "ssh", *server.client_options(), "-o", "ExitOnForwardFailure=yes",
        "-o", "ServerAliveInterval=5", *argv[1:],
    ]  # fmt: skip
    proc = subprocess.Popen(
        tunnel,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", journey.local_port, 20, process=proc, log=server.sshd_log)
        base = f"http://localhost:{journey.local_port}"
        status, session = login(base, PASSWORD)
        assert status == 302, f"login through the tunnel answered {status}"
        assert session.get(f"{base}/api/contents", timeout=10).status_code == 200
        assert _run_code(base, session, "print(6*7)").strip() == "42"
    finally:
        stop_process(proc)


def test_status_without_sudo_sees_the_setup(journey: Journey, server: JourneyServer) -> None:
    """The same person, without sudo, asks what is set up: the service and its port."""
    _require_applied(journey)
    r = server.ssh("jupyter-setup-wizard status --once")
    out = r.stdout + r.stderr
    where = f"\n`jupyter-setup-wizard status --once` exited {r.returncode}:\n{out}"
    service = [ln for ln in r.stdout.splitlines() if ln.startswith("Service:")]
    assert service, where
    assert "systemd-system" in service[0] and "jupyterlab" in service[0], where
    assert "active (running)" in service[0], where
    configured = [ln for ln in r.stdout.splitlines() if ln.startswith("Configured")]
    assert configured and f"port {journey.jupyter_port}" in configured[0], where
    assert r.stdout.startswith("JupyterLab is running"), where
