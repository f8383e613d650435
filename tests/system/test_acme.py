"""HTTPS with a certificate from a real ACME CA: pebble on loopback, certbot from Debian, nginx.

pebble validates every HTTP-01 challenge for real on 127.0.0.1:<http_port> (its DNS is
pebble-challtestsrv, answering every name with 127.0.0.1); certbot trusts pebble's API through
REQUESTS_CA_BUNDLE only. The served certificate is checked with pebble's issuing root from its
management API. certbot's files live in a temp --config-dir (answers acme_config_dir), the
nginx is the confined test one: /etc/letsencrypt and /etc/nginx are never touched.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests
import websocket
from requests.adapters import HTTPAdapter

from tests.support.acme import AcmeServer
from tests.support.jupyter import run_jupyter
from tests.support.nginx import NginxServer
from tests.support.ports import free_port, wait_until
from tests.system.test_access_common import apply, check_line, doctor, wizard, write_answers
from wizard.probe.certificate import read_certificate

pytestmark = pytest.mark.system

PASSWORD = "a real certificate 5"
NAME = "jupyter.test"
EMAIL = "admin@example.org"


def served(port: int, roots: Path, path: str = "") -> tuple[str, int | None]:
    """(serial of the certificate served on 127.0.0.1:port for NAME, status of GET path): the
    TLS handshake verifies the chain against `roots` and the name, or raises."""
    ctx = ssl.create_default_context(cafile=str(roots))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=NAME) as tls,
    ):
        serial = str(tls.getpeercert()["serialNumber"])
    status = None
    if path:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
        conn.sock = ctx.wrap_socket(  # connected here: SNI and the name check are NAME's
            socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=NAME
        )
        conn.request("GET", path, headers={"Host": f"{NAME}:{port}"})
        status = conn.getresponse().status
        conn.close()
    return serial, status


class AsName(HTTPAdapter):
    """requests to 127.0.0.1 as a browser asks for NAME: SNI and the certificate's name check
    are NAME's (the test name resolves nowhere but in pebble's DNS)."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs.update(server_hostname=NAME, assert_hostname=NAME)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]


def kernel_websocket_through(port: int, roots: Path) -> None:
    """Log in to JupyterLab through nginx over HTTPS (the chain verified against `roots` for
    NAME), start a kernel and open its channels WebSocket: nginx must answer 101."""
    base = f"https://127.0.0.1:{port}/jupyter"
    session = requests.Session()
    session.mount("https://", AsName())
    ca = str(roots)  # per request: a session's own verify loses to REQUESTS_CA_BUNDLE
    host = {"Host": f"{NAME}:{port}"}
    r = session.get(f"{base}/login", headers=host, verify=ca, timeout=10)
    assert r.status_code == 200 and session.cookies.get("_xsrf"), r.status_code
    r = session.post(f"{base}/login", headers=host, allow_redirects=False, verify=ca, timeout=10,
                     data={"password": PASSWORD, "_xsrf": session.cookies["_xsrf"],
                           "next": "/jupyter/lab"})  # fmt: skip
    assert r.status_code == 302  # the password login, through nginx, over the ACME certificate
    xsrf = {"X-XSRFToken": session.cookies["_xsrf"], **host}
    r = session.post(f"{base}/api/kernels", json={"name": "python3"}, headers=xsrf, verify=ca,
                     timeout=60)  # fmt: skip
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    try:
        ws = websocket.create_connection(
            f"wss://127.0.0.1:{port}/jupyter/api/kernels/{kernel}/channels",
            sslopt={"ca_certs": str(roots), "server_hostname": NAME},
            host=f"{NAME}:{port}", origin=f"https://{NAME}:{port}",
            cookie="; ".join(f"{c.name}={c.value}" for c in session.cookies), timeout=30,
        )  # fmt: skip
        try:
            assert ws.status == 101
        finally:
            ws.close()
    finally:
        session.delete(f"{base}/api/kernels/{kernel}", headers=xsrf, verify=ca, timeout=30)
        session.close()


def serial_of(pem: Path) -> str:
    cert = read_certificate(pem)
    assert cert is not None, pem
    return cert.serial.upper()


