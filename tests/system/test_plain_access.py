"""`--plain` access fields in a real pty: per-method prompts, the core's validators, secrets.

Driven with keys the way a person types; results checked on disk. No address other than loopback
is ever contacted: the router-tunnel run only writes Jupyter's config (no service, no probe).
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pexpect
import psutil
import pytest

from tests.support.ports import free_port
from tests.system.test_tui_terminal import PASSWORD, PYTHON, REPO, _wizard_env
from wizard.core.answers import Answers, save_answers

pytestmark = pytest.mark.system

DOWN, BACKSPACE, ENTER = "\x1b[B", "\x7f", "\r"
PROXY_PASSWORD = "Quiet-Harbor-Lantern-42"
STATE = Path("state") / "jupyter-setup-wizard"


NETWORK = ("Listen address", "Port", "Root directory", "Base URL")


class Person:
    """Sends keys to the wizard and counts them (a typed secret counts only its Enter).
    `locale`: the locale variables of the person's terminal (LC_ALL is then unset)."""

    def __init__(self, tmp_path: Path, locale: dict[str, str] | None = None) -> None:
        (tmp_path / "home").mkdir(exist_ok=True)
        env = {**os.environ, **_wizard_env(tmp_path), "PROMPT_TOOLKIT_NO_CPR": "1"}
        if locale:
            env.pop("LC_ALL", None)
            env.update(locale)
        self.child = pexpect.spawn(
            PYTHON,
            ["-m", "wizard", "--plain"],
            env=env,
            cwd=str(REPO),
            encoding="utf-8",
            timeout=30,
            dimensions=(30, 120),
        )
        self.keystrokes = 0
        self.seen = ""  # everything the wizard printed

    def expect(self, pattern: str) -> None:
        self.child.expect(pattern)
        self.seen += (self.child.before or "") + str(self.child.after)

    def expect_message(self, text: str) -> None:
        """An inline validation message, the first in its prompt.

        prompt_toolkit redraws only what changed: spaces may come as cursor moves, and a second
        message in the same prompt keeps the first's matching characters (not matchable).
        """
        self.expect(r"(?:\s|\x1b\[\d*C)+".join(re.escape(w) for w in text.split()))

    def key(self, seq: str, times: int = 1) -> None:
        self.child.send(seq * times)
        self.keystrokes += times

    def type(self, text: str) -> None:
        """Clear the prefilled value, type `text`, press Enter."""
        self.child.send(BACKSPACE * 40 + text + ENTER)
        self.keystrokes += 40 + len(text) + 1

    def secret(self, text: str) -> None:
        self.child.send(text + ENTER)
        self.keystrokes += 1

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.seen += self.child.before or ""
        self.child.close()
        return int(self.child.exitstatus or 0)

    def close(self) -> None:
        if self.child.isalive():  # a failed expectation: do not wait, and keep its error
            self.child.close(force=True)

    def language_pack(self) -> None:
        """Install's last question, JupyterLab's Chinese language pack: the default (no)."""
        self.expect("Chinese language pack")
        self.key(ENTER)

    def kernels(self) -> None:
        """The Kernels step as it is offered: no environment added (so nothing to install)."""
        self.expect("Offer these as kernels")
        self.key(ENTER)

    def password(
        self, new: str = "New Jupyter password", again: str = "same password again"
    ) -> None:
        self.expect(new)
        self.secret(PASSWORD)
        self.expect(again)
        self.secret(PASSWORD)

    def defaults(self, *prompts: str) -> None:
        """Enter at each prompt: what it offers."""
        for prompt in prompts:
            self.expect(prompt)
            self.key(ENTER)

    def reach(self, downs: int) -> None:
        """The access method, `downs` below the first (ssh-tunnel, direct, router-tunnel, proxy)."""
        self.expect("Reach JupyterLab")
        if downs:
            self.key(DOWN, downs)
        self.key(ENTER)

    def reverse_proxy_for(self, server_name: str) -> None:
        """The defaults up to Access, then the reverse proxy for `server_name`."""
        self.defaults(*NETWORK, "Keep JupyterLab running")
        self.reach(3)
        self.expect(r"Server name \(empty: any name\)")
        self.type(server_name)

    def install_and_password(self, jlab: str) -> None:
        self.expect("Python environment for JupyterLab")
        self.key("\x1b[A")  # up from the first entry wraps to "Another interpreter"
        self.expect("Another interpreter")
        self.key(ENTER)
        self.expect("Interpreter path")
        self.type(jlab)
        self.expect("What to do")
        self.key(ENTER)
        self.language_pack()
        self.kernels()
        self.password()


def _own_address() -> str:
    """An IPv4 address this machine has (never contacted): the first non-loopback, else 127.0.0.1."""
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return str(a.address)
    return "127.0.0.1"


