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
from typing import Any

import psutil

_PROC_NET = (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6))
_LISTEN = "0A"


class _Every(set):  # type: ignore[type-arg]
    """A filter that every port and inode is in: `listening(every=True)`."""

    def __contains__(self, item: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


_EVERY: Any = _Every()


@dataclass(frozen=True)
class Socket:
    address: str
    port: int
    inode: int  # 0 when unknown (non-Linux)
    uid: int | None
    pid: int | None = None  # filled in by owners()


@dataclass(frozen=True)
class Listener:
    """A LISTEN socket with who holds it, as a person reads it (the probe's and status's)."""

    address: str
    port: int
    pid: int | None  # None: another user's socket and we are not root
    process: str | None
    user: str | None

    def describe(self) -> str:
        if self.pid is None:
            who = f"user {self.user}" if self.user else "another user"
            return f"a process of {who} (run as root to see which)"
        return f"{self.process or '?'} (pid {self.pid}, user {self.user or '?'})"


def have_proc() -> bool:
    return os.path.exists(_PROC_NET[0][0])


def listening(
    ports: Iterable[int] = (), inodes: Iterable[int] = (), *, every: bool = False
) -> list[Socket]:
    """LISTEN sockets on any of `ports` or with any of `inodes`, or `every` one (Linux: no
    owners yet; see owners())."""
    want_ports = {f"{p:04X}" for p in ports}
    want_inodes = {str(i) for i in inodes}
    if every:
        want_ports, want_inodes = _EVERY, _EVERY
    if not have_proc():
        return _psutil_listening({int(p, 16) for p in want_ports}, set(), every=every)
    port_set: set[int] = _EVERY if every else {int(p, 16) for p in want_ports}
    inode_set: set[int] = _EVERY if every else {int(i) for i in want_inodes}
    try:
        # Only ports wanted: the kernel itself filters them (a few sockets come back, not 2,000).
        filter_ = port_filter(port_set) if port_set and not inode_set else b""
        try:
            return _diag_listening(port_set, inode_set, filter_)
        except OSError:
            if not filter_:
                raise
            return _diag_listening(port_set, inode_set, b"")  # a kernel refusing the filter
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


_BC_S_GE, _BC_S_LE, _BC_JMP = 2, 3, 1
_INET_DIAG_REQ_BYTECODE = 1
_BC_OP = struct.Struct("=BBH")  # inet_diag_bc_op: code, yes, no


def port_filter(ports: set[int]) -> bytes:
    """sock_diag bytecode accepting a source port in `ports` (what `ss 'sport = :P'` sends).

    Per port: S_GE p, S_LE p, then JMP to the end (accept). A failed test jumps to the next
    port's block, or 4 bytes past the end after the last one (reject). Ops follow each other on
    their "yes" branch, as the kernel's bytecode audit requires.
    """
    block = 20  # S_GE (4 + 4 operand) + S_LE (4 + 4) + JMP (4)
    total = block * len(ports)
    out = b""
    for i, port in enumerate(sorted(ports)):
        rest = total - i * block  # bytes from this block's start to the end
        fail_ge = block if i < len(ports) - 1 else rest + 4
        fail_le = block - 8 if i < len(ports) - 1 else rest - 8 + 4
        out += _BC_OP.pack(_BC_S_GE, 8, fail_ge) + _BC_OP.pack(0, 0, port)
        out += _BC_OP.pack(_BC_S_LE, 8, fail_le) + _BC_OP.pack(0, 0, port)
        out += _BC_OP.pack(_BC_JMP, 4, rest - 16)
    return out


def _diag_listening(ports: set[int], inodes: set[int], bytecode: bytes = b"") -> list[Socket]:
    """LISTEN sockets from the kernel's sock_diag (what `ss -l` uses): only LISTEN is sent."""
    out: list[Socket] = []
    attr = (
        struct.pack("=HH", 4 + len(bytecode), _INET_DIAG_REQ_BYTECODE) + bytecode
        if bytecode
        else b""
    )
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as nl:
        for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), 1):
            req = _DIAG_REQ.pack(family, socket.IPPROTO_TCP, 0, 0, _TCP_LISTEN_BIT) + attr
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


def _psutil_listening(ports: set[int], pids: set[int], *, every: bool = False) -> list[Socket]:
    out = []
    for c in psutil.net_connections(kind="tcp"):
        if c.status != psutil.CONN_LISTEN or not c.laddr:
            continue
        if every or c.laddr.port in ports or (c.pid is not None and c.pid in pids):
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


def listeners(ports: Iterable[int] | None = None) -> list[Socket]:
    """LISTEN sockets (all of them, or on `ports`) with the pid that holds each where this user
    may see it: the one scanner behind the probe, the health gates and status."""
    socks = listening(ports or (), every=ports is None)
    return owners(socks, (), search_all=True)


def ports_of(pids: Iterable[int]) -> list[tuple[str, int]]:
    """(address, port) of the LISTEN sockets these processes hold."""
    inodes: set[int] = set()
    for pid in pids:
        inodes |= socket_inodes(pid) or set()
    return sorted({(s.address, s.port) for s in listening((), inodes)}) if inodes else []


def process_tree(pid: int) -> set[int]:
    """The process and all its descendants (a server's kernels hold no ports, its children may)."""
    try:
        return {pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))}
    except psutil.Error:
        return {pid}


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
        if entry.isdigit() and (proc := read_proc(int(entry))) is not None:
            out.append(proc)
    return out


def read_proc(pid: int) -> Proc | None:
    """One process (None: gone, or a zombie, which is gone for our purposes)."""
    if not os.path.isdir("/proc/self"):
        try:
            p = psutil.Process(pid)
            return None if p.status() == psutil.STATUS_ZOMBIE else Proc(pid, p.ppid(), p.name())
        except psutil.Error:
            return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # comm may hold spaces and parentheses: it ends at the last ')'.
    close = stat.rfind(b")")
    rest = stat[close + 2 :].split(None, 3)
    if len(rest) < 2 or rest[0] in (b"Z", b"X"):
        return None
    return Proc(pid, int(rest[1]), stat[stat.find(b"(") + 1 : close].decode(errors="replace"))


class Procs:
    """Processes looked up one at a time and remembered: status needs only a handful, and
    reading every /proc/PID/stat each second would cost more than everything else."""

    def __init__(self) -> None:
        self._cache: dict[int, Proc | None] = {}

    def get(self, pid: int) -> Proc | None:
        if pid not in self._cache:
            self._cache[pid] = read_proc(pid)
        return self._cache[pid]

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, int) and self.get(pid) is not None

    def __getitem__(self, pid: int) -> Proc:
        proc = self.get(pid)
        if proc is None:
            raise KeyError(pid)
        return proc

    def children(self, pid: int) -> list[int]:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
            out: list[int] = []
            for tid in tids:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                    out += [int(c) for c in fh.read().split()]
            return out
        except FileNotFoundError:  # no CONFIG_PROC_CHILDREN, or not Linux: the long way
            if not os.path.isdir(f"/proc/{pid}") and os.path.isdir("/proc/self"):
                return []
            return [p.pid for p in process_table() if p.ppid == pid]
        except (OSError, ValueError):
            return []


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
