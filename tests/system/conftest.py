"""Fixtures for system tests that need a real systemd (booted in systemd-nspawn)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[2]
if str(REPO_ROOT) not in sys.path:  # tests/system has no __init__.py: make `tests` importable
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.nspawn import (  # noqa: E402
    HarnessError,
    SystemdContainer,
    ensure_rootfs,
    require_tools,
)

SRC_MOUNT = "/srv/src"
HOST_TOOLS = ("systemd-nspawn", "debootstrap", "nsenter", "unshare", "chroot", "mount", "setpriv")


@pytest.fixture(scope="session")
def systemd_rootfs() -> Path:
    """The cached, read-only bookworm rootfs, built on first use. A missing tool is a failure
    (CI rule: never skip for a missing dependency)."""
    try:
        require_tools(*HOST_TOOLS)
        return ensure_rootfs()
    except HarnessError as exc:
        error = str(exc)
    pytest.fail(f"cannot provide the systemd test rootfs: {error}", pytrace=False)


@pytest.fixture(scope="session")
def systemd_container(systemd_rootfs: Path) -> Iterator[SystemdContainer]:
    """A booted systemd container for the session, the repo read-only at /srv/src."""
    container = SystemdContainer(
        systemd_rootfs, bind_ro=[f"{REPO_ROOT}:{SRC_MOUNT}"], name="session"
    )
    error = None
    try:
        container.boot()
    except HarnessError as exc:
        container.close()
        error = str(exc)
    if error is not None:
        pytest.fail(f"cannot boot the systemd test container: {error}", pytrace=False)
    try:
        yield container
    finally:
        container.close()
