"""A kill or a hangup mid-apply becomes one interrupt, so the engine rolls back; a second
signal while it does is ignored, so it never cuts that rollback short."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from wizard.cli.common import interrupt_on_signals


@pytest.fixture
def restored() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_the_first_signal_interrupts_and_the_next_is_ignored(sig: int, restored: None) -> None:
    interrupt_on_signals()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the handler runs at the next bytecode; never reached
    os.kill(os.getpid(), signal.SIGHUP)  # the rollback runs here: nothing may stop it
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.05)
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
