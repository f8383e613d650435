"""The small WebSocket client doctor talks to kernels with: whatever holds the port may be
anyone's, so a message has a size limit and reading has a deadline."""

from __future__ import annotations

import socket
import time

import pytest

from wizard.probe.http import WebSocket


def _frame(payload: bytes, *, final: bool = True) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if final else 0) | 0x1])
    if n < 126:
        return head + bytes([n]) + payload
    return head + bytes([127]) + n.to_bytes(8, "big") + payload


def test_a_message_is_read_whole_and_an_oversized_one_refused() -> None:
    ours, theirs = socket.socketpair()
    ws = WebSocket(ours, "HTTP/1.1 101 Switching Protocols", b"")
    theirs.sendall(_frame(b"hel", final=False) + _frame(b"lo"))
    assert ws.recv_text() == "hello"
    theirs.sendall(bytes([0x81, 127]) + (10 * 1024 * 1024 * 1024).to_bytes(8, "big"))
    with pytest.raises(OSError, match="over"):
        ws.recv_text()  # refused from the header: nothing of the 10 GiB is awaited
    theirs.close()
    ws.close()


def test_reading_gives_up_at_its_deadline() -> None:
    ours, theirs = socket.socketpair()
    ours.settimeout(0.2)
    ws = WebSocket(ours, "HTTP/1.1 101 Switching Protocols", b"")
    ws.deadline = time.monotonic() - 1
    with pytest.raises(OSError, match="too slowly"):
        ws.recv_text()
    theirs.close()
    ws.close()
