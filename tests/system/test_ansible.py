"""Many servers: the example playbook (ansible/examples/site.yml) and the collection's module
`jupyter_setup_wizard.server.apply`, run by a real `ansible-playbook` against three real hosts.

Each host is a systemd-nspawn container of the server image (tests/support/server_image.py) with
its own sshd on a loopback port and a key made here; Ansible logs in as jupyteruser and becomes
root with sudo. The playbook installs the wizard built from this checkout (a wheel dropped into
each host's wheelhouse, which the host's pip.conf points at: no network) and applies the same
answers everywhere: a systemd-system service running as jupyteruser, each host with its own
Jupyter port and password. The containers share the host's network, hence a port per host.

The module fixture runs the playbook four times, in order, recording each run: the first
(everything changes, every host serves JupyterLab), the second (changed=0), `--check --diff`
with new ports (the diff shows them, nothing changes), and one host given a busy port (it fails
with the wizard's error line, the others succeed). The tests check one thing each.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.jupyter import login
from tests.support.nspawn import TEST_USER, HarnessError, SystemdContainer, require_tools
from tests.support.ports import free_port, port_is_open
from tests.support.server_image import (
    HOME,
    REPO,
    SRC,
    WHEELS,
    WIZ_VENV,
    SshServer,
    ensure_server_image,
    start_sshd,
)

pytestmark = pytest.mark.system

EXAMPLES = REPO / "ansible" / "examples"
HOSTS = ("lab1", "lab2", "lab3")
PASSWORDS = {h: f"Vault-{h}-Quartz-{n}7" for n, h in enumerate(HOSTS)}
CONFIG = f"{HOME}/.jupyter/jupyter_server_config.json"
UNIT = "jupyterlab.service"
ANSWERS = {
    "jupyter": {"python": "/opt/jlab/bin/python"},  # the image's JupyterLab
    "network": {"port": "{{ jupyter_port }}"},
    "service": {"manager": "systemd-system", "user": TEST_USER},
    "access": {"method": "ssh-tunnel", "ssh_host": "{{ ansible_host }}"},
}
RECAP = re.compile(
    r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


@dataclass
class Host:
    name: str
    server: SshServer
    port: int  # JupyterLab's

    @property
    def ct(self) -> SystemdContainer:
        return self.server.ct


@dataclass
class Run:
    argv: list[str]
    rc: int
    out: str
    seconds: float

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP per host: ok, changed, unreachable, failed."""
        return {
            m[1]: dict(
                zip(
                    ("ok", "changed", "unreachable", "failed"),
                    map(int, m.groups()[1:]),
                    strict=True,
                )
            )
            for m in RECAP.finditer(self.out)
        }

    def shown(self) -> str:
        return f"\n--- {' '.join(self.argv[1:])} (rc {self.rc}) ---\n{self.out[-6000:]}\n---"


@dataclass
class Lab:
    hosts: list[Host]
    tmp: Path
    runs: dict[str, Run] = field(default_factory=dict)
    argv_leaks: list[str] = field(default_factory=list)
    before: dict[str, dict[str, bytes]] = field(default_factory=dict)  # per run: hosts' configs
    busy_port: int = 0
    new_ports: dict[str, int] = field(default_factory=dict)

    def inventory(self, ports: dict[str, int]) -> Path:
        """The inventory of this run (JSON is YAML): a port and a password per host."""
        hosts = {
            h.name: {
                "ansible_host": "127.0.0.1",
                "ansible_port": h.server.ssh_port,
                "ansible_ssh_private_key_file": str(h.server.key),
                "jupyter_port": ports[h.name],
                "jupyter_password": PASSWORDS[h.name],
            }
            for h in self.hosts
        }
        known = self.tmp / "known_hosts"
        known.write_text("".join(h.server.known_hosts.read_text() for h in self.hosts))
        ssh_args = (
            f"-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile={known} "
            "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
        )
        group_vars = {
            "ansible_user": TEST_USER,
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_common_args": ssh_args,
            "jsw_venv": WIZ_VENV,
            "jupyter_answers": ANSWERS,
        }
        path = self.tmp / "inventory.yml"
        path.write_text(json.dumps({"jupyter_servers": {"hosts": hosts, "vars": group_vars}}))
        return path

    def playbook(self, name: str, ports: dict[str, int], *extra: str) -> Run:
        bindir = Path(sys.executable).parent
        argv = [str(bindir / "ansible-playbook"), "-v", "-i", str(self.inventory(ports))]
        argv += [*extra, str(EXAMPLES / "site.yml")]
        env = {
            **os.environ,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "ANSIBLE_CONFIG": str(EXAMPLES / "ansible.cfg"),  # pipelining, as the example says
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / "ansible"),
            "ANSIBLE_HOME": str(self.tmp / "ansible-home"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.tmp / "cp"),  # short: a socket path
            "ANSIBLE_FORKS": "3",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
        }
        self.before[name] = self.configs()
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        run = Run(argv, r.returncode, r.stdout + r.stderr, time.monotonic() - t0)
        print(f"[timing] ansible-playbook {name}: {run.seconds:.1f}s", flush=True)
        self.runs[name] = run
        return run

    def configs(self) -> dict[str, bytes]:
        out = {}
        for h in self.hosts:
            p = h.ct.host_path(CONFIG)
            out[h.name] = p.read_bytes() if p.exists() else b""
        return out


