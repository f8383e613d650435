"""Listening TCP sockets and their owners, reading only what status needs.

`psutil.net_connections()` readlinks every fd of every process and decodes every socket: with
2,000 sockets that is ~60 ms, every second. Here, on Linux, the kernel is asked for LISTEN
sockets only (sock_diag netlink, ~5 ms for 2,000; /proc/net/tcp{,6} as a fallback, ~18 ms:
the kernel formats every socket as text), only wanted ports (or inodes) are decoded, and owners
are looked up in the fds of likely processes first. Elsewhere psutil does it all.
"""

from __future__ import annotations

import os
import pwd
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

_PROC_NET = (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6))
_LISTEN = "0A"


@dataclass(frozen=True)
class Socket:
    address: str
    port: int
    inode: int  # 0 when unknown (non-Linux)
    uid: int | None
    pid: int | None = None  # filled in by owners()


def have_proc() -> bool:
    return os.path.exists(_PROC_NET[0][0])


def listening(ports: Iterable[int] = (), inodes: Iterable[int] = ()) -> list[Socket]:
    """LISTEN sockets on any of `ports` or with any of `inodes` (Linux: no owners yet)."""
    want_ports = {f"{p:04X}" for p in ports}
    want_inodes = {str(i) for i in inodes}
    if not have_proc():
        return _psutil_listening({int(p, 16) for p in want_ports}, set())
    try:
        return _diag_listening({int(p, 16) for p in want_ports}, {int(i) for i in want_inodes})
    except OSError:  # no sock_diag here (some sandboxes): read the text tables
        return _proc_listening(want_ports, want_inodes)


def _proc_listening(want_ports: set[str], want_inodes: set[str]) -> list[Socket]:
    """The same from /proc/net/tcp{,6}; ports as 4 upper-case hex digits, inodes as strings."""
    out: list[Socket] = []
    for path, family in _PROC_NET:
        try:
            with open(path, encoding="ascii") as fh:
                fh.readline()
                lines = fh.readlines()
        except OSError:
            continue
        for line in lines:
            f = line.split(None, 10)
            if len(f) < 10 or f[3] != _LISTEN:
                continue
            local = f[1]
            if local[-4:] not in want_ports and f[9] not in want_inodes:
                continue
            out.append(
                Socket(_decode_addr(local[:-5], family), int(local[-4:], 16), int(f[9]), int(f[7]))
            )
    return out


_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLM_F_REQUEST_DUMP = 0x301
_TCP_LISTEN_BIT = 1 << 10  # 1 << TCP_LISTEN
_NLMSG_HDR = struct.Struct("=IHHII")
_DIAG_REQ = struct.Struct("=BBBBI48x")  # inet_diag_req_v2 with an empty inet_diag_sockid


def _diag_listening(ports: set[int], inodes: set[int]) -> list[Socket]:
    """LISTEN sockets from the kernel's sock_diag (what `ss -l` uses): only LISTEN is sent."""
    out: list[Socket] = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as nl:
        for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), 1):
            req = _DIAG_REQ.pack(family, socket.IPPROTO_TCP, 0, 0, _TCP_LISTEN_BIT)
            nl.send(
                _NLMSG_HDR.pack(16 + len(req), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST_DUMP, seq, 0)
                + req
            )
            alen = 4 if family == socket.AF_INET else 16
            done = False
            while not done:
                data = nl.recv(1 << 18)
                off = 0
                while off + 16 <= len(data):
                    length, kind = _NLMSG_HDR.unpack_from(data, off)[:2]
                    if kind == _NLMSG_DONE:
                        done = True
                        break
                    if kind == _NLMSG_ERROR:
                        raise OSError("sock_diag refused the request")
                    # inet_diag_msg: family, state, timer, retrans, then sockid (sport at +4,
                    # src at +8), then expires, rqueue, wqueue, uid (+64), inode (+68).
                    b = off + 16
                    port = (data[b + 4] << 8) | data[b + 5]
                    uid, inode = _UID_INODE.unpack_from(data, b + 64)
                    if port in ports or inode in inodes:
                        addr = socket.inet_ntop(family, data[b + 8 : b + 8 + alen])
                        out.append(Socket(addr, port, inode, uid))
                    off += (length + 3) & ~3
                if not data:
                    break
    return out


_UID_INODE = struct.Struct("=II")


def _decode_addr(hexaddr: str, family: int) -> str:
    raw = bytes.fromhex(hexaddr)
    # The kernel prints each 32-bit word in host (little-endian) byte order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, words)


def _psutil_listening(ports: set[int], pids: set[int]) -> list[Socket]:
    out = []
    for c in psutil.net_connections(kind="tcp"):
        if c.status != psutil.CONN_LISTEN or not c.laddr:
            continue
        if c.laddr.port in ports or (c.pid is not None and c.pid in pids):
            out.append(Socket(c.laddr.ip, c.laddr.port, 0, None, c.pid))
    return out


def socket_inodes(pid: int) -> set[int] | None:
    """Inodes of the sockets a process holds (None: its fds are not readable to us)."""
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return None
    out = set()
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def owners(sockets: list[Socket], likely: Iterable[int], *, search_all: bool) -> list[Socket]:
    """Fill in each socket's pid: first from the `likely` pids, then (if asked) from every process."""
    if not have_proc():
        return sockets
    todo = {s.inode for s in sockets if s.pid is None}
    found: dict[int, int] = {}
    tried: set[int] = set()

    def look(pid: int) -> None:
        tried.add(pid)
        mine = socket_inodes(pid)
        if mine:
            for inode in todo & mine:
                found[inode] = pid
            todo.difference_update(mine)

    for pid in likely:
        if todo and pid not in tried:
            look(pid)
    if todo and search_all:
        for entry in os.listdir("/proc"):
            if not todo:
                break
            if entry.isdigit() and int(entry) not in tried:
                look(int(entry))
    return [
        s if s.pid is not None or s.inode not in found else _with_pid(s, found[s.inode])
        for s in sockets
    ]


def _with_pid(s: Socket, pid: int) -> Socket:
    return Socket(s.address, s.port, s.inode, s.uid, pid)


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str  # the kernel's comm (15 chars at most), e.g. "jupyter-lab"


def process_table() -> list[Proc]:
    """Every process's pid, parent and name, from one read of each /proc/PID/stat."""
    if not os.path.isdir("/proc/self"):
        return [
            Proc(p.info["pid"], p.info["ppid"] or 0, p.info["name"] or "")
            for p in psutil.process_iter(["pid", "ppid", "name"])
        ]
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: it ends at the last ')'.
        close = stat.rfind(b")")
        rest = stat[close + 2 :].split(None, 3)
        if len(rest) < 2 or rest[0] in (b"Z", b"X"):
            continue  # zombies are gone for our purposes
        name = stat[stat.find(b"(") + 1 : close].decode(errors="replace")
        out.append(Proc(int(entry), int(rest[1]), name))
    return out


def pid_uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def user_name(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]
