"""Self-tests of the systemd-nspawn harness (tests/support/nspawn.py) against a real systemd."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.nspawn import (
    TEST_UID,
    TEST_USER,
    SystemdContainer,
    cgroup_hierarchies,
    wait_for_port,
)

pytestmark = pytest.mark.system

UNIT = "jsw-selftest-http.service"


def _free_port() -> int:
    # The container shares the host's network namespace, so a port free here is free there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http_status(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        return int(resp.status)


def _main_pid(ct: SystemdContainer, unit: str) -> int:
    return int(ct.systemctl("show", "-p", "MainPID", "--value", unit).stdout.strip())


def _host_uids(host_pid: int) -> list[int]:
    status = Path(f"/proc/{host_pid}/status").read_text()
    return [int(x) for x in re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def http_unit(systemd_container: SystemdContainer) -> int:
    """Install (from the host side) and enable --now a http.server unit running as the test user."""
    port = _free_port()
    systemd_container.host_path(f"/etc/systemd/system/{UNIT}").write_text(
        "[Unit]\n"
        "Description=harness self-test http server\n"
        "[Service]\n"
        f"User={TEST_USER}\n"
        f"WorkingDirectory=/home/{TEST_USER}\n"
        f"ExecStart=/usr/bin/python3 -m http.server --bind 127.0.0.1 {port}\n"
        "Restart=on-failure\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
    systemd_container.systemctl("daemon-reload")
    systemd_container.systemctl("enable", "--now", UNIT)
    return port


def test_boots_with_systemd_as_pid1(systemd_container: SystemdContainer) -> None:
    ct = systemd_container
    assert ct.boot_state in ("running", "degraded"), ct.failed_units
    assert ct.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
    assert Path(f"/proc/{ct.leader_pid}/comm").read_text().strip() == "systemd"
    assert ct.run(["systemctl", "is-system-running"], check=False).stdout.strip() in (
        "running",
        "degraded",
    )


def test_repo_is_bind_mounted_read_only(systemd_container: SystemdContainer) -> None:
    ct = systemd_container
    assert (
        ct.run(
            ["test", "-f", "/srv/src/tests/system/test_nspawn_harness.py"], check=False
        ).returncode
        == 0
    )
    r = ct.run(["touch", "/srv/src/.jsw-should-not-exist"], check=False)
    assert r.returncode != 0 and "Read-only file system" in r.stderr


def test_run_as_user_with_env_and_input(systemd_container: SystemdContainer) -> None:
    ct = systemd_container
    r = ct.run(
        ["sh", "-c", 'echo "$(id -u) $(id -un) $HOME $FOO"; cat'],
        user=TEST_USER,
        env={"FOO": "bar"},
        input="from-stdin",
    )
    assert r.stdout.splitlines() == [f"{TEST_UID} {TEST_USER} /home/{TEST_USER} bar", "from-stdin"]
    with pytest.raises(subprocess.CalledProcessError):
        ct.run(["false"])


def test_writes_stay_in_the_session_copy(systemd_container: SystemdContainer) -> None:
    ct = systemd_container
    ct.run(["sh", "-c", "echo x > /etc/jsw-session-marker"])
    assert ct.host_path("/etc/jsw-session-marker").read_text() == "x\n"
    assert not (ct.image / "etc/jsw-session-marker").exists()
    # The image's "/" must be world-traversable (copy mode would inherit a 0700 build dir).
    assert stat.S_IMODE(ct.image.stat().st_mode) == 0o755


def test_user_unit_answers_on_host_loopback(
    systemd_container: SystemdContainer, http_unit: int
) -> None:
    ct = systemd_container
    wait_for_port(http_unit, timeout=30)
    assert _http_status(http_unit) == 200
    assert ct.systemctl("is-active", UNIT).stdout.strip() == "active"
    host_pid = ct.host_pid(_main_pid(ct, UNIT))
    assert _host_uids(host_pid) == [TEST_UID] * 4  # real, effective, saved, fs
    assert os.stat(f"/proc/{host_pid}").st_uid == TEST_UID
    assert "/usr/bin/python3" in Path(f"/proc/{host_pid}/cmdline").read_text()
    assert "harness self-test http server" in ct.journal(UNIT, 20)


def test_enabled_unit_comes_back_after_reboot(
    systemd_container: SystemdContainer, http_unit: int
) -> None:
    ct = systemd_container
    wait_for_port(http_unit, timeout=30)
    old_leader = ct.leader_pid
    ct.reboot()
    assert ct.leader_pid != old_leader
    assert ct.boot_state in ("running", "degraded")
    assert ct.systemctl("is-enabled", UNIT).stdout.strip() == "enabled"
    wait_for_port(http_unit, timeout=30)
    assert _http_status(http_unit) == 200
    assert _host_uids(ct.host_pid(_main_pid(ct, UNIT)))[1] == TEST_UID


def test_jupyterlab_venv_runs(systemd_container: SystemdContainer) -> None:
    r = systemd_container.run(["/opt/jlab/bin/jupyter-lab", "--version"], user=TEST_USER)
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", r.stdout.strip()), r.stdout


def test_teardown_leaves_nothing_even_on_error(systemd_rootfs: Path) -> None:
    ct = SystemdContainer(systemd_rootfs, name="teardown")
    with pytest.raises(RuntimeError, match="boom"), ct:
        leader = ct.leader_pid
        nspawn_pid = ct._proc.pid  # type: ignore[union-attr]
        session_dir = ct.session_dir
        raise RuntimeError("boom")
    assert not Path(f"/proc/{leader}").exists()
    assert not Path(f"/proc/{nspawn_pid}").exists()
    assert session_dir is not None and not session_dir.exists()
    assert not [h / ct.name for h in cgroup_hierarchies() if (h / ct.name).exists()]
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(session_dir) not in mounts


def test_degraded_boot_reports_failed_units(systemd_rootfs: Path) -> None:
    ct = SystemdContainer(systemd_rootfs, name="degraded")
    try:
        units = ct.prepare() / "etc/systemd/system"
        (units / "jsw-fails.service").write_text(
            "[Service]\nType=oneshot\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n"
        )
        (units / "multi-user.target.wants/jsw-fails.service").symlink_to("../jsw-fails.service")
        ct.boot()
        assert ct.boot_state == "degraded"
        assert "jsw-fails.service" in ct.failed_units
    finally:
        ct.close()