class ArgvWatch:
    """Reads every process's argv (the host sees the containers' processes too) while the
    playbook runs; any argv holding a password is kept."""

    def __init__(self, secrets: list[str], found: list[str]) -> None:
        self.secrets, self.found = [s.encode() for s in secrets], found
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.samples = 0

    def _watch(self) -> None:
        while not self.stop.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        argv = f.read()
                except OSError:
                    continue
                if any(s in argv for s in self.secrets):
                    self.found.append(argv.replace(b"\0", b" ").decode(errors="replace"))
            self.samples += 1
            time.sleep(0.02)

    def __enter__(self) -> ArgvWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _boot_host(image: Path, name: str, tmp: Path) -> Host:
    # Only the first host sees the checkout (it builds the wheel the others get).
    bind = [f"{REPO}:{SRC}"] if name == HOSTS[0] else []
    ct = SystemdContainer(image, bind_ro=bind, name=f"ansible-{name}")
    ct.prepare()
    # Ansible becomes root with sudo, as on a server an admin manages.
    sudoers = ct.host_path("/etc/sudoers.d/jsw-ansible")
    sudoers.write_text(f"{TEST_USER} ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    ct.boot()
    (tmp / name).mkdir()
    return Host(name, start_sshd(ct, tmp / name, label=name), free_port())


def _build_wheel(host: Host, tmp: Path) -> Path:
    r = host.ct.run(
        [
            f"{WIZ_VENV}/bin/pip",
            *("wheel", "-q", "--no-deps", "--no-build-isolation"),
            SRC,
            "-w",
            "/var/tmp/jsw-wheel",
        ],
        check=False,
        timeout=300,
    )
    if r.returncode != 0:
        raise HarnessError(f"building the wizard's wheel failed:\n{r.stdout}\n{r.stderr}")
    [wheel] = host.ct.host_path("/var/tmp/jsw-wheel").glob("*.whl")
    return Path(shutil.copy2(wheel, tmp))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    try:
        require_tools("systemd-nspawn", "debootstrap", "nsenter", "unshare", "chroot", "setpriv")
        for tool in ("ssh", "ssh-keygen", str(Path(sys.executable).parent / "ansible-playbook")):
            if shutil.which(tool) is None:
                raise HarnessError(f"{tool} not found (openssh-client; ansible-core: test extra)")
        image = ensure_server_image()
    except HarnessError as exc:
        pytest.fail(f"cannot provide the Ansible lab: {exc}", pytrace=False)
    tmp = Path(tempfile.mkdtemp(prefix="jsw-ansible-"))
    hosts: list[Host] = []
    try:
        t0 = time.monotonic()
        for name in HOSTS:
            hosts.append(_boot_host(image, name, tmp))
        wheel = _build_wheel(hosts[0], tmp)
        for h in hosts:  # the hosts' pip.conf finds it there, with no index
            shutil.copy2(wheel, h.ct.host_path(WHEELS))
        print(f"[timing] three hosts up: {time.monotonic() - t0:.1f}s", flush=True)
        lab = Lab(hosts, tmp)
        _run_the_playbooks(lab)
        if os.environ.get("JSW_SHOW_ANSIBLE"):
            for run in lab.runs.values():
                print(run.shown())
        yield lab
    finally:
        for h in hosts:
            h.ct.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _run_the_playbooks(lab: Lab) -> None:
    ports = {h.name: h.port for h in lab.hosts}
    with ArgvWatch(list(PASSWORDS.values()), lab.argv_leaks) as watch:
        lab.playbook("first", ports)
        lab.playbook("second", ports)
        lab.new_ports = {h.name: free_port() for h in lab.hosts}
        lab.playbook("check", lab.new_ports, "--check", "--diff")
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            lab.busy_port = busy.getsockname()[1]
            lab.playbook("busy", {**ports, HOSTS[2]: lab.busy_port})
    assert watch.samples > 10


# --------------------------------------------------------------------------- the runs


def test_first_run_changes_every_host_and_each_serves_jupyterlab(lab: Lab) -> None:
    run = lab.runs["first"]
    assert run.rc == 0, run.shown()
    recap = run.recap()
    for h in lab.hosts:
        assert recap[h.name]["failed"] == 0 and recap[h.name]["changed"] == 2, run.shown()
        show = h.ct.systemctl("show", UNIT, "-p", "User,ActiveState,UnitFileState").stdout
        assert f"User={TEST_USER}" in show and "ActiveState=active" in show, show
        assert "UnitFileState=enabled" in show, show
        # Each host's own password logs in there, and no other's.
        status, _ = login(f"http://127.0.0.1:{h.port}/", PASSWORDS[h.name])
        assert status == 302, f"{h.name}: login answered {status}"
        other = PASSWORDS[next(o for o in HOSTS if o != h.name)]
        assert login(f"http://127.0.0.1:{h.port}/", other)[0] == 401


def test_the_module_returns_the_apply_and_how_to_reach_it(lab: Lab) -> None:
    run = lab.runs["first"]
    assert run.out.count('"status": "applied"') == len(HOSTS), run.shown()
    for h in lab.hosts:
        assert f"-L {h.port}:localhost:{h.port}" in run.out, run.shown()  # the ssh command
    ids = re.findall(r'"apply_id": "([^"]+)"', run.out)
    assert len(ids) == len(HOSTS), run.shown()
    history = lab.hosts[0].ct.run([f"{WIZ_VENV}/bin/jupyter-setup-wizard", "history"]).stdout
    assert any(i in history for i in ids), history


def test_second_run_changes_nothing(lab: Lab) -> None:
    run = lab.runs["second"]
    assert run.rc == 0, run.shown()
    recap = run.recap()
    assert set(recap) == set(HOSTS), run.shown()
    for h in lab.hosts:
        assert recap[h.name]["changed"] == 0 and recap[h.name]["failed"] == 0, run.shown()
    assert run.out.count('"status": "unchanged"') == len(HOSTS), run.shown()
    assert lab.configs() != {}


def test_check_mode_shows_the_port_diff_and_changes_nothing(lab: Lab) -> None:
    run = lab.runs["check"]
    assert run.rc == 0, run.shown()
    recap = run.recap()
    for h in lab.hosts:
        assert recap[h.name]["changed"] == 1, run.shown()  # the apply would; pip has nothing to do
        new = lab.new_ports[h.name]
        assert f'-    "port": {h.port},' in run.out and f'+    "port": {new},' in run.out, (
            run.shown()
        )
        assert port_is_open("127.0.0.1", h.port) and not port_is_open("127.0.0.1", new)
    assert lab.before["busy"] == lab.before["check"]  # nothing written by the check run
    assert run.out.count('"status": "planned"') == len(HOSTS), run.shown()


def test_a_busy_port_fails_that_host_alone_with_the_wizards_error(lab: Lab) -> None:
    run = lab.runs["busy"]
    recap = run.recap()
    bad = lab.hosts[2]
    assert run.rc != 0 and recap[bad.name]["failed"] == 1, run.shown()
    assert f"error: network.port: port {lab.busy_port} is in use" in run.out, run.shown()
    for h in lab.hosts[:2]:
        assert recap[h.name]["failed"] == 0 and recap[h.name]["changed"] == 0, run.shown()
    # Nothing changed there: the same config, still serving on its port with its password.
    assert lab.configs() == lab.before["busy"]
    assert login(f"http://127.0.0.1:{bad.port}/", PASSWORDS[bad.name])[0] == 302


def test_no_password_in_output_argv_or_any_file_on_the_hosts(lab: Lab) -> None:
    assert lab.argv_leaks == []
    for name, run in lab.runs.items():
        for pw in PASSWORDS.values():
            assert pw not in run.out, f"the {name} run printed a password"
    for h in lab.hosts:
        # Everything the runs wrote on the host: the overlay's upper layer (journal included).
        upper = h.ct.session_dir / "upper"  # type: ignore[operator]
        searched = 0
        for p in upper.rglob("*"):
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                searched += 1
                for pw in PASSWORDS.values():
                    assert pw.encode() not in data, f"{h.name}: a password in {p}"
        assert searched > 20, f"{h.name}: only {searched} files written?"


# --------------------------------------------------------------------------- docs and syntax


def _ansible(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="jsw-ansible-home-") as home:
        return subprocess.run(
            [str(Path(sys.executable).parent / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "ANSIBLE_COLLECTIONS_PATH": str(REPO / "ansible"),
                "ANSIBLE_HOME": home,
                "ANSIBLE_NOCOLOR": "1",
            },
        )


def test_ansible_doc_renders_the_module() -> None:
    r = _ansible("ansible-doc", "--json", "jupyter_setup_wizard.server.apply")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)["jupyter_setup_wizard.server.apply"]
    options = doc["doc"]["options"]
    assert set(options) == {"answers", "password", "proxy_password", "executable"}
    assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"
    assert doc["doc"]["attributes"]["diff_mode"]["support"] == "full"
    assert {"status", "apply_id", "actions", "instructions", "errors"} <= set(doc["return"])
    text = _ansible("ansible-doc", "jupyter_setup_wizard.server.apply")
    assert text.returncode == 0 and "EXAMPLES" in text.stdout, text.stderr


def test_the_example_playbook_parses() -> None:
    r = _ansible(
        "ansible-playbook", "--syntax-check", "-i", str(EXAMPLES / "inventory.yml"),
        str(EXAMPLES / "site.yml"),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
