"""The newcomer's journey, end to end, exactly as a person takes it: SSH in, `sudo` the wizard.

A real server: Debian bookworm with a real systemd (systemd-nspawn), a real sshd inside it on a
free loopback port, `sudo` with a rule for jupyteruser, and the wizard installed in /opt/jsw (a
venv built from this repo, bind-mounted read-only) with /usr/local/bin/jupyter-setup-wizard.
From the host, `ssh -p PORT jupyteruser@127.0.0.1` with a key runs in tmux at 80x24
(TERM=xterm-256color); at the shell prompt the person types `sudo jupyter-setup-wizard` and
takes the defaults (under sudo with systemd the Service step suggests a system service; access
is ssh-tunnel) and types a password twice, counting the keys. Then: Review, Apply, read the
result screen, quit (the command stays in the terminal), run the printed ssh command on "their
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
    TEST_USER,
    HarnessError,
    SystemdContainer,
    require_tools,
)
from tests.support.ports import HarnessError as TerminalError
from tests.support.ports import free_port, stop_process, wait_for_port, wait_until
from tests.support.server_image import (
    HOME,
    REPO,
    SRC,
    WIZ_VENV,
    SshServer,
    ensure_server_image,
    start_sshd,
)
from tests.support.tmux import TmuxSession

pytestmark = pytest.mark.system

UNIT = "jupyterlab.service"
PASSWORD = "Quiet-Harbour-Lights-9"
TERM = "xterm-256color"

TIMINGS: dict[str, float] = {}


def _timed(name: str, t0: float) -> None:
    TIMINGS[name] = time.monotonic() - t0
    print(f"[timing] {name}: {TIMINGS[name]:.1f}s", flush=True)


def _screen(text: str, title: str = "screen") -> str:
    return f"\n--- {title} ---\n{text.rstrip()}\n--- end of {title} ---"


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def server() -> Iterator[SshServer]:
    try:
        require_tools("systemd-nspawn", "debootstrap", "nsenter", "unshare", "chroot", "setpriv")
        for tool in ("ssh", "ssh-keygen", "tmux"):
            if shutil.which(tool) is None:
                raise HarnessError(f"{tool} not found (apt-get install openssh-client tmux)")
        t0 = time.monotonic()
        image = ensure_server_image()
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


def _start_server(ct: SystemdContainer, tmp: Path) -> SshServer:
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

    srv = start_sshd(ct, tmp, label="journey")

    # Harness self-checks: a key login works, sudo lets the user run the wizard, nothing else.
    r = srv.ssh("id -un; echo $SSH_CONNECTION; sudo -n jupyter-setup-wizard --version")
    if r.returncode != 0:
        raise HarnessError(
            f"ssh + sudo self-check failed ({r.returncode}):\n{r.stdout}\n{r.stderr}\n"
            f"{srv.sshd_log()}"
        )
    lines = r.stdout.splitlines()
    if (
        len(lines) < 2
        or lines[0] != TEST_USER
        or lines[1].split()[2:] != ["127.0.0.1", str(srv.ssh_port)]
    ):
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
    farewell: str = ""  # the terminal after quitting the wizard
    stage: str = "Welcome"
    stopped: str = ""  # where and why the person could not go on (with the screen)
    screens: list[tuple[str, str]] = field(default_factory=list)
    # Keys pressed, by why: "person" (what a first setup takes), "isolation" (the free ports
    # only this shared-loopback test needs, and the Tabs to reach them). The password and the
    # shell command are typed text, not counted.
    keys: dict[str, int] = field(default_factory=lambda: {"person": 0, "isolation": 0})

    def press(self, tmux: TmuxSession, *keys: str, why: str = "person") -> None:
        for key in keys:
            self.keys[why] += 1
            tmux.send_keys(key)

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
    j.press(tmux, "Enter")  # "Set up" has the focus
    tmux.wait_for_text("▶2 Install", timeout=20)

    j.stage = "Install: the defaults (Ctrl+N), to Password"
    _wait_gone(tmux, "Looking for Python environments", timeout=30)
    _settle()
    j.install = j.seen("install", tmux.capture())
    j.press(tmux, "C-n")
    tmux.wait_for_text("▶3 Password", timeout=20)

    j.stage = "Password: typed twice, to Network"
    _settle()
    tmux.type_text(PASSWORD)
    j.press(tmux, "Enter")
    tmux.type_text(PASSWORD)
    j.press(tmux, "Enter")
    tmux.wait_for_text("▶4 Network", timeout=20)

    j.stage = "Network: a free port (Ctrl+N), to Service"
    _settle()
    j.press(tmux, "Tab", why="isolation")  # listen address -> port (its text is selected)
    j.press(tmux, *str(j.jupyter_port), why="isolation")
    tmux.wait_for_text(f"│ {j.jupyter_port}\n")
    j.press(tmux, "C-n")
    tmux.wait_for_text("▶5 Service", timeout=20)

    j.stage = "Service: the suggestion (a systemd system service under sudo), to Access"
    _settle()
    tmux.wait_for_text("Run as user")  # shown for a service manager only
    j.seen("service", tmux.capture())
    j.press(tmux, "C-n")
    tmux.wait_for_text("▶6 Access", timeout=20)

    j.stage = "Access: ssh-tunnel (the first method), a free local port"
    _settle()
    for _ in range(3):  # method -> SSH user -> SSH host -> Local port, as a person tabs
        j.press(tmux, "Tab", why="isolation")
        time.sleep(0.3)
    j.press(tmux, *str(j.local_port), why="isolation")
    j.access = j.seen("access", tmux.wait_for_text(f"-L {j.local_port}:localhost:{j.jupyter_port}"))

    j.stage = "Access: Ctrl+R, to Review and its plan"
    j.press(tmux, "C-r")
    j.review = j.seen("review", tmux.wait_for_text("Press A to apply", timeout=120))

    j.stage = "Review: A, the apply to its end"
    t0 = time.monotonic()
    j.press(tmux, "a")
    done = re.compile(r"Applied \(ID|The apply failed|Stopped")
    j.result = j.seen("result", tmux.wait_for_text(done, timeout=900))
    _timed("apply", t0)
    j.applied = "Applied (ID" in j.result
    j.stage = "the result screen: Q, back to the shell"
    j.press(tmux, "q")
    prompt = re.compile(rf"{TEST_USER}@[\w.-]+:~\$ ?$", re.MULTILINE)
    j.farewell = j.seen("the terminal after quitting", tmux.wait_for_text(prompt, timeout=30))
    print(f"[journey] keys: {j.keys}", flush=True)


@pytest.fixture(scope="module")
def journey(server: SshServer) -> Iterator[Journey]:
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


def test_a_first_setup_takes_at_most_12_keys(journey: Journey) -> None:
    """#13: besides the password (and the free ports only this test needs), with no restart."""
    _require_applied(journey)
    assert journey.keys["person"] <= 12, journey.keys


def test_the_next_step_is_on_screen_and_printed_on_exit(journey: Journey) -> None:
    """The result shows the exact ssh command and the URL without scrolling, and quitting
    leaves both in the terminal."""
    _require_applied(journey)
    command = f"ssh -N -L {journey.local_port}:localhost:{journey.jupyter_port}"
    url = f"http://localhost:{journey.local_port}/"
    for text, where in ((journey.result, "result screen"), (journey.farewell, "terminal")):
        flat = text.replace("\n", " ")
        assert command in flat and url in flat, _screen(text, where)


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


def test_unit_runs_as_the_user(journey: Journey, server: SshServer) -> None:
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


def test_printed_tunnel_command_names_this_ssh_session(journey: Journey, server: SshServer) -> None:
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


def test_printed_command_logs_in_and_runs_code(journey: Journey, server: SshServer) -> None:
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


def test_status_without_sudo_sees_the_setup(journey: Journey, server: SshServer) -> None:
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
