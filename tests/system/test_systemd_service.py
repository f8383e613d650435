"""The service step against a real systemd (Debian bookworm booted in systemd-nspawn).

The wizard runs *inside* the container as root (a venv with its dependencies, the repo on
PYTHONPATH from the read-only bind mount /srv/src) and applies a systemd-system setup for the
non-root user jupyteruser. Everything is then checked from the host: the container shares the
host's network, so the service answers on the host's loopback.

The tests of this module build on each other (install, re-apply, port change, restart, failed
apply, reboot), like a person using the wizard over time.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.index import serve_index
from tests.support.jupyter import login, run_code
from tests.support.nspawn import (
    JLAB_VENV,
    TEST_UID,
    TEST_USER,
    SystemdContainer,
    _pip_env,
    wait_for_port,
)
from tests.support.ports import free_port

pytestmark = pytest.mark.system

UNIT = "jupyterlab.service"
WIZ_VENV = "/opt/wiz"
PASSWORD = "tall ships 4 sail"
ANSWERS = "/root/jsw/answers.toml"
CONFIG = f"/home/{TEST_USER}/.jupyter/jupyter_server_config.json"
# The wizard's runtime dependencies (what pyproject lists for the core; the UI is not needed).
WIZ_DEPS = ("psutil", "platformdirs", "argon2-cffi", "bcrypt", "tomli-w")

Wizard = Callable[..., subprocess.CompletedProcess[str]]
TIMINGS: dict[str, float] = {}


def _timed(name: str, t0: float) -> None:
    TIMINGS[name] = time.monotonic() - t0
    print(f"[timing] {name}: {TIMINGS[name]:.2f}s")


@pytest.fixture(scope="module")
def wizard(systemd_container: SystemdContainer) -> Iterator[Wizard]:
    """`jupyter-setup-wizard ARGS` run as root inside the container."""
    ct = systemd_container
    t0 = time.monotonic()
    if ct.run(["test", "-x", f"{WIZ_VENV}/bin/python"], check=False).returncode != 0:
        ct.run(["/usr/bin/python3", "-m", "venv", WIZ_VENV], timeout=120)
        ct.run(
            [
                f"{WIZ_VENV}/bin/pip",
                "install",
                "-q",
                "--cert",
                "/etc/ssl/certs/ca-certificates.crt",
                *WIZ_DEPS,
            ],
            env=_pip_env(),
            timeout=600,
        )
    _timed("wizard venv in the container", t0)

    def run(
        *args: str, stdin: str | None = None, check: bool = False, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        t = time.monotonic()
        r = ct.run(
            [f"{WIZ_VENV}/bin/python", "-m", "wizard", *args],
            env={
                "PYTHONPATH": "/srv/src",
                "HOME": "/root",
                "PYTHONDONTWRITEBYTECODE": "1",
                **(env or {}),
            },
            input=stdin,
            timeout=300,
            check=False,
            cwd="/root",
        )
        _timed(f"wizard {' '.join(args)[:60]}", t)
        if check:
            assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    yield run
    # Leave the session container as we found it for other modules.
    ct.systemctl("disable", "--now", UNIT, check=False)
    ct.host_path(f"/etc/systemd/system/{UNIT}").unlink(missing_ok=True)
    ct.systemctl("daemon-reload", check=False)


def write_answers(
    ct: SystemdContainer,
    port: int,
    *,
    path: str = ANSWERS,
    jupyter: str = "",
    network: str = "",
    **service: str,
) -> None:
    extra = "".join(f'{k} = "{v}"\n' for k, v in service.items())
    host = ct.host_path(path)
    host.parent.mkdir(parents=True, exist_ok=True)
    host.write_text(
        f'[jupyter]\npython = "{JLAB_VENV}/bin/python"\n{jupyter}'
        f"[network]\nport = {port}\n{network}"
        f'[service]\nmanager = "systemd-system"\nuser = "{TEST_USER}"\n{extra}'
    )


def show(ct: SystemdContainer, *props: str, unit: str = UNIT) -> dict[str, str]:
    out = ct.systemctl("show", unit, "-p", ",".join(props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main_pid(ct: SystemdContainer) -> int:
    return int(show(ct, "MainPID")["MainPID"])


def api_version(port: int) -> str:
    r = requests.get(f"http://127.0.0.1:{port}/api", timeout=5)
    r.raise_for_status()
    return str(r.json()["version"])


def wait_api(port: int, timeout: float = 60.0) -> None:
    wait_for_port(port, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            api_version(port)
            return
        except (requests.RequestException, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def assert_runs_as_test_user(ct: SystemdContainer, port: int) -> None:
    """Main process and the socket owner on `port` run as jupyteruser (seen from the host)."""
    host_main = ct.host_pid(main_pid(ct))
    proc = psutil.Process(host_main)
    assert proc.uids() == (TEST_UID, TEST_UID, TEST_UID), proc.uids()
    assert "jupyter-lab" in " ".join(proc.cmdline())
    tree = {host_main, *(c.pid for c in proc.children(recursive=True))}
    owners = {
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }
    assert owners and owners <= tree, (owners, tree)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"first": free_port(), "second": free_port(), "taken": free_port()}


def test_apply_installs_a_working_service(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    ct = systemd_container
    port = ports["first"]
    write_answers(ct, port)
    r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    assert "healthy after" in r.stdout, r.stdout
    assert "systemd-analyze verify" in r.stdout

    assert ct.systemctl("is-active", UNIT, check=False).stdout.strip() == "active"
    assert ct.systemctl("is-enabled", UNIT, check=False).stdout.strip() == "enabled"
    unit = ct.host_path(f"/etc/systemd/system/{UNIT}").read_text()
    assert f"User={TEST_USER}" in unit and f"ExecStart={JLAB_VENV}/bin/jupyter-lab" in unit
    assert PASSWORD not in unit and "argon2" not in unit

    # Jupyter answers on the host's loopback, and the password logs in.
    wait_api(port, timeout=10)
    status, session = login(f"http://127.0.0.1:{port}", PASSWORD)
    assert status == 302
    assert session.get(f"http://127.0.0.1:{port}/api/contents", timeout=10).status_code == 200
    assert login(f"http://127.0.0.1:{port}", "wrong password")[0] == 401
    assert_runs_as_test_user(ct, port)

    # The config the service reads belongs to the service user, private.
    st = os.stat(ct.host_path(CONFIG))
    assert (st.st_uid, st.st_mode & 0o777) == (TEST_UID, 0o600)
    assert os.stat(ct.host_path(CONFIG).parent).st_uid == TEST_UID


def test_same_answers_change_nothing(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    ct = systemd_container
    before = show(ct, "MainPID", "InvocationID", "NRestarts")
    r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    assert "Nothing to change" in r.stdout, r.stdout
    assert show(ct, "MainPID", "InvocationID", "NRestarts") == before


def test_port_change_rewrites_config_and_restarts_once(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    ct = systemd_container
    old_pid = main_pid(ct)
    unit_before = ct.host_path(f"/etc/systemd/system/{UNIT}").read_bytes()
    write_answers(ct, ports["second"])
    r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    assert r.stdout.count("restarting jupyterlab") == 1, r.stdout
    assert "starting jupyterlab" not in r.stdout.replace("restarting jupyterlab", "")
    assert ct.host_path(f"/etc/systemd/system/{UNIT}").read_bytes() == unit_before
    assert f'"port": {ports["second"]}' in ct.host_path(CONFIG).read_text()
    assert main_pid(ct) != old_pid
    wait_api(ports["second"], timeout=10)
    assert login(f"http://127.0.0.1:{ports['second']}", PASSWORD)[0] == 302
    with pytest.raises(requests.ConnectionError):
        api_version(ports["first"])


def test_service_cli_restart_status_logs(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    ct = systemd_container
    old_pid = main_pid(ct)
    r = wizard("service", "restart", check=True)
    assert "active/running" in r.stdout, r.stdout
    assert main_pid(ct) != old_pid
    wait_api(ports["second"], timeout=30)
    assert_runs_as_test_user(ct, ports["second"])
    r = wizard("service", "status", check=True)
    assert re.search(rf"{UNIT} \(systemd-system\): active/running, pid \d+", r.stdout), r.stdout
    assert "starts at boot" in r.stdout
    r = wizard("service", "logs", "-n", "200", check=True)
    assert "Jupyter Server" in r.stdout or "ServerApp" in r.stdout, r.stdout


def test_failed_apply_restores_the_previous_state(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    """A JupyterLab someone started by hand holds the new port: the service cannot bind it, the
    health gate fails with the journal excerpt, and everything goes back as it was."""
    ct = systemd_container
    taken = ports["taken"]
    config_before = ct.host_path(CONFIG).read_bytes()
    unit_before = ct.host_path(f"/etc/systemd/system/{UNIT}").read_bytes()
    ct.run(["install", "-d", "-o", TEST_USER, f"/home/{TEST_USER}/manual-cfg"])
    ct.run(
        [
            "systemd-run",
            "--unit=jsw-manual-lab",
            "--collect",
            "-p",
            f"User={TEST_USER}",
            "-E",
            f"JUPYTER_CONFIG_DIR=/home/{TEST_USER}/manual-cfg",
            f"--working-directory=/home/{TEST_USER}",
            f"{JLAB_VENV}/bin/jupyter-lab",
            "--no-browser",
            f"--port={taken}",
            "--ServerApp.port_retries=0",
        ]
    )
    try:
        wait_api(taken, timeout=60)
        write_answers(ct, taken)
        t0 = time.monotonic()
        r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n")
        _timed("failed apply incl. rollback", t0)
        assert r.returncode == 1, r.stdout + r.stderr
        err = r.stderr
        assert "health check of jupyterlab" in err and "Rolled back" in err, err
        assert "--- last log lines of jupyterlab ---" in err, err
        assert f"port {taken} is not available" in err or "already in use" in err, err
        # Previous state: same files, running again on the previous port, still enabled.
        assert ct.host_path(CONFIG).read_bytes() == config_before
        assert ct.host_path(f"/etc/systemd/system/{UNIT}").read_bytes() == unit_before
        assert os.stat(ct.host_path(CONFIG)).st_uid == TEST_UID
        wait_api(ports["second"], timeout=30)
        assert ct.systemctl("is-active", UNIT, check=False).stdout.strip() == "active"
        assert ct.systemctl("is-enabled", UNIT, check=False).stdout.strip() == "enabled"
        assert login(f"http://127.0.0.1:{ports['second']}", PASSWORD)[0] == 302
        assert_runs_as_test_user(ct, ports["second"])
    finally:
        ct.systemctl("stop", "jsw-manual-lab.service", check=False)
    write_answers(ct, ports["second"])  # the answers that match the machine again


def test_failed_first_install_leaves_no_unit(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    """Previous state "not installed": after the failure the unit is gone and systemd forgot it."""
    ct = systemd_container
    ct.host_path("/root/jsw/fail.toml").write_text(
        f'[jupyter]\npython = "{JLAB_VENV}/bin/python"\n'
        f'config_dir = "/home/{TEST_USER}/.jupyter-other"\n'
        f"[network]\nport = {ports['second']}\n"  # held by the working service
        f'[service]\nmanager = "systemd-system"\nname = "jlab-other"\nuser = "{TEST_USER}"\n'
    )
    r = wizard("apply", "/root/jsw/fail.toml", "--yes")
    assert r.returncode in (1, 2), r.stdout + r.stderr
    if r.returncode == 2:  # validation saw the port taken (by a Jupyter process, so it is allowed)
        pytest.fail(f"expected the health gate to fail, got an input error:\n{r.stderr}")
    assert "--- last log lines of jlab-other ---" in r.stderr, r.stderr
    assert not ct.host_path("/etc/systemd/system/jlab-other.service").exists()
    # Our config is gone; the dir stays only if Jupyter itself put something there (its
    # `migrated` marker): rollback never deletes what it did not write.
    other = ct.host_path(f"/home/{TEST_USER}/.jupyter-other")
    assert not (other / "jupyter_server_config.json").exists()
    assert {p.name for p in other.iterdir()} <= {"migrated"} if other.exists() else True
    assert show(ct, "LoadState", "ActiveState", unit="jlab-other.service") == {
        "LoadState": "not-found",
        "ActiveState": "inactive",
    }
    assert ct.systemctl("is-active", UNIT, check=False).stdout.strip() == "active"


def test_enabled_service_comes_back_after_reboot(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    ct = systemd_container
    t0 = time.monotonic()
    ct.reboot()
    _timed("container poweroff + boot", t0)
    t0 = time.monotonic()
    wait_api(ports["second"], timeout=60)
    _timed("service answering after boot", t0)
    assert ct.systemctl("is-active", UNIT, check=False).stdout.strip() == "active"
    assert login(f"http://127.0.0.1:{ports['second']}", PASSWORD)[0] == 302
    assert_runs_as_test_user(ct, ports["second"])
    # And the wizard still sees nothing to change.
    r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    assert "Nothing to change" in r.stdout, r.stdout


def applied_id(out: str) -> str:
    return out.split("Applied (ID ", 1)[1].split(")", 1)[0]


def test_rollback_returns_to_the_earlier_port_and_unit(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    """apply A, apply B (other port, other working directory: the unit changes too), then
    `rollback` of B in a later run: A's unit and config, systemd re-read the unit, the service
    was restarted with them and answers on A's port only."""
    ct = systemd_container
    a_port, b_port = ports["second"], free_port()
    write_answers(ct, a_port)
    wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    wait_api(a_port, timeout=30)
    unit_path = ct.host_path(f"/etc/systemd/system/{UNIT}")
    unit_a, config_a = unit_path.read_bytes(), ct.host_path(CONFIG).read_bytes()

    work = f"/home/{TEST_USER}/work-b"
    ct.run(["install", "-d", "-o", TEST_USER, work])
    b_answers = "/root/jsw/b.toml"
    write_answers(ct, b_port, path=b_answers, network=f'root_dir = "{work}"\n')
    r = wizard("apply", b_answers, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    b_id = applied_id(r.stdout)
    assert f"WorkingDirectory={work}" in unit_path.read_text()
    wait_api(b_port, timeout=10)

    t0 = time.monotonic()
    r = wizard("rollback", b_id, "--yes", check=True)
    _timed("rollback incl. daemon-reload, restart, check", t0)
    assert "reload systemd" in r.stdout and "restarting jupyterlab" in r.stdout, r.stdout
    assert f"answers on 127.0.0.1:{a_port}" in r.stdout, r.stdout
    assert unit_path.read_bytes() == unit_a and ct.host_path(CONFIG).read_bytes() == config_a
    assert show(ct, "NeedDaemonReload", "ActiveState", "UnitFileState", "WorkingDirectory") == {
        "NeedDaemonReload": "no",
        "ActiveState": "active",
        "UnitFileState": "enabled",
        "WorkingDirectory": f"/home/{TEST_USER}",
    }
    assert api_version(a_port)
    with pytest.raises(requests.ConnectionError):
        api_version(b_port)
    assert login(f"http://127.0.0.1:{a_port}", PASSWORD)[0] == 302
    assert_runs_as_test_user(ct, a_port)
    # The machine is A again: A's answers see nothing to change.
    r = wizard("apply", ANSWERS, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    assert "Nothing to change" in r.stdout, r.stdout


def test_rollback_of_a_first_install_removes_the_unit(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    """Before the apply the service did not exist: after `rollback` it is stopped, disabled,
    its unit file gone and systemd has forgotten it; the other service is untouched."""
    ct = systemd_container
    port, unit = free_port(), "jlab-rb.service"
    answers = "/root/jsw/rb.toml"
    jupyter = f'config_dir = "/home/{TEST_USER}/.jupyter-rb"\n'
    write_answers(ct, port, path=answers, jupyter=jupyter, name="jlab-rb")
    r = wizard("apply", answers, "--yes", "--password-stdin", stdin=PASSWORD + "\n", check=True)
    rb_id = applied_id(r.stdout)
    wait_api(port, timeout=10)
    assert ct.systemctl("is-enabled", unit, check=False).stdout.strip() == "enabled"

    t0 = time.monotonic()
    r = wizard("rollback", rb_id, "--yes", check=True)
    _timed("rollback of a first install", t0)
    assert "stop jlab-rb" in r.stdout and "disable jlab-rb.service" in r.stdout, r.stdout
    assert not ct.host_path(f"/etc/systemd/system/{unit}").exists()
    wants = ct.host_path(f"/etc/systemd/system/multi-user.target.wants/{unit}")
    assert not wants.is_symlink()
    assert show(ct, "LoadState", "ActiveState", "NeedDaemonReload", unit=unit) == {
        "LoadState": "not-found",
        "ActiveState": "inactive",
        "NeedDaemonReload": "no",
    }
    with pytest.raises(requests.ConnectionError):
        api_version(port)
    assert not ct.host_path(f"/home/{TEST_USER}/.jupyter-rb/jupyter_server_config.json").exists()
    assert ct.systemctl("is-active", UNIT, check=False).stdout.strip() == "active"


def test_kernels_for_a_system_service_then_rolled_back(
    systemd_container: SystemdContainer, wizard: Wizard, tmp_path: Path
) -> None:
    """A venv of the service user's without ipykernel, offered as a kernel of a systemd-system
    service running as that user: ipykernel goes in as that user, the running server lists
    the kernelspec, a kernel started through its API runs that venv's interpreter as the
    service's user; rolling back that apply takes both out again and the server stops
    listing it (no restart needed)."""
    ct = systemd_container
    port, name = free_port(), "jlab-kern"
    env_python = f"/home/{TEST_USER}/envs/calc/bin/python"
    ct.run(["rm", "-rf", f"/home/{TEST_USER}/envs/calc"])
    ct.run(["/usr/bin/python3", "-m", "venv", f"/home/{TEST_USER}/envs/calc"], user=TEST_USER)
    jupyter = f'config_dir = "/home/{TEST_USER}/.jupyter-kern"\n'
    service_only, with_kernels = "/root/jsw/kern-0.toml", "/root/jsw/kern-1.toml"
    write_answers(ct, port, path=service_only, jupyter=jupyter, name=name)
    write_answers(ct, port, path=with_kernels, jupyter=jupyter, name=name)
    ct.host_path(with_kernels).write_text(
        ct.host_path(with_kernels).read_text()
        + f'[kernels]\nenvironments = ["{env_python}"]\ninstall_ipykernel = true\n'
    )
    first = applied_id(wizard("apply", service_only, "--yes", "--password-stdin",
                              stdin=PASSWORD + "\n", check=True).stdout)  # fmt: skip
    wait_api(port, timeout=30)
    url = f"http://127.0.0.1:{port}"
    status, session = login(url, PASSWORD)
    assert status == 302
    before = set(session.get(f"{url}/api/kernelspecs", timeout=30).json()["kernelspecs"])
    try:
        with serve_index(tmp_path / "index") as index:  # the container shares our loopback
            t0 = time.monotonic()
            r = wizard("apply", with_kernels, "--yes", "--password-stdin", stdin=PASSWORD + "\n",
                       check=True, env={"PIP_INDEX_URL": index.url})  # fmt: skip
            _timed("kernels apply (ipykernel into the venv)", t0)
        assert "install ipykernel into" in r.stdout and f"as {TEST_USER}" in r.stdout, r.stdout
        second = applied_id(r.stdout)
        specs = session.get(f"{url}/api/kernelspecs", timeout=30).json()["kernelspecs"]
        ours = [n for n, sp in specs.items() if sp["spec"]["argv"][0] == env_python]
        assert len(ours) == 1, specs
        code = "import os, sys; print(sys.executable); print(os.getuid())"
        assert run_code(url, session, code, kernel=ours[0]).split() == [env_python, str(TEST_UID)]
        spec_file = ct.host_path(f"/home/{TEST_USER}/.local/share/jupyter/kernels/{ours[0]}")
        assert os.stat(spec_file / "kernel.json").st_uid == TEST_UID

        wizard("rollback", second, "--yes", check=True)
        specs = session.get(f"{url}/api/kernelspecs", timeout=30).json()["kernelspecs"]
        assert set(specs) == before, specs  # the same server, still running
        assert not spec_file.exists()
        gone = ct.run([env_python, "-c", "import ipykernel"], user=TEST_USER, check=False)
        assert gone.returncode != 0, gone.stdout
    finally:
        wizard("rollback", first, "--yes", check=True)
    assert show(ct, "LoadState", unit=f"{name}.service") == {"LoadState": "not-found"}


def test_user_unit_with_linger(
    systemd_container: SystemdContainer, wizard: Wizard, ports: dict[str, int]
) -> None:
    """systemd-user: the wizard runs as jupyteruser itself (no sudo) and installs a user unit."""
    ct = systemd_container
    runtime = f"/run/user/{TEST_UID}"
    user_env = {"PYTHONPATH": "/srv/src", "XDG_RUNTIME_DIR": runtime}

    def as_user(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return ct.run(
            [f"{WIZ_VENV}/bin/python", "-m", "wizard", *args],
            user=TEST_USER,
            env=user_env,
            input=stdin,
            timeout=300,
            check=False,
        )

    port = free_port()
    answers = f"/home/{TEST_USER}/user-answers.toml"
    ct.run(
        ["tee", answers],
        user=TEST_USER,
        input=(
            f'[jupyter]\npython = "{JLAB_VENV}/bin/python"\n'
            f'config_dir = "/home/{TEST_USER}/.jupyter-user"\n'
            f"[network]\nport = {port}\n"
            '[service]\nmanager = "systemd-user"\nname = "jlab-user"\n'
        ),
    )
    # Without a user manager (no login, no lingering) the wizard says so, and changes nothing.
    r = as_user("apply", answers, "--yes")
    assert r.returncode == 2 and "enable-linger" in r.stderr, r.stdout + r.stderr
    # pam_systemd comes with the harness rootfs; without it user@.service cannot start.
    assert ct.run(["dpkg", "-s", "libpam-systemd"], check=False).returncode == 0
    # An admin enables lingering; the user's systemd starts.
    ct.run(["loginctl", "enable-linger", TEST_USER])
    deadline = time.monotonic() + 30
    while ct.run(["test", "-S", f"{runtime}/systemd/private"], check=False).returncode:
        assert time.monotonic() < deadline, "user manager did not start"
        time.sleep(0.2)
    try:
        t0 = time.monotonic()
        r = as_user("apply", answers, "--yes", "--password-stdin", stdin=PASSWORD + "\n")
        _timed("user-unit apply", t0)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "healthy after" in r.stdout
        unit = ct.host_path(f"/home/{TEST_USER}/.config/systemd/user/jlab-user.service")
        assert unit.stat().st_uid == TEST_UID and "User=" not in unit.read_text()
        sc = ["systemctl", "--user", "--no-pager"]
        assert (
            ct.run(
                [*sc, "is-active", "jlab-user"], user=TEST_USER, env=user_env, check=False
            ).stdout.strip()
            == "active"
        )
        wait_api(port, timeout=10)
        assert login(f"http://127.0.0.1:{port}", PASSWORD)[0] == 302
        pid = int(
            ct.run(
                [*sc, "show", "-p", "MainPID", "--value", "jlab-user"], user=TEST_USER, env=user_env
            ).stdout
        )
        assert psutil.Process(ct.host_pid(pid)).uids().real == TEST_UID
        r = as_user("service", "status")
        assert "jlab-user.service (systemd-user): active/running" in r.stdout, r.stdout + r.stderr
        r = as_user("apply", answers, "--yes", "--password-stdin", stdin=PASSWORD + "\n")
        assert "Nothing to change" in r.stdout, r.stdout + r.stderr
    finally:
        ct.run(
            ["systemctl", "--user", "disable", "--now", "jlab-user"],
            user=TEST_USER,
            env=user_env,
            check=False,
        )
        ct.run(["loginctl", "disable-linger", TEST_USER], check=False)
