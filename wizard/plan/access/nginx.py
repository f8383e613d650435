"""The reverse-proxy access method: an nginx site in front of a loopback-only JupyterLab.

The site terminates TLS, forwards WebSocket upgrades (kernels stay "connecting" without them),
keeps base_url identical on both sides (proxy_pass without a URI part passes the path as is),
and optionally asks for HTTP basic auth first (bcrypt htpasswd). Every change is checked with
`nginx -t` before the reload; a failed test, reload or health check puts the old files back.
"""

from __future__ import annotations

import grp
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wizard.core.errors import InputError, Problem
from wizard.core.i18n import _
from wizard.plan.access.acme import CHALLENGE_PATH
from wizard.plan.actions import Action, ApplyContext, WriteFile
from wizard.plan.effects import NginxEffect
from wizard.probe.http import basic_auth, request, url_host

DEFAULT_SITE = Path("/etc/nginx/conf.d/jupyter-setup-wizard.conf")
DEFAULT_HTPASSWD = Path("/etc/nginx/jupyter-setup-wizard.htpasswd")
# Answered by nginx itself (no auth, no Jupyter): proves our site is the one being served.
HEALTH_PATH = "/jupyter-setup-wizard-health"


def check_host(listen_ip: str) -> str:
    """Where this machine reaches its own nginx listening on `listen_ip` ("" = every address)."""
    if listen_ip in ("", "0.0.0.0"):
        return "127.0.0.1"
    return "::1" if listen_ip == "::" else listen_ip


@dataclass(frozen=True)
class ProxySpec:
    jupyter_port: int
    base_url: str  # "/" or "/jupyter/": the same on nginx's side and in ServerApp.base_url
    https_port: int
    certfile: str
    keyfile: str
    server_name: str = ""  # "" = any name (nginx's "_")
    listen_ip: str = ""  # "" = every address
    htpasswd: str = ""  # "" = no basic auth
    ipv6: bool = True  # also listen on [::] when listen_ip is ""
    # ACME: a plain-HTTP server on http_port answering the challenge from acme_webroot and
    # redirecting everything else to HTTPS (0 = no such server)
    http_port: int = 0
    acme_webroot: str = ""

    @property
    def check_host(self) -> str:
        """Where this machine reaches its own nginx."""
        return check_host(self.listen_ip)

    @property
    def public_host(self) -> str:
        return self.server_name or self.check_host

    def url(self) -> str:
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{url_host(self.public_host)}{port}{self.base_url}"


# One nginx token: no space, ';', braces, quotes, '#', '$' or control character can end a
# directive, open a block or start a variable.
_NGINX_WORD = re.compile(r"[^\s;{}\"'#$\\\x00-\x1f\x7f]+")


# Each value the site takes from the answers, and the answers field it comes from.
_FIELDS = {
    "server_name": "access.server_name",
    "listen_ip": "access.listen_ip",
    "htpasswd": "access.htpasswd_file",
    "certfile": "access.certfile",
    "keyfile": "access.keyfile",
    "base_url": "network.base_url",
    "acme_webroot": "access.acme_config_dir",
}


def _refuse_injection(spec: ProxySpec) -> None:
    for name, field in _FIELDS.items():
        value = getattr(spec, name)
        if value and not _NGINX_WORD.fullmatch(value):
            raise InputError(
                [
                    Problem(
                        field,
                        _(
                            "{value!r} cannot go into an nginx site (one word: no space, quote, ';', '{{', '}}', '#', '$' or backslash)"
                        ).format(value=value),
                    )
                ]
            )


def _listens(spec: ProxySpec, port: int, suffix: str) -> list[str]:
    if spec.listen_ip:
        return [f"{url_host(spec.listen_ip)}:{port}{suffix}"]
    return [f"{port}{suffix}"] + ([f"[::]:{port}{suffix}"] if spec.ipv6 else [])


def _http_server(spec: ProxySpec) -> list[str]:
    """Port 80 (http_port): the ACME challenge from the webroot; everything else to HTTPS."""
    port = "" if spec.https_port == 443 else f":{spec.https_port}"
    return [
        "# Plain HTTP: only the CA's challenge (certbot --webroot), the rest goes to HTTPS.",
        "server {",
        *(f"    listen {x};" for x in _listens(spec, spec.http_port, "")),
        f"    server_name {spec.server_name or '_'};",
        f"    location ^~ {CHALLENGE_PATH} {{",
        f"        root {spec.acme_webroot};",
        "        default_type text/plain;",
        "    }",
        f"    location / {{ return 301 https://$host{port}$request_uri; }}",
        "}",
        "",
    ]


def render_challenge_site(spec: ProxySpec) -> str:
    """While the first certificate is being issued: only the port-80 server (nginx refuses a
    TLS server whose certificate does not exist yet)."""
    _refuse_injection(spec)
    head = "# Written by jupyter-setup-wizard while it gets a certificate; re-run the wizard to change it."
    return "\n".join([head, *_http_server(spec)])


