"""Fixtures for system tests that need a real systemd (booted in systemd-nspawn)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[2]
if (
    str(REPO_ROOT) not in sys.path
):  # tests/system has no __init__.py: make `tests.support` importable
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.nspawn import HarnessError, SystemdContainer, ensure_rootfs, require_tools  # noqa: E402

SRC_MOUNT = "/srv/src"


@pytest.fixture(scope="session")
def systemd_rootfs() -> Path:
    """The cached, read-only bookworm rootfs (built on first use; a missing tool fails)."""
    try:
        require_tools(
            "systemd-nspawn", "debootstrap", "nsenter", "unshare", "chroot", "mount", "setpriv"
        )
        return ensure_rootfs()
    except HarnessError as exc:
        pytest.fail(f"cannot provide the systemd test rootfs: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def systemd_container(systemd_rootfs: Path) -> Iterator[SystemdContainer]:
    """A booted systemd container for the session, the repo read-only at /srv/src."""
    container = SystemdContainer(
        systemd_rootfs, bind_ro=[f"{REPO_ROOT}:{SRC_MOUNT}"], name="session"
    )
    try:
        container.boot()
    except HarnessError as exc:
        container.close()
        pytest.fail(f"cannot boot the systemd test container: {exc}", pytrace=False)
    try:
        yield container
    finally:
        container.close()
