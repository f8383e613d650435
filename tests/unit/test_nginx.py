"""The nginx site the reverse-proxy method renders (checked by a real `nginx -t` in a temp prefix)."""

from __future__ import annotations

from pathlib import Path

from tests.support.nginx import NginxServer, self_signed_cert
from wizard.plan.access.nginx import (
    ProxySpec,
    nginx_argv,
    reload_argv,
    render_site,
    site_has_websocket_headers,
)


def spec(tmp_path: Path, **kw: object) -> ProxySpec:
    cert, key = self_signed_cert(tmp_path / "tls")
    base = {"jupyter_port": 8888, "base_url": "/jupyter/", "https_port": 8443,
            "certfile": str(cert), "keyfile": str(key), "listen_ip": "127.0.0.1"}  # fmt: skip
    return ProxySpec(**{**base, **kw})  # type: ignore[arg-type]


def test_site_has_websocket_tls_and_same_base_url(tmp_path: Path) -> None:
    text = render_site(spec(tmp_path))
    assert site_has_websocket_headers(text) == []
    assert "listen 127.0.0.1:8443 ssl;" in text
    assert "location /jupyter/ {" in text
    assert "proxy_pass http://127.0.0.1:8888;" in text  # no URI part: the path is kept as is
    assert "proxy_set_header Host $http_host;" in text
    assert "auth_basic" not in text.split("location /jupyter/")[1].split("}")[0]


def test_basic_auth_and_all_addresses(tmp_path: Path) -> None:
    text = render_site(
        spec(tmp_path, htpasswd="/etc/x.htpasswd", listen_ip="", server_name="lab.example")
    )
    assert "auth_basic_user_file /etc/x.htpasswd;" in text
    assert "listen 8443 ssl;" in text and "listen [::]:8443 ssl;" in text
    assert "server_name lab.example;" in text


def test_rendered_site_passes_nginx_t(tmp_path: Path) -> None:
    (tmp_path / "h").write_text("u:$2b$12$abcdefghijklmnopqrstuuCUz3Gk0DmkiL6Ndxx8l1Kv3V3m5ubK2\n")
    site = render_site(spec(tmp_path, htpasswd=str(tmp_path / "h")))
    with NginxServer(site, autostart=False) as nginx:
        r = nginx.test()
        assert r.returncode == 0, r.stderr


def test_missing_upgrade_headers_are_named() -> None:
    missing = site_has_websocket_headers("location / { proxy_pass http://127.0.0.1:1; }")
    assert len(missing) == 3


def test_commands() -> None:
    assert nginx_argv("/p/nginx.conf", "-t") == [
        "nginx",
        "-e",
        "stderr",
        "-c",
        "/p/nginx.conf",
        "-t",
    ]
    assert reload_argv("", True) == ["systemctl", "reload-or-restart", "nginx"]
    assert reload_argv("", False) == ["nginx", "-e", "stderr", "-s", "reload"]