def render_site(spec: ProxySpec) -> str:
    """The nginx site (http-level: a map plus one server block, and with ACME the port-80
    server). A value that would end a directive or add one is refused here, whatever
    validation let through."""
    _refuse_injection(spec)
    listens = _listens(spec, spec.https_port, " ssl")
    auth = (
        ['auth_basic "JupyterLab";', f"auth_basic_user_file {spec.htpasswd};"]
        if spec.htpasswd
        else []
    )
    upstream = f"http://127.0.0.1:{spec.jupyter_port}"
    out = [
        "# Written by jupyter-setup-wizard (access method reverse-proxy); re-run the wizard to change it.",
        "# Connection header for WebSockets: 'upgrade' when the client asks for it.",
        "map $http_upgrade $jsw_connection_upgrade {",
        "    default upgrade;",
        "    ''      close;",
        "}",
        "",
        "server {",
        *(f"    listen {x};" for x in listens),
        f"    server_name {spec.server_name or '_'};",
        f"    ssl_certificate {spec.certfile};",
        f"    ssl_certificate_key {spec.keyfile};",
        "    ssl_protocols TLSv1.2 TLSv1.3;",
        "    client_max_body_size 100m;  # notebook uploads",
        "",
        f"    location = {HEALTH_PATH} {{",
        "        auth_basic off;",
        "        default_type text/plain;",
        '        return 200 "ok\\n";',
        "    }",
        "",
        f"    location {spec.base_url} {{",
        *(f"        {x}" for x in auth),
        f"        proxy_pass {upstream};  # no URI part: {spec.base_url} reaches Jupyter unchanged",
        "        proxy_http_version 1.1;",
        "        # $http_host keeps the port, so Jupyter's Origin check matches the browser's URL.",
        "        proxy_set_header Host $http_host;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header X-Scheme $scheme;",
        "        proxy_set_header Upgrade $http_upgrade;",
        "        proxy_set_header Connection $jsw_connection_upgrade;",
        "        proxy_read_timeout 1d;  # idle kernels keep their WebSocket",
        "        proxy_send_timeout 1d;",
        "        proxy_buffering off;",
        "    }",
    ]
    if spec.base_url != "/":
        out += ["", f"    location = / {{ return 302 {spec.base_url}; }}"]
        out += [f"    location = {spec.base_url.rstrip('/')} {{ return 302 {spec.base_url}; }}"]
    out += ["}", ""]
    if spec.http_port:
        out += _http_server(spec)
    return "\n".join(out)


def nginx_argv(conf: str, *args: str) -> list[str]:
    """nginx with an explicit main config (tests, custom installs) or the distribution's default.

    `-e stderr`: errors go to our output, never to a log file we would not show.
    """
    base = ["nginx", "-e", "stderr"]
    return [*base, *(["-c", conf] if conf else []), *args]


def reload_argv(conf: str, systemd: bool) -> list[str]:
    if not conf and systemd:
        return ["systemctl", "reload-or-restart", "nginx"]  # starts it when it is not running
    return nginx_argv(conf, "-s", "reload")


def htpasswd_owner() -> tuple[int, int] | None:
    """root:www-data when that group exists, so nginx workers can read a 0640 file."""
    try:
        return 0, grp.getgrnam("www-data").gr_gid
    except KeyError:
        return None


class HtpasswdFile(WriteFile):
    """WriteFile whose preview never shows the bcrypt hash."""

    def preview(self) -> str:
        return _("write {path} (htpasswd: one user, bcrypt hash, mode {mode})\n").format(
            path=self.path, mode=f"{self.mode or 0o640:04o}"
        )


class NginxSite(Action):
    """Write the site (and htpasswd), `nginx -t`, reload; undo restores files and reloads.

    A failed test or reload puts the old files back before raising, so nginx never keeps
    running a half-written site.
    """

    def __init__(self, files: list[WriteFile], conf: str, systemd: bool) -> None:
        self.files = files
        self.conf = conf
        self.systemd = systemd
        self.kind, self.target = "file", str(files[0].path)
        self.description = _("nginx site {path} (test, then reload nginx)").format(
            path=files[0].path
        )
        self._done: list[WriteFile] = []

    def is_noop(self) -> bool:
        return all(f.is_noop() for f in self.files)

    def preview(self) -> str:
        parts = [f.preview() for f in self.files if not f.is_noop()]
        parts.append("$ " + shlex.join(nginx_argv(self.conf, "-t")) + "\n")
        parts.append("$ " + shlex.join(reload_argv(self.conf, self.systemd)) + "\n")
        return "".join(parts)

    def apply(self, ctx: ApplyContext) -> None:
        if shutil.which("nginx") is None:
            raise RuntimeError(_("nginx is not installed (apt install nginx-light)"))
        ctx.journal.record(NginxEffect(self.conf, self.systemd))  # a rollback reloads too
        for f in self.files:
            if not f.is_noop():
                f.apply(ctx)
                self._done.append(f)
        try:
            self._test_and_reload(ctx)
        except Exception:
            self._restore(ctx)
            try:
                self._test_and_reload(ctx)
            except Exception as exc:  # the old config may not have been loadable either
                ctx.log(
                    _("nginx could not be reloaded with the previous files: {error}").format(
                        error=exc
                    )
                )
            raise

    def undo(self, ctx: ApplyContext) -> None:
        if not self._done:  # nothing of ours is in place (apply restored it already)
            return
        self._restore(ctx)
        self._test_and_reload(ctx)

    def _restore(self, ctx: ApplyContext) -> None:
        for f in reversed(self._done):
            f.undo(ctx)
        self._done = []

    def _test_and_reload(self, ctx: ApplyContext) -> None:
        test_and_reload(self.conf, self.systemd, ctx)


