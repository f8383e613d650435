"""A real nginx for tests, confined to a temp prefix, plus a self-signed certificate helper.

``NginxServer(conf_text)`` runs ``nginx -g 'daemon off;' -p PREFIX -c CONF -e ERROR_LOG``.
``conf_text`` is either a complete nginx.conf or just http-level content (``server {...}``
blocks, ``upstream``/``map``), which is wrapped in a minimal main config. Either way pid file,
logs and temp paths are forced into PREFIX, so /var/log/nginx and /run are never touched.
Listen only on loopback (or test-namespace) addresses. Stdlib only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.ports import (
    HarnessError,
    descendants,
    pid_alive,
    read_log,
    stop_process,
    wait_for_port,
    wait_until,
)

_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_HTTP_BLOCK = re.compile(r"^\s*http\s*\{", re.MULTILINE)


def _has_directive(conf: str, name: str) -> bool:
    return re.search(rf"^\s*{name}(?=[\s{{;])", conf, re.MULTILINE) is not None


class NginxServer:
    """nginx master + workers running ``conf_text`` until stop() / the end of a ``with`` block.

    ``autostart=False`` makes ``with`` only prepare the prefix (for ``.test()`` of configs that
    are meant to fail). ``ports`` are additionally waited for after start.
    """

    def __init__(
        self,
        conf_text: str,
        *,
        autostart: bool = True,
        ports: Iterable[int] = (),
        startup_timeout: float = 10.0,
        nginx_path: str = "nginx",
    ) -> None:
        found = shutil.which(nginx_path)
        if found is None:
            raise HarnessError(f"{nginx_path} not found: apt-get install nginx-light")
        self.nginx_path = found
        self.autostart = autostart
        self.ports = tuple(ports)
        self.startup_timeout = startup_timeout
        self.startup_seconds = 0.0
        self.prefix = Path(tempfile.mkdtemp(prefix="jsw-nginx-"))
        (self.prefix / "logs").mkdir()
        (self.prefix / "tmp").mkdir()
        self.conf_path = self.prefix / "nginx.conf"
        self.error_log = self.prefix / "logs" / "error.log"
        self.access_log = self.prefix / "logs" / "access.log"
        self.pid_path = self.prefix / "nginx.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self.write_config(conf_text)

    # -- config ----------------------------------------------------------------------------

    def render(self, conf_text: str) -> str:
        """The full nginx.conf for ``conf_text`` with prefix-local runtime paths added."""
        conf = conf_text
        if not _HTTP_BLOCK.search(conf):
            conf = f"http {{\n{conf}\n}}\n"
        http_extra = [
            f"{name}_temp_path {self.prefix / 'tmp' / name};"
            for name in _TEMP_PATHS
            if not _has_directive(conf, f"{name}_temp_path")
        ]
        if not _has_directive(conf, "access_log"):
            http_extra.append(f"access_log {self.access_log};")
        conf = _HTTP_BLOCK.sub(lambda m: m.group(0) + "\n    " + "\n    ".join(http_extra), conf, 1)
        main = [
            "# Added by tests/support/nginx.py: keep runtime files inside the temp prefix.",
            f"pid {self.pid_path};" if not _has_directive(conf, "pid") else "",
            # notice level: the "start worker process" lines are how readiness is detected.
            f"error_log {self.error_log} notice;",
            "worker_processes 1;" if not _has_directive(conf, "worker_processes") else "",
            # Workers must read test-made keys in 0700 temp dirs; default user would be nobody.
            "user root;" if os.geteuid() == 0 and not _has_directive(conf, "user") else "",
            "events { worker_connections 256; }" if not _has_directive(conf, "events") else "",
        ]
        return "\n".join(line for line in main if line) + "\n" + conf

    def write_config(self, conf_text: str) -> None:
        """Replace the config file (takes effect on start() or reload())."""
        self.conf_text = conf_text
        self.conf_path.write_text(self.render(conf_text))

    def _argv(self, *extra: str) -> list[str]:
        # -e: where errors go before the config is parsed (default is /var/log/nginx).
        # daemon off keeps the master our child, so it can be waited for and killed.
        return [
            self.nginx_path,
            "-g",
            "daemon off;",
            "-p",
            str(self.prefix),
            "-c",
            str(self.conf_path),
            "-e",
            str(self.error_log),
            *extra,
        ]

    def test(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t`` on the current config; check ``.returncode`` and ``.stderr``."""
        return subprocess.run(
            self._argv("-t"),
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> NginxServer:
        """Start nginx and wait until its workers run (listen sockets are bound before that)."""
        if self._proc is not None:
            raise HarnessError("nginx already started")
        t0 = time.monotonic()
        offset = self._log_size()
        with (self.prefix / "logs" / "stderr.log").open("ab") as out:
            self._proc = subprocess.Popen(
                self._argv(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_log("start worker process", offset, "nginx workers to start")
            for port in self.ports:
                wait_for_port("127.0.0.1", port, self.startup_timeout, process=self._proc)
        except BaseException:
            self.stop(remove_files=False)
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def reload(self, conf_text: str | None = None, *, timeout: float = 10.0) -> None:
        """Apply ``conf_text`` (or the current file) with SIGHUP, like ``nginx -s reload``.

        The config is tested first so a broken one raises here instead of being silently
        ignored by the master. Returns once the old workers are gone, so every later request
        is served by the new config.
        """
        proc = self._running()
        if conf_text is not None:
            self.write_config(conf_text)
        result = self.test()
        if result.returncode != 0:
            raise HarnessError(f"nginx -t failed, not reloading:\n{result.stderr}")
        old_workers = descendants(proc.pid)
        offset = self._log_size()
        proc.send_signal(signal.SIGHUP)
        self._wait_log("start worker process", offset, "nginx to reload", timeout=timeout)
        wait_until(
            lambda: not any(pid_alive(p) for p in old_workers) or None,
            timeout=timeout,
            what="old nginx workers to exit after reload",
            process=proc,
            log=self.log,
        )

    def stop(self, *, remove_files: bool = True) -> None:
        """Stop master and workers (SIGTERM, then SIGKILL); remove the prefix. Idempotent."""
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None
        if remove_files:
            shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> NginxServer:
        if self.autostart:
            try:
                self.start()
            except BaseException:
                self.stop()
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- diagnostics -----------------------------------------------------------------------

    def log(self) -> str:
        """Error log plus anything nginx printed on stdout/stderr."""
        parts = []
        for path in (self.error_log, self.prefix / "logs" / "stderr.log"):
            with contextlib.suppress(OSError):
                parts.append(path.read_text(errors="replace"))
        return "\n".join(p for p in parts if p)

    @property
    def master_pid(self) -> int | None:
        """PID of the running nginx master, else None."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def access_log_text(self) -> str:
        try:
            return self.access_log.read_text(errors="replace")
        except OSError:
            return ""

    # -- internals -------------------------------------------------------------------------

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            raise HarnessError(f"nginx is not running\n{read_log(self.log)}")
        return self._proc

    def _log_size(self) -> int:
        try:
            return self.error_log.stat().st_size
        except OSError:
            return 0

    def _wait_log(
        self, marker: str, offset: int, what: str, *, timeout: float | None = None
    ) -> None:
        def seen() -> bool | None:
            try:
                with self.error_log.open("rb") as f:
                    f.seek(offset)
                    new = f.read().decode(errors="replace")
            except OSError:
                return None
            if "[emerg]" in new:
                raise HarnessError(f"nginx reported an error while waiting for {what}\n{new}")
            return marker in new or None

        wait_until(
            seen,
            timeout=timeout if timeout is not None else self.startup_timeout,
            what=what,
            process=self._proc,
            log=self.log,
        )


def self_signed_cert(
    directory: Path, cn: str = "127.0.0.1", *, sans: Sequence[str] = (), days: int = 2
) -> tuple[Path, Path]:
    """Write ``cert.pem``/``key.pem`` (EC P-256, self-signed) into ``directory``.

    The subjectAltName holds ``cn`` and ``sans`` (IP or DNS entries chosen by parsing), so the
    cert verifies for those names when given to a client as its CA file.
    Returns ``(cert_path, key_path)``.
    """
    if shutil.which("openssl") is None:
        raise HarnessError("openssl CLI not found: apt-get install openssl")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    alt = ",".join(_san_entry(name) for name in dict.fromkeys([cn, *sans]))
    result = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            str(days),
            "-subj",
            f"/CN={cn}",
            "-addext",
            f"subjectAltName={alt}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise HarnessError(f"openssl req failed ({result.returncode}):\n{result.stderr}")
    key.chmod(0o600)
    return cert, key


def _san_entry(name: str) -> str:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return f"DNS:{name}"
    return f"IP:{name}"


@pytest.fixture
def nginx_factory() -> Iterator[Callable[[str], NginxServer]]:
    """Yields ``make(conf_text) -> started NginxServer``; all are stopped after the test."""
    made: list[NginxServer] = []

    def make(conf_text: str) -> NginxServer:
        server = NginxServer(conf_text)
        made.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in made:
            server.stop()