def acme_answers(tmp_path: Path, jlab: str, ca: AcmeServer, method: str, **access: object) -> Path:
    root = tmp_path / "nb"
    root.mkdir(exist_ok=True)
    common = {
        "method": method,
        "tls": "acme",
        "acme_email": EMAIL,
        "acme_domains": [NAME],
        "acme_server": ca.directory,
        "acme_config_dir": str(tmp_path / "le"),
        "http_port": ca.http_port,
        **access,
    }
    return write_answers(tmp_path / f"{method}.toml", jlab, tmp_path / "cfg", root,
                         network=network_for(method), access=common)  # fmt: skip


JUPYTER_PORT = {"port": 0}


def network_for(method: str) -> dict[str, object]:
    if method == "direct":
        return {"port": JUPYTER_PORT["port"], "ip": "0.0.0.0"}
    return {"port": JUPYTER_PORT["port"], "base_url": "/jupyter/"}


def renew(tmp_path: Path, ca: AcmeServer) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        # (without a terminal certbot would first sleep up to 8 minutes, as from its timer)
        ["certbot", "renew", "--force-renewal", "--non-interactive", "--no-random-sleep-on-renew",
         "--config-dir", str(tmp_path / "le")],
        env=ca.env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_reverse_proxy_acme_issue_serve_renew_rollback(jlab: str, tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    http_port, https_port = free_port(), free_port()
    JUPYTER_PORT["port"] = free_port()
    site = tmp_path / "sites" / "jupyter.conf"
    with (
        NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx,
        AcmeServer(http_port) as ca,
    ):
        proxy = {"https_port": https_port, "listen_ip": "127.0.0.1", "server_name": NAME,
                 "nginx_site": str(site), "nginx_conf": str(nginx.conf_path)}  # fmt: skip
        # An earlier setup: the same proxy with a self-signed pair.
        earlier = acme_answers(tmp_path, jlab, ca, "reverse-proxy", **proxy, tls="self-signed",
                               certfile=str(tmp_path / "ss" / "cert.pem"),
                               keyfile=str(tmp_path / "ss" / "key.pem"))  # fmt: skip
        apply(earlier, f"{PASSWORD}\n")
        self_signed = serial_of(tmp_path / "ss" / "cert.pem")

        answers = acme_answers(tmp_path, jlab, ca, "reverse-proxy", **proxy)
        dry = wizard("apply", str(answers), "--dry-run", "--password-stdin",
                     stdin=f"{PASSWORD}\n", env=ca.env())  # fmt: skip
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "certbot certonly --non-interactive" in dry.stdout and "--webroot" in dry.stdout

        r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin=f"{PASSWORD}\n",
                   env=ca.env())  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr + ca.logs()
        live = tmp_path / "le" / "live" / "jupyter-setup-wizard"
        assert f"ssl_certificate {live}/fullchain.pem;" in site.read_text()
        hook = tmp_path / "le" / "renewal-hooks" / "deploy" / "jupyter-setup-wizard"
        assert "-s reload" in hook.read_text() and hook.stat().st_mode & 0o777 == 0o755

        roots = ca.issuing_roots()
        with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv"):
            serial, status = served(https_port, roots, "/jupyter/api")
            assert status == 200
            assert serial == serial_of(live / "cert.pem")
            kernel_websocket_through(https_port, roots)
            # status reads the certificate nginx serves; doctor names it, and says the
            # renewal timer cannot be checked here (no systemd in this test's machine).
            st = json.loads(wizard("status", "--json").stdout)["certificate"]
            assert st["endpoint"] == f"127.0.0.1:{https_port}" and st["names"] == [NAME]
            assert "Pebble" in st["issuer"] and st["error"] is None
            assert st["serial"].upper() == serial_of(live / "cert.pem") and st["days_left"] > 20
            line = check_line(doctor(answers).stdout, "certificate")
            assert line.startswith(f"✓ certificate: {NAME}, issued by ") and "days left" in line
            assert "certbot.timer): cannot check, no systemd here" in line
            # Port 80: the challenge location, everything else redirected to HTTPS.
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            conn.request("GET", "/lab", headers={"Host": NAME})
            redirect = conn.getresponse()
            assert redirect.status == 301
            assert redirect.getheader("Location") == f"https://{NAME}:{https_port}/lab"

            # Renewal: certbot's own `renew` runs our deploy hook; nginx serves the new serial.
            r = renew(tmp_path, ca)
            out = r.stdout + r.stderr
            assert "test is successful" in out and "signal process started" in out, out  # the hook
            renewed = serial_of(live / "cert.pem")
            assert renewed != serial
            # nginx -s reload: the old workers finish before the new ones serve
            wait_until(lambda: served(https_port, roots)[0] == renewed, timeout=15,
                       what="nginx serving the renewed certificate")  # fmt: skip
            assert served(https_port, roots, "/jupyter/api")[1] == 200

        # The same answers again: nothing to do (no new certificate either).
        again = wizard("apply", str(answers), "--yes", "--password-stdin",
                       stdin=f"{PASSWORD}\n", env=ca.env())  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        assert "certbot certonly" not in again.stdout
        assert serial_of(live / "cert.pem") == renewed

        # Rollback of the ACME apply (the latest journaled one): the self-signed site is what
        # nginx serves again, the lineage and the hook are gone.
        history = wizard("history").stdout
        acme_apply = [ln.split()[0] for ln in history.splitlines() if "applied" in ln][-1]
        rb = wizard("rollback", acme_apply, "--yes", env=ca.env())
        assert rb.returncode == 0, rb.stdout + rb.stderr
        assert "certbot delete" in rb.stdout, history + rb.stdout
        assert not live.exists() and not hook.exists()
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ss" / "cert.pem"))
        ctx.check_hostname = False
        with (
            socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            assert str(tls.getpeercert()["serialNumber"]).upper() == self_signed


def test_failed_issuance_changes_nothing(jlab: str, tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    JUPYTER_PORT["port"] = free_port()
    https_port, nowhere = free_port(), free_port()
    site = tmp_path / "sites" / "jupyter.conf"
    with (
        NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx,
        AcmeServer(nowhere) as ca,  # pebble validates on a port nothing answers
    ):
        proxy = {"https_port": https_port, "listen_ip": "127.0.0.1", "server_name": NAME,
                 "nginx_site": str(site), "nginx_conf": str(nginx.conf_path),
                 "http_port": free_port()}  # fmt: skip
        answers = acme_answers(tmp_path, jlab, ca, "reverse-proxy", **proxy)
        r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin=f"{PASSWORD}\n",
                   env=ca.env())  # fmt: skip
        assert r.returncode == 1, r.stdout + r.stderr
        assert "certbot got no certificate for jupyter.test: Type: connection" in r.stderr
        assert "connection refused" in r.stderr  # the CA's own words, through certbot
        assert not site.exists()
        assert not (tmp_path / "cfg" / "jupyter_server_config.json").exists()
        assert not (tmp_path / "le" / "live" / "jupyter-setup-wizard").exists()

        # The challenge port held by something else than nginx: refused before anything runs.
        with socket.create_server(("127.0.0.1", 0)) as busy:
            held = acme_answers(tmp_path, jlab, ca, "reverse-proxy",
                                **{**proxy, "http_port": busy.getsockname()[1]})  # fmt: skip
            r = wizard("apply", str(held), "--yes", "--password-stdin", stdin=f"{PASSWORD}\n")
        assert r.returncode == 2, r.stdout + r.stderr
        assert "error: access.http_port: port" in r.stderr and "challenge needs it" in r.stderr


def test_direct_acme_jupyter_serves_the_issued_pair_and_renews(jlab: str, tmp_path: Path) -> None:
    http_port = free_port()
    JUPYTER_PORT["port"] = free_port()
    with AcmeServer(http_port) as ca:
        answers = acme_answers(tmp_path, jlab, ca, "direct")
        r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin=f"{PASSWORD}\n",
                   env=ca.env())  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr + ca.logs()
        assert "--standalone --http-01-port" in r.stdout
        own = tmp_path / "le" / "jupyter-setup-wizard" / "jupyter"
        cert, key = own / "cert.pem", own / "key.pem"
        assert key.stat().st_mode & 0o777 == 0o600 and cert.stat().st_mode & 0o777 == 0o600
        roots = ca.issuing_roots()
        with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv"):
            serial, status = served(JUPYTER_PORT["port"], roots, "/api")
            assert status == 200 and serial == serial_of(cert)
            line = check_line(doctor(answers).stdout, "certificate")
            assert line.startswith(f"✓ certificate: {NAME}, issued by ") and "Pebble" in line
            assert "days left" in line
        renew(tmp_path, ca)  # the hook copies the new pair (restart: the service manager's)
        assert serial_of(cert) != serial
        assert serial_of(cert) == serial_of(
            tmp_path / "le" / "live" / "jupyter-setup-wizard" / "cert.pem"
        )
        with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv2"):
            assert served(JUPYTER_PORT["port"], roots)[0] == serial_of(cert)
        rb = wizard("rollback", "--yes", env=ca.env())
        assert rb.returncode == 0, rb.stdout + rb.stderr
        assert (
            not cert.exists() and not (tmp_path / "le" / "live" / "jupyter-setup-wizard").exists()
        )


