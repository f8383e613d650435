"""A real ACME CA on loopback for tests: Debian's `pebble` with `pebble-challtestsrv` as its DNS.

``with AcmeServer(http_port) as ca:`` starts pebble-challtestsrv answering every name with
127.0.0.1 (A only) and pebble using it as its resolver, validating HTTP-01 challenges on
127.0.0.1:``http_port`` for real (no "always valid" shortcut). ``ca.directory`` is the URL for
certbot's ``--server``; ``ca.api_ca`` is the file to trust for that API only
(``REQUESTS_CA_BUNDLE``); ``ca.issuing_roots()`` fetches the roots pebble signs with from its
management API, for a client to verify what nginx or Jupyter then serves. Stdlib only.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.support.ports import HarnessError, free_port, read_log, stop_process, wait_for_port

NAMES = ("pebble", "pebble-challtestsrv", "certbot")


def _require() -> None:
    missing = [n for n in NAMES if shutil.which(n) is None]
    if missing:
        raise HarnessError(f"{', '.join(missing)} not found: apt-get install pebble certbot")


def _api_pair(d: Path) -> Path:
    """pebble's own HTTPS certificate for its API (127.0.0.1 and localhost), self-signed."""
    cert, key = d / "api.pem", d / "api.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=pebble",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert


class AcmeServer:
    def __init__(self, http_port: int) -> None:
        _require()
        self.http_port = http_port
        self.dir = Path(tempfile.mkdtemp(prefix="jsw-pebble-"))
        self.port, self.mgmt_port, self.dns_port = free_port(), free_port(), free_port()
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        self.api_ca = _api_pair(self.dir)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = self.dir / f"{name}.log"
        self._logs.append(log)
        with log.open("wb") as out:
            self._procs.append(
                subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
            )  # fmt: skip

    def start(self) -> AcmeServer:
        dns = f"127.0.0.1:{self.dns_port}"
        self._start("challtestsrv", [
            "pebble-challtestsrv", "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
            "-management", f"127.0.0.1:{free_port()}", "-defaultIPv4", "127.0.0.1",
            "-defaultIPv6", "",
        ])  # fmt: skip
        config = {
            "pebble": {
                "listenAddress": f"127.0.0.1:{self.port}",
                "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
                "certificate": str(self.api_ca),
                "privateKey": str(self.dir / "api.key"),
                "httpPort": self.http_port,
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
            }
        }
        (self.dir / "pebble.json").write_text(json.dumps(config))
        # No random sleeps before validation, no rejected nonces: fast and deterministic.
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               "PEBBLE_AUTHZREUSE": "0"}  # fmt: skip
        self._start("pebble", ["pebble", "-config", str(self.dir / "pebble.json"),
                               "-dnsserver", dns], env)  # fmt: skip
        try:
            wait_for_port("127.0.0.1", self.port, timeout=15)
            wait_for_port("127.0.0.1", self.mgmt_port, timeout=15)
        except Exception as exc:
            self.stop()
            raise HarnessError(f"pebble did not start: {exc}\n{self.logs()}") from exc
        return self

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{read_log(p)}" for p in self._logs)

    def env(self) -> dict[str, str]:
        """The environment certbot (through the wizard) needs: pebble's API trusted, nothing else."""
        return {**os.environ, "REQUESTS_CA_BUNDLE": str(self.api_ca)}

    def issuing_roots(self) -> Path:
        """pebble's root (and its alternates') from the management API, as one PEM file."""
        ctx = ssl.create_default_context(cafile=str(self.api_ca))
        pems = []
        for i in range(4):
            url = f"https://127.0.0.1:{self.mgmt_port}/roots/{i}"
            try:
                with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
                    pems.append(r.read().decode())
            except OSError:
                break
        if not pems:
            raise HarnessError(f"pebble's management API gave no root\n{self.logs()}")
        path = self.dir / "roots.pem"
        path.write_text("".join(pems))
        return path

    def stop(self) -> None:
        for p in reversed(self._procs):
            stop_process(p)
        self._procs = []

    def __enter__(self) -> AcmeServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
