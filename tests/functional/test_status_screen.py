"""The live status screen: Pilot against a real JupyterLab, fixed-snapshot screenshots, no stacking.

Update screenshots only after looking at the report:
    pytest --snapshot-update tests/functional/test_status_screen.py
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from screens.status import StatusApp, StatusScreen
from tests.support.ports import free_port
from wizard.core.answers import Answers
from wizard.core.record import save_current
from wizard.plan.service.base import ServiceState
from wizard.probe.sockets import Listener
from wizard.verify.status.model import (
    Configured,
    Finding,
    HttpProbe,
    Server,
    ServiceStatus,
    Snapshot,
)


async def until(pilot: Any, pred: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        await pilot.pause(0.1)


def screen_of(app: StatusApp) -> StatusScreen:
    assert isinstance(app.screen, StatusScreen)
    return app.screen


def text_of(screen: StatusScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


# --------------------------------------------------------------------------- a real server


@pytest.fixture
def background_service(jlab: str, tmp_path: Path) -> Answers:
    """A real JupyterLab set up as the wizard's "background" service (not yet started)."""
    from wizard.plan.service.background import LaunchSpec, background_dir

    port = free_port()
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"port": port, "port_retries": 0, "ip": "127.0.0.1"}})
    )
    import os

    spec = LaunchSpec(
        argv=[str(Path(jlab).parent / "jupyter-lab"), "--no-browser", "--allow-root"],
        cwd=str(tmp_path),
        env={
            "JUPYTER_CONFIG_DIR": str(cfg),
            "JUPYTER_RUNTIME_DIR": os.environ["JUPYTER_RUNTIME_DIR"],
            "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        },
    )
    background_dir().mkdir(parents=True, exist_ok=True)
    (background_dir() / "jupyterlab.json").write_text(spec.to_json())
    answers = (
        Answers()
        .replace("network", port=port)
        .replace("jupyter", config_dir=str(cfg))
        .replace("service", manager="background", name="jupyterlab")
    )
    save_current(answers)
    yield answers
    from wizard.plan.service.background import BackgroundManager

    BackgroundManager("jupyterlab").stop()


async def test_screen_starts_shows_and_stops_a_real_server(background_service: Answers) -> None:
    app = StatusApp(interval=0.2)
    async with app.run_test(size=(110, 40)) as pilot:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        screen = screen_of(app)
        assert screen.snapshot is not None and screen.snapshot.state == "down"
        assert "✗ JupyterLab is NOT running" in text_of(screen, "#state")

        await pilot.press("s")  # start the service
        await until(pilot, lambda: screen.snapshot is not None and screen.snapshot.running, 60)
        await until(
            pilot, lambda: screen.snapshot is not None and screen.snapshot.state == "healthy"
        )
        snap = screen.snapshot
        assert snap is not None
        [server] = snap.servers
        state = snap.service.state
        assert state is not None and state.active_state == "active"
        assert state.main_pid == server.pid
        servers = text_of(screen, "#servers")
        assert f"pid {server.pid}" in servers and "✓ HTTP" in servers
        assert f"127.0.0.1:{background_service.network.port}" in text_of(screen, "#listeners")
        assert "✓ JupyterLab is running and healthy" in text_of(screen, "#state")

        # The token: hidden, shown on request, copied with the URL.
        assert server.token and server.token not in text_of(screen, "#url")
        await pilot.press("u")
        assert server.url_with_token in text_of(screen, "#url")
        await pilot.press("c")
        assert app.clipboard == server.url_with_token

        # The journal tail (the background manager's log), scrollable, closed with escape.
        await pilot.press("j")
        journal = screen.query_one("#journal")
        await until(pilot, lambda: any("starting" in line for line in journal.lines))  # type: ignore[attr-defined]
        assert journal.display
        await pilot.press("escape")
        assert not journal.display

        await pilot.press("x")  # stop the service
        await until(pilot, lambda: screen.snapshot is not None and not screen.snapshot.running, 60)
        assert "✗ JupyterLab is NOT running" in text_of(screen, "#state")
        await pilot.press("q")
    assert app.return_code == 0


# --------------------------------------------------------------------------- no stacking


async def test_slow_snapshots_never_stack_and_never_block_keys() -> None:
    """A key is answered while a snapshot is still being taken (the first one is held until
    the key was seen), and snapshots run one after another, never two at once."""
    running, peak, calls = 0, 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def slow() -> Snapshot:
        nonlocal running, peak, calls
        with lock:
            running += 1
            calls += 1
            peak = max(peak, running)
        release.wait(10)  # the first snapshot lasts until the test lets it go
        time.sleep(0.05)
        with lock:
            running -= 1
        return fixed_snapshot()

    app = StatusApp(interval=0.01, take=slow)
    async with app.run_test(size=(100, 34)) as pilot:
        await until(pilot, lambda: calls >= 1)
        await pilot.press("u")
        assert screen_of(app).show_token is True
        assert running == 1 and calls == 1  # answered during the snapshot, none stacked
        release.set()
        await until(pilot, lambda: calls >= 4)
        assert peak == 1
        await pilot.press("q")


# --------------------------------------------------------------------------- fixed snapshots


def fixed_snapshot() -> Snapshot:
    """A degraded setup with every volatile value pinned (pid, uptime, latency, token)."""
    cfg = Configured("last apply", port=8888, ip="127.0.0.1", access_method="direct")
    listening = [Listener("127.0.0.1", 8888, 4321, "jupyter-lab", "ann")]
    server = Server(
        pid=4321,
        port=8888,
        url="http://localhost:8888/",
        version="2.21.1",
        token="0123456789abcdef",
        runtime_file="/home/ann/.local/share/jupyter/runtime/jpserver-4321.json",
        user="ann",
        started_at=1_700_000_000.0,
        uptime_s=3723.0,
        cpu_percent=0.4,
        rss_bytes=87 * 2**20,
        kernels=2,
        listening=listening,
        http=HttpProbe("http://127.0.0.1:8888/api", True, 200, "2.21.1", 2.3),
    )
    service = ServiceStatus.of(
        ServiceState(
            manager="systemd-system",
            name="jupyterlab.service",
            installed=True,
            active_state="active",
            sub_state="running",
            main_pid=4321,
            since=None,
            n_restarts=0,
            exit_status=None,
            enabled=True,
        )
    )
    findings = [
        Finding(
            "bind_loopback_only",
            "error",
            "JupyterLab listens on 127.0.0.1 only, but the access method direct reaches it over the LAN",
            "bind an address of this machine (or all addresses) in the Network step",
            "network",
        ),
        Finding(
            "legacy_password",
            "warning",
            "/home/ann/.jupyter/jupyter_server_config.py line 3 sets ServerApp.password, a legacy "
            "key that overrides PasswordIdentityProvider.hashed_password",
            "set the password again in the Password step",
            "password",
        ),
    ]
    return Snapshot(1_700_003_723.0, 4.2, cfg, service, [server], listening, findings)


async def test_fix_key_asks_for_the_step_of_the_highlighted_finding() -> None:
    app = StatusApp(interval=3600, take=fixed_snapshot)
    async with app.run_test(size=(100, 34)) as pilot:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.press("f")
        await pilot.press("down", "enter")
        assert app.fix_requests == ["network", "password"]


async def test_service_keys_report_what_happened() -> None:
    verbs: list[str] = []

    def control(verb: str) -> str:
        verbs.append(verb)
        return f"did {verb}"

    app = StatusApp(interval=3600, take=fixed_snapshot, service_control=control)
    async with app.run_test(size=(100, 34)) as pilot:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.press("s", "x", "r")
        await until(pilot, lambda: len(verbs) == 3)
        assert sorted(verbs) == ["restart", "start", "stop"]


@pytest.mark.parametrize("size", [(80, 24), (110, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_status_screen_snapshot(size: tuple[int, int], snap_compare: Any) -> None:
    app = StatusApp(interval=3600, take=fixed_snapshot)

    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_status_screen_snapshot_down(snap_compare: Any) -> None:
    down = Snapshot(
        1_700_000_000.0,
        3.1,
        Configured("last apply", port=8888, ip="127.0.0.1", access_method="ssh-tunnel"),
        ServiceStatus("none", "jupyterlab"),
        [],
        [Listener("127.0.0.1", 8888, 999, "nginx", "www-data")],
        [
            Finding(
                "port_taken",
                "error",
                "port 8888 is held by nginx (pid 999, user www-data), not by JupyterLab",
                "stop that program, or choose another port in the Network step",
                "network",
            )
        ],
    )
    app = StatusApp(interval=3600, take=lambda: down)

    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def test_the_served_certificate_is_under_the_service() -> None:
    import dataclasses

    from wizard.verify.status.model import ServedCertificate

    def with_certificate() -> Snapshot:
        cert = ServedCertificate("127.0.0.1:443", "lab.example.org", ["lab.example.org"],
                                 "O = Pebble, CN = Pebble Intermediate CA", "0A1B",
                                 1_700_000_000.0, 12.4)  # fmt: skip
        return dataclasses.replace(fixed_snapshot(), certificate=cert)

    app = StatusApp(interval=3600, take=with_certificate)
    async with app.run_test(size=(100, 34)) as pilot:
        await until(pilot, lambda: screen_of(app).refreshes >= 1)
        text = text_of(screen_of(app), "#service")
        assert "Certificate (127.0.0.1:443): lab.example.org, issued by O = Pebble" in text
        assert "(12 days left)" in text