def _certbot_swap_refused() -> str | None:
    """Why this machine's certbot cannot be taken out and put back (None: it can). Its package
    is fetched into apt's cache first (as tests/setup.sh installs it), so putting it back
    needs no network."""
    if os.geteuid() != 0:
        return "needs root"
    if subprocess.run(["dpkg", "-s", "certbot"], capture_output=True).returncode != 0:
        return "certbot is not installed here (nothing to take out and put back)"
    r = subprocess.run(
        ["apt-get", "install", "--reinstall", "--download-only", "-y", "certbot"],
        capture_output=True, text=True, env=APT_ENV, timeout=120,
    )  # fmt: skip
    if r.returncode != 0:
        return f"certbot's package cannot be fetched into apt's cache: {r.stdout}{r.stderr}"
    return None


APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def test_certbot_installed_with_consent_and_removed_by_rollback(jlab: str, tmp_path: Path) -> None:
    """certbot missing: refused with its fix; with install_certbot the apply installs the
    distribution's package (apt-get, from apt's cache: no network), gets the certificate with
    it, and the rollback removes what it installed. The machine's certbot is put back after."""
    if (why := _certbot_swap_refused()) is not None:
        pytest.fail(why, pytrace=False)  # a missing component is a failure, never a skip
    manual = "certbot" in subprocess.run(["apt-mark", "showmanual", "certbot"],
                                         capture_output=True, text=True).stdout  # fmt: skip
    http_port = free_port()
    JUPYTER_PORT["port"] = free_port()
    with AcmeServer(http_port) as ca:  # (its harness checks for certbot: before it goes)
        subprocess.run(["apt-get", "remove", "-y", "certbot"], check=True, capture_output=True,
                       env=APT_ENV, timeout=300)  # fmt: skip
        try:
            assert shutil.which("certbot") is None
            refused = acme_answers(tmp_path, jlab, ca, "direct")
            r = wizard("apply", str(refused), "--yes", "--password-stdin",
                       stdin=f"{PASSWORD}\n", env=ca.env())  # fmt: skip
            assert r.returncode == 2, r.stdout + r.stderr
            assert (
                "access.install_certbot: certbot is not installed: apt install certbot" in r.stderr
            )
            assert shutil.which("certbot") is None

            answers = acme_answers(tmp_path, jlab, ca, "direct", install_certbot=True)
            r = wizard("apply", str(answers), "--yes", "--password-stdin", stdin=f"{PASSWORD}\n",
                       env=ca.env(), timeout=600)  # fmt: skip
            assert r.returncode == 0, r.stdout + r.stderr + ca.logs()
            out = r.stdout
            assert "$ apt-get install -y certbot" in out
            assert out.index("apt-get install -y certbot") < out.index("certbot certonly")
            assert shutil.which("certbot") is not None
            own = tmp_path / "le" / "jupyter-setup-wizard" / "jupyter" / "cert.pem"
            assert serial_of(own) == serial_of(
                tmp_path / "le" / "live" / "jupyter-setup-wizard" / "cert.pem"
            )

            rb = wizard("rollback", "--yes", env=ca.env(), timeout=600)
            assert rb.returncode == 0, rb.stdout + rb.stderr
            assert "certbot delete" in rb.stdout and "$ apt-get remove -y certbot" in rb.stdout
            assert rb.stdout.index("certbot delete") < rb.stdout.index("apt-get remove")
            assert shutil.which("certbot") is None
            assert not (tmp_path / "le" / "live" / "jupyter-setup-wizard").exists()
        finally:
            if shutil.which("certbot") is None:
                subprocess.run(["apt-get", "install", "-y", "certbot"], check=True,
                               capture_output=True, env=APT_ENV, timeout=300)  # fmt: skip
            if not manual:
                subprocess.run(["apt-mark", "auto", "certbot"], capture_output=True)
    assert shutil.which("certbot") is not None