def test_and_reload(conf: str, systemd: bool, ctx: ApplyContext) -> None:
    """`nginx -t`, then reload; raises with nginx's own words when either fails."""
    for argv in (nginx_argv(conf, "-t"), reload_argv(conf, systemd)):
        r = subprocess.run(
            argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        for line in (r.stdout + r.stderr).splitlines():
            ctx.log(line)
        if r.returncode != 0:
            raise RuntimeError(
                _("{items} failed ({returncode}): {strip}").format(
                    items=shlex.join(argv),
                    returncode=r.returncode,
                    strip=(r.stderr or r.stdout).strip(),
                )
            )


class ReloadNginx(Action):
    """rollback: after its site files are restored, nginx tests and reloads them (a restored
    file is otherwise not what nginx serves until something reloads it)."""

    def __init__(self, effect: NginxEffect, after: list[WriteFile]) -> None:
        self.conf, self.systemd, self.after = effect.conf, effect.systemd, after
        self.target = "nginx"
        self.description = _("test the restored nginx site, then reload nginx")

    def is_noop(self) -> bool:
        return all(a.is_noop() for a in self.after)

    def preview(self) -> str:
        return "".join("$ " + shlex.join(a) + "\n" for a in (
            nginx_argv(self.conf, "-t"), reload_argv(self.conf, self.systemd)))  # fmt: skip

    def apply(self, ctx: ApplyContext) -> None:
        test_and_reload(self.conf, self.systemd, ctx)

    # undo: the rollback's restores are undone by the WriteFiles; the apply's NginxSite reloads


def probe_site(spec: ProxySpec, *, jupyter_expected: bool) -> str | None:
    """Health of the proxy as seen from this machine: None when fine, else what is wrong.

    nginx must serve our site over TLS; with basic auth, Jupyter's API must ask for it (401);
    without, it must reach Jupyter (200) when Jupyter is expected to run.
    """
    host, port = spec.check_host, spec.https_port
    hh = f"{url_host(spec.public_host)}:{port}"
    try:
        r = request("https", host, port, HEALTH_PATH, host_header=hh)
    except OSError as exc:
        return _("nginx does not answer on https://{host}:{port}: {error}").format(
            host=url_host(host), port=port, error=exc
        )
    if r.status != 200 or r.body.strip() != "ok":
        return _("https://{host}:{port}{path} answered {status}, not our site").format(
            host=url_host(host), port=port, path=HEALTH_PATH, status=r.status
        )
    api = f"{spec.base_url}api"
    try:
        r = request("https", host, port, api, host_header=hh)
    except OSError as exc:
        return _("{api} through nginx: {error}").format(api=api, error=exc)
    if spec.htpasswd:
        if r.status == 401:
            return None
        return _("{api} answered {status} without credentials, not 401").format(
            api=api, status=r.status
        )
    if jupyter_expected and r.status != 200:
        return _("{api} through nginx answered {status} (Jupyter on 127.0.0.1:{port}?)").format(
            api=api, status=r.status, port=spec.jupyter_port
        )
    return None


def probe_basic_auth(spec: ProxySpec, user: str, password: str) -> int:
    """Status of Jupyter's API through the proxy with these basic-auth credentials."""
    hh = f"{url_host(spec.public_host)}:{spec.https_port}"
    return request(
        "https", spec.check_host, spec.https_port, f"{spec.base_url}api",
        host_header=hh, headers=basic_auth(user, password),
    ).status  # fmt: skip


def site_has_websocket_headers(text: str) -> list[str]:
    """Directives a WebSocket-capable proxy location needs that `text` lacks."""
    need = {
        "proxy_http_version 1.1": "proxy_http_version 1.1",
        "Upgrade $http_upgrade": "proxy_set_header Upgrade $http_upgrade",
        "proxy_set_header Connection": "proxy_set_header Connection upgrade (or a map of $http_upgrade)",
    }
    flat = " ".join(text.split())
    return [want for probe, want in need.items() if probe not in flat]
