"""reverse-proxy end to end with a real nginx on loopback ports (confined to a temp prefix).

The wizard writes its site into a directory the test nginx includes, tests it with
`nginx -t -c CONF` and reloads with `nginx -s reload -c CONF` (answers nginx_conf / nginx_site),
so /etc/nginx is never touched. TLS: a self-signed pair the wizard makes with openssl.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests
import websocket

from tests.support.jupyter import login, run_jupyter
from tests.support.nginx import NginxServer
from tests.support.ports import free_port, wait_until
from tests.system.test_access_common import apply, doctor, wizard, write_answers

pytestmark = pytest.mark.system

PASSWORD = "behind the proxy 7"
PROXY_PASSWORD = "front door 99"


def proxy_answers(
    tmp_path: Path, jlab: str, nginx: NginxServer, https_port: int, **extra: object
) -> Path:
    cfg, root = tmp_path / "cfg", tmp_path / "nb"
    root.mkdir(exist_ok=True)
    access = {
        "method": "reverse-proxy",
        "https_port": https_port,
        "listen_ip": "127.0.0.1",
        "self_signed": True,
        "certfile": str(tmp_path / "tls" / "cert.pem"),
        "keyfile": str(tmp_path / "tls" / "key.pem"),
        "basic_auth_user": "alice",
        "htpasswd_file": str(tmp_path / "htpasswd"),
        "nginx_site": str(tmp_path / "sites" / "jupyter.conf"),
        "nginx_conf": str(nginx.conf_path),
        **extra,
    }
    return write_answers(tmp_path / "a.toml", jlab, cfg, root,
                         network={"port": free_port(), "base_url": "/jupyter/"}, access=access)  # fmt: skip


def test_login_kernel_websocket_and_basic_auth_through_nginx(jlab: str, tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    https_port = free_port()
    with NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx:
        answers = proxy_answers(tmp_path, jlab, nginx, https_port)
        r = apply(answers, f"{PASSWORD}\n{PROXY_PASSWORD}\n", "--proxy-password-stdin")
        assert PROXY_PASSWORD not in r.stdout + r.stderr
        assert "$2b$" not in r.stdout  # the htpasswd hash is not shown either
        assert "ok: nginx serves" in r.stdout
        cert = tmp_path / "tls" / "cert.pem"
        assert (tmp_path / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "htpasswd").read_text().startswith("alice:$2b$")

        with run_jupyter(jlab, tmp_path / "cfg", tmp_path / "srv") as server:
            assert server.info["base_url"] == "/jupyter/"
            base = f"https://127.0.0.1:{https_port}/jupyter"
            # Basic auth in front: 401 without or with wrong credentials, through with them.
            assert requests.get(f"{base}/api", verify=cert, timeout=10).status_code == 401
            wrong = requests.get(f"{base}/api", verify=cert, auth=("alice", "nope"), timeout=10)
            assert wrong.status_code == 401
            auth = ("alice", PROXY_PASSWORD)
            assert (
                requests.get(f"{base}/api", verify=cert, auth=auth, timeout=10).status_code == 200
            )

            status, session = login(base, PASSWORD, verify=cert, auth=auth)
            assert status == 302
            r = session.post(f"{base}/api/kernels", json={"name": "python3"}, verify=cert, auth=auth,
                             headers={"X-XSRFToken": session.cookies["_xsrf"]}, timeout=30)  # fmt: skip
            assert r.status_code == 201, r.text
            kernel = r.json()["id"]
            basic = base64.b64encode(f"alice:{PROXY_PASSWORD}".encode()).decode()
            ws = websocket.create_connection(
                f"wss://127.0.0.1:{https_port}/jupyter/api/kernels/{kernel}/channels",
                sslopt={"ca_certs": str(cert)},
                header=[f"Authorization: Basic {basic}"],
                cookie="; ".join(f"{c.name}={c.value}" for c in session.cookies),
                origin=f"https://127.0.0.1:{https_port}",
                timeout=20,
            )
            try:
                assert ws.status == 101
            finally:
                ws.close()
            session.delete(f"{base}/api/kernels/{kernel}", verify=cert, auth=auth,
                           headers={"X-XSRFToken": session.cookies["_xsrf"]}, timeout=30)  # fmt: skip

            r = doctor(answers, stdin=f"{PASSWORD}\n{PROXY_PASSWORD}\n",
                       extra=("--password-stdin", "--proxy-password-stdin"))  # fmt: skip
            assert r.returncode == 0, r.stdout + r.stderr
            assert (
                "✓ proxy websocket: a WebSocket handshake through nginx completes (101)" in r.stdout
            )


def test_failed_nginx_test_or_health_check_rolls_back(jlab: str, tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    good_port = free_port()
    with NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx:
        answers = proxy_answers(tmp_path, jlab, nginx, good_port)
        apply(answers, f"{PASSWORD}\n{PROXY_PASSWORD}\n", "--proxy-password-stdin")
        site = tmp_path / "sites" / "jupyter.conf"
        before = site.read_bytes()

        # 1. A certificate nginx cannot load: `nginx -t` fails, nothing is reloaded or left.
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "cert.pem").write_text("not a certificate\n")
        (bad / "key.pem").write_text("not a key\n")
        broken = proxy_answers(tmp_path, jlab, nginx, good_port, self_signed=False,
                               certfile=str(bad / "cert.pem"), keyfile=str(bad / "key.pem"))  # fmt: skip
        r = wizard("apply", str(broken), "--yes", "--password-stdin", "--proxy-password-stdin",
                   stdin=f"{PASSWORD}\n{PROXY_PASSWORD}\n")  # fmt: skip
        assert r.returncode == 1, r.stdout + r.stderr
        assert "nginx -e stderr -c" in r.stderr and "-t failed" in r.stderr
        assert site.read_bytes() == before

        # 2. Another nginx holds the new port: our reload cannot bind it, the health check
        #    finds someone else's server there, and the old site comes back.
        taken = free_port()
        with NginxServer(f"server {{ listen 127.0.0.1:{taken}; return 200 'other'; }}\n"):
            moved = proxy_answers(tmp_path, jlab, nginx, taken)
            r = wizard("apply", str(moved), "--yes", "--password-stdin", "--proxy-password-stdin",
                       stdin=f"{PASSWORD}\n{PROXY_PASSWORD}\n")  # fmt: skip
            assert r.returncode == 1, r.stdout + r.stderr
            assert "health check failed" in r.stderr
            assert site.read_bytes() == before
        health = requests.get(f"https://127.0.0.1:{good_port}/jupyter-setup-wizard-health",
                              verify=tmp_path / "tls" / "cert.pem", timeout=10)  # fmt: skip
        assert health.status_code == 200


def test_rollback_reloads_nginx_so_the_earlier_certificate_is_served(
    jlab: str, tmp_path: Path
) -> None:
    """Without ACME: the rollback of a reverse-proxy apply that changed the site (here: to
    another self-signed pair) tests and reloads nginx, so the earlier certificate is what a
    client gets over HTTPS afterwards, not the one the rolled-back apply put in."""
    from wizard.probe.certificate import Certificate, read_certificate, served_certificate

    (tmp_path / "sites").mkdir()
    https_port = free_port()
    secrets = f"{PASSWORD}\n{PROXY_PASSWORD}\n"

    def serving() -> str:
        cert = served_certificate("127.0.0.1", https_port)
        assert isinstance(cert, Certificate), cert
        return cert.serial

    def serial(pair: str) -> str:
        cert = read_certificate(tmp_path / pair / "cert.pem")
        assert cert is not None
        return cert.serial

    with NginxServer(f"include {tmp_path / 'sites'}/*.conf;\n") as nginx:
        apply(proxy_answers(tmp_path, jlab, nginx, https_port), secrets, "--proxy-password-stdin")
        assert serving() == serial("tls")
        other = proxy_answers(tmp_path, jlab, nginx, https_port,
                              certfile=str(tmp_path / "tls2" / "cert.pem"),
                              keyfile=str(tmp_path / "tls2" / "key.pem"))  # fmt: skip
        apply(other, secrets, "--proxy-password-stdin")
        assert serving() == serial("tls2") != serial("tls")
        rb = wizard("rollback", "--yes")
        assert rb.returncode == 0, rb.stdout + rb.stderr
        assert "test the restored nginx site, then reload nginx" in rb.stdout, rb.stdout
        # nginx reloaded (its old workers finish first): the restored site is what is served
        wait_until(lambda: serving() == serial("tls"), timeout=15, what="the earlier certificate")
