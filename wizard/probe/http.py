"""Small HTTP probes for health gates and `doctor` (stdlib only; never follows redirects).

TLS is not verified: these probes ask "does our own server answer here", and a self-signed
certificate must not make that question unanswerable. Proxies in the environment are ignored.
"""

from __future__ import annotations

import base64
import http.client
import http.cookies
import os
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field

from wizard.core.i18n import _


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str
    cookies: dict[str, str] = field(default_factory=dict)
    reason: str = ""  # the status line's text: "OK", "Forbidden"


class NotHttpError(OSError):
    """Something answered, but not with HTTP (an SSH server, a closed or garbled answer)."""


def _context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def url_host(host: str) -> str:
    """An address as it appears in a URL or Host header (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def request(
    scheme: str,
    host: str,
    port: int,
    path: str,
    *,
    method: str = "GET",
    host_header: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 3.0,
    max_body: int = 65536,
) -> HttpAnswer:
    """One HTTP(S) request to host:port; the first max_body bytes of the answer's body.

    Raises OSError when nothing answers, NotHttpError (an OSError) when the answer is not HTTP.
    """
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = {"Host": host_header or f"{url_host(host)}:{port}", **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read(max_body).decode("utf-8", "replace")
        cookies: dict[str, str] = {}
        for raw in r.headers.get_all("Set-Cookie") or []:
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            try:
                jar.load(raw)
            except http.cookies.CookieError:
                continue
            cookies.update({k: m.value for k, m in jar.items()})
        headers = {k.lower(): v for k, v in r.getheaders()}
        return HttpAnswer(r.status, headers, data, cookies, r.reason)
    except http.client.HTTPException as exc:
        raise NotHttpError(f"{type(exc).__name__}: {exc}") from exc
    except ssl.SSLError as exc:
        raise OSError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Session:
    """A logged-in Jupyter session: cookies plus the XSRF token writes need."""

    cookies: dict[str, str]

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    @property
    def xsrf(self) -> str:
        return self.cookies.get("_xsrf", "")


def jupyter_login(
    scheme: str,
    host: str,
    port: int,
    base_url: str,
    password: str,
    *,
    host_header: str | None = None,
    extra_headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Session | str:
    """Jupyter's login form flow; a Session, or what went wrong as text."""
    extra = dict(extra_headers or {})
    try:
        first = request(scheme, host, port, f"{base_url}login", host_header=host_header,
                        headers=extra, timeout=timeout)  # fmt: skip
        if first.status != 200 or "_xsrf" not in first.cookies:
            return _("GET {path} answered {status}").format(
                path=f"{base_url}login", status=first.status
            )
        cookies = dict(first.cookies)
        form = urllib.parse.urlencode(
            {"password": password, "_xsrf": cookies["_xsrf"], "next": f"{base_url}lab"}
        ).encode()
        post = request(
            scheme, host, port, f"{base_url}login", method="POST", host_header=host_header,
            headers={**extra, "Cookie": Session(cookies).cookie_header,
                     "Content-Type": "application/x-www-form-urlencoded"},
            body=form, timeout=timeout,
        )  # fmt: skip
    except OSError as exc:
        return _("login request failed: {error}").format(error=exc)
    if post.status != 302:
        return _("login answered {status} (wrong password?)").format(status=post.status)
    cookies.update(post.cookies)
    return Session(cookies)


MESSAGE_LIMIT = 4 * 1024 * 1024  # a kernel's answer to doctor's one line is a few hundred bytes


class WebSocket:
    """A small RFC 6455 client: enough to talk to a kernel's channels (text frames, pings)."""

    def __init__(self, sock: socket.socket, status_line: str, buffered: bytes) -> None:
        self.sock = sock
        self.status_line = status_line
        self._buf = buffered
        self.deadline: float | None = None  # time.monotonic() after which reading gives up

    @classmethod
    def open(
        cls,
        scheme: str,
        host: str,
        port: int,
        path: str,
        *,
        host_header: str,
        origin: str,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> WebSocket:
        """The handshake; `status_line` says whether it was accepted (101), e.g. 'HTTP/1.1 101
        Switching Protocols'. Raises OSError when nothing answers."""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host_header}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {origin}",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        raw = socket.create_connection((host, port), timeout=timeout)
        sock: socket.socket = raw
        try:
            if scheme == "https":
                sock = _context().wrap_socket(raw, server_hostname=host)
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 16384:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ssl.SSLError as exc:
            sock.close()
            raise OSError(f"TLS: {exc}") from exc
        except BaseException:
            sock.close()
            raise
        head, _sep, rest = data.partition(b"\r\n\r\n")
        return cls(sock, head.split(b"\r\n", 1)[0].decode("latin-1"), rest)

    @property
    def accepted(self) -> bool:
        return " 101 " in f"{self.status_line} "

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def _read(self, n: int) -> bytes:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OSError(_("the WebSocket answered too slowly"))
        chunks, have = [self._buf], len(self._buf)
        while have < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError(_("the WebSocket was closed"))
            chunks.append(chunk)
            have += len(chunk)
        data = b"".join(chunks)
        out, self._buf = data[:n], data[n:]
        return out

    def recv_text(self, *, limit: int = MESSAGE_LIMIT) -> str:
        """The next text (or binary) message; pings are answered on the way. OSError when the
        other side closes, the socket times out, `deadline` (time.monotonic()) passes, or a
        message is over `limit` bytes (whatever holds the port may be anyone's)."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            if len(message) + n > limit:
                raise OSError(_("a WebSocket message over {limit} bytes").format(limit=limit))
            mask = self._read(4) if b1 & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise OSError(_("the WebSocket was closed"))
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8", "replace")

    def close(self) -> None:
        self.sock.close()