def _not_mine() -> str:
    mine = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs}
    for candidate in ("10.254.253.252", "10.254.253.251", "172.31.254.253"):
        if candidate not in mine:
            return candidate
    raise AssertionError("every candidate address is on this machine")


def _files_holding(root: Path, text: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if text.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                pass
    return found


def test_plain_default_ssh_tunnel_is_a_few_keys(tmp_path: Path, jlab: str) -> None:
    """The default path (current setup's interpreter, detected tunnel values): Enters and 'y'."""
    port = free_port()
    (tmp_path / STATE).mkdir(parents=True)
    previous = Answers().replace("jupyter", python=jlab).replace("network", port=port)
    save_answers(previous, tmp_path / STATE / "current-answers.toml")
    p = Person(tmp_path)
    try:
        p.expect("Python environment for JupyterLab")
        p.key(ENTER)  # the current setup's interpreter
        p.expect("What to do")
        p.key(ENTER)
        p.language_pack()
        p.kernels()
        p.password()
        p.defaults(*NETWORK, "Keep JupyterLab running")
        p.reach(0)
        p.expect(rf"Local port \(empty: {port}, Jupyter's own\)")
        p.key(ENTER)
        p.expect(r"SSH user \(empty: \S+\)")
        p.key(ENTER)
        p.expect(r"SSH host \(empty: \S+\)")
        p.key(ENTER)
        p.expect(r"SSH port \(empty: 22\)")  # no SSH_CONNECTION here: the default port
        p.key(ENTER)
        p.expect("On your computer you will run:  ssh -N -L")
        p.expect(r"Apply (\d+) change")
        p.key("y")
        p.expect("Applied")
        p.expect("On your own computer, run:")  # access.instructions(...).render()
        p.expect(f"ssh -N -L {port}:localhost:{port}")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    assert PASSWORD not in p.seen
    print(f"default --plain setup: {p.keystrokes} keystrokes besides the password")
    assert p.keystrokes <= 25
    cfg = json.loads((tmp_path / "jupyter-config" / "jupyter_server_config.json").read_text())
    assert cfg["ServerApp"]["port"] == port and cfg["ServerApp"]["ip"] == "127.0.0.1"


def test_plain_router_tunnel_refuses_a_foreign_lan_address(tmp_path: Path, jlab: str) -> None:
    mine, foreign = _own_address(), _not_mine()
    port = free_port()
    p = Person(tmp_path)
    try:
        p.install_and_password(jlab)
        p.expect("Listen address")
        p.type(mine)  # the router must reach Jupyter on the LAN address
        p.expect("Port")
        p.type(str(port))
        p.defaults("Root directory", "Base URL", "Keep JupyterLab running")
        p.reach(2)
        p.expect("LAN address the router points at")
        p.type(foreign)
        p.expect_message(f"{foreign} is not an address of this machine")
        p.type(mine)  # the same prompt, still waiting
        p.expect(r"Apply (\d+) change")
        p.key("y")
        p.expect("Applied")
        p.expect("Point the router's tunnel")
        p.expect(f"http://{mine}:{port}/")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    cfg = json.loads((tmp_path / "jupyter-config" / "jupyter_server_config.json").read_text())
    assert cfg["ServerApp"]["ip"] == mine and cfg["ServerApp"]["port"] == port
    current = (tmp_path / STATE / "current-answers.toml").read_text()
    assert 'method = "router-tunnel"' in current and f'lan_ip = "{mine}"' in current
    assert not _files_holding(tmp_path, PASSWORD)


def test_plain_reverse_proxy_basic_auth_password_twice(tmp_path: Path, jlab: str) -> None:
    from wizard.plan.access.nginx import DEFAULT_HTPASSWD, DEFAULT_SITE

    watched = [DEFAULT_SITE, DEFAULT_HTPASSWD]
    before = {f: f.read_bytes() if f.exists() else None for f in watched}
    https_port = free_port()
    p = Person(tmp_path)
    try:
        p.install_and_password(jlab)
        p.reverse_proxy_for("lab.example.test")
        p.expect("HTTPS port")
        p.type("http")  # the same inline refusal as the access screen's
        p.expect_message("'http' is not a number")
        p.type(str(https_port))
        p.expect("nginx listen address")
        p.key(ENTER)
        p.expect("TLS")
        p.key(ENTER)  # self-signed, the proxy's default
        p.expect("Basic-auth user")
        p.type("a:b")
        p.expect_message("must not contain ':'")
        p.type("alice")
        p.expect("Basic-auth password for alice")
        p.secret(PROXY_PASSWORD)
        p.expect("same password again")
        p.secret(PROXY_PASSWORD + "x")
        p.expect_message("the two entries differ")
        p.expect("Basic-auth password for alice")
        p.secret(PROXY_PASSWORD)
        p.expect("same password again")
        p.secret(PROXY_PASSWORD)
        p.expect("Review")
        p.expect("basic auth")  # the plan writes the htpasswd file
        p.expect(r"Apply (\d+) change")
        p.key("n")
        p.expect("Nothing changed")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    assert PROXY_PASSWORD not in p.seen and PASSWORD not in p.seen
    assert {f: f.read_bytes() if f.exists() else None for f in watched} == before
    assert not (tmp_path / "jupyter-config" / "jupyter_server_config.json").exists()
    assert not (tmp_path / STATE / "current-answers.toml").exists()
    assert not _files_holding(tmp_path, PROXY_PASSWORD)
    assert not _files_holding(Path("/etc/nginx"), PROXY_PASSWORD)


def test_plain_direct_with_own_certificate_files(tmp_path: Path, jlab: str) -> None:
    from tests.support.nginx import self_signed_cert

    cert, key = self_signed_cert(tmp_path / "tls")
    mine, port = _own_address(), free_port()
    p = Person(tmp_path)
    try:
        p.install_and_password(jlab)
        p.expect("Listen address")
        p.type(mine)  # direct needs a binding beyond loopback
        p.expect("Port")
        p.type(str(port))
        p.defaults("Root directory", "Base URL", "Keep JupyterLab running")
        p.reach(1)
        p.expect("TLS")
        p.key(DOWN, 2)  # none, self-signed, my files
        p.key(ENTER)
        p.expect("TLS certificate file")
        p.key(ENTER)  # empty would quietly mean no TLS: refused
        p.expect_message("missing: give an existing file")
        p.type(str(cert))
        p.expect("TLS key file")
        p.type("key.pem")  # the core's check
        p.expect_message("'key.pem' must be an absolute path")
        p.type(str(key))
        p.expect(r"Apply (\d+) change")
        p.key("y")
        p.expect("Applied")
        p.expect(f"https://{mine}:{port}/")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    cfg = json.loads((tmp_path / "jupyter-config" / "jupyter_server_config.json").read_text())
    assert cfg["ServerApp"]["certfile"] == str(cert) and cfg["ServerApp"]["keyfile"] == str(key)
    assert cfg["ServerApp"]["ip"] == mine


def test_plain_reverse_proxy_acme_fields_by_the_answers_grammar(tmp_path: Path, jlab: str) -> None:
    """ACME chosen line by line: the port-80 and rate-limit help, each field refused by the
    answers' grammar until right, the names defaulting to the server name; Review shows the
    certbot command for them. Answered "no": nothing changes (no CA is ever asked)."""
    import shutil

    from wizard.plan.access.nginx import DEFAULT_SITE

    lineage = Path("/etc/letsencrypt/live/jupyter-setup-wizard")
    before = (DEFAULT_SITE.read_bytes() if DEFAULT_SITE.exists() else None, lineage.exists())
    p = Person(tmp_path)
    try:
        p.install_and_password(jlab)
        p.reverse_proxy_for("lab.example.test")
        p.expect("HTTPS port")
        p.key(ENTER)
        p.expect("nginx listen address")
        p.key(ENTER)
        p.expect("TLS certificate")
        p.key(DOWN, 2)  # self-signed, my files, ACME
        p.key(ENTER)
        p.expect_message("Port 80 must reach this machine from the internet")
        p.expect_message("refuses a name after 5 failures an hour")
        p.expect("E-mail for the CA")
        p.type("alice at example")
        p.expect_message("is not an e-mail address")
        p.type("alice@example.org")
        p.expect(
            r"DNS names for the certificate, comma-separated \(empty: the server name, lab.example.test\)"
        )
        p.type("lab.example.test, 10.0.0.1")
        p.expect_message("'10.0.0.1' is not a DNS name")
        p.type("")  # the server name
        p.expect(
            r"ACME directory URL \(staging, or an internal CA\) \(empty: Let's Encrypt's production CA\)"
        )
        p.type("ftp://ca.example.test/dir")
        p.expect_message("is not an http(s) URL")
        p.type("https://ca.example.test/dir")
        if shutil.which("certbot") is None:
            p.expect("certbot is not installed")
            p.key("n")
        p.expect("Basic-auth user")
        p.key(ENTER)
        p.expect("Review")
        p.expect("certbot certonly")
        p.expect(r"--server https://ca.example.test/dir")
        p.expect(r"-d lab.example.test")
        p.expect(r"Apply (\d+) change")
        p.key("n")
        p.expect("Nothing changed")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    assert (
        DEFAULT_SITE.read_bytes() if DEFAULT_SITE.exists() else None,
        lineage.exists(),
    ) == before
    assert not (tmp_path / STATE / "current-answers.toml").exists()
