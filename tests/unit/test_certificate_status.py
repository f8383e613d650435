"""The certificate status shows (as served, over TLS) and doctor's certificate check: days left,
the renewal timer. Real certificates made by openssl, served by a real TLS socket on loopback."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wizard.core.answers import Answers
from wizard.plan import access
from wizard.plan.access.base import CheckContext
from wizard.plan.access.shared import check_certificate
from wizard.probe.certificate import served_certificate
from wizard.probe.facts import Facts
from wizard.verify.status.collect import served_certificate_of
from wizard.verify.status.render import render_text, to_json
from wizard.verify.status.schema import CERTIFICATE, validate


def make_pair(d: Path, name: str, days: int) -> tuple[Path, Path]:
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
         "-subj", f"/CN={name}/O=Test CA {days}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on 127.0.0.1 serving a 10-day certificate for lab.test; the SNI names it
    was asked for are collected."""
    cert, key = make_pair(tmp_path / "srv", "lab.test", 10)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    asked: list[str] = []
    ctx.sni_callback = lambda _s, name, _c: asked.append(name or "")  # type: ignore[assignment,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                continue
            try:
                with ctx.wrap_socket(raw, server_side=True):
                    pass
            except OSError:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield listener.getsockname()[1], asked
    stop.set()
    t.join(2)
    listener.close()


def proxy(port: int) -> Answers:
    return Answers().replace("access", method="reverse-proxy", listen_ip="127.0.0.1",
                             https_port=port, server_name="lab.test", self_signed=True)  # fmt: skip


def test_status_reads_the_served_certificate(tls_server: tuple[int, list[str]]) -> None:
    port, asked = tls_server
    cert = served_certificate_of(proxy(port))
    assert cert is not None and cert.error is None
    assert cert.endpoint == f"127.0.0.1:{port}" and cert.names == ["lab.test"]
    assert "Test CA 10" in cert.issuer and cert.days_left is not None
    assert 9 < cert.days_left <= 10
    assert asked == ["lab.test"]  # asked for the server name by SNI, as a browser does
    assert validate(dataclasses.asdict(cert), CERTIFICATE) == []


def test_status_says_why_no_certificate_was_read() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    cert = served_certificate_of(proxy(port))
    assert cert is not None and cert.error is not None and "no TLS answer" in cert.error
    assert served_certificate_of(Answers()) is None  # an SSH tunnel serves no TLS
    direct_plain = Answers().replace("access", method="direct")
    assert served_certificate_of(direct_plain) is None
    assert isinstance(served_certificate("127.0.0.1", port), str)


def test_status_json_and_text_carry_the_certificate(tls_server: tuple[int, list[str]]) -> None:
    from wizard.verify.status.collect import take_snapshot

    port, _ = tls_server
    snap = take_snapshot(proxy(port), http=True, http_timeout=2.0)
    data = to_json(snap)
    assert validate(data) == []
    assert data["certificate"]["names"] == ["lab.test"]
    text = render_text(snap)
    assert f"Certificate served on 127.0.0.1:{port}:" in text
    assert "lab.test, issued by" in text and "days left" in text
    assert to_json(take_snapshot(proxy(port), http=False))["certificate"] is None
    # 10 days left: a finding, with the access step's fix (doctor's margin is 20 days)
    (finding,) = [f for f in data["findings"] if f["code"] == "certificate_expiring"]
    assert finding["severity"] == "warning" and finding["step"] == "access"
    assert "lab.test expires in 10 days" in finding["message"], finding
    assert finding["fix"] == "renew it now: re-apply with new files"


def test_only_a_certificate_near_its_end_is_a_finding() -> None:
    from wizard.verify.status.findings import certificate_findings
    from wizard.verify.status.model import ServedCertificate

    acme = Answers().replace("access", method="reverse-proxy", tls="acme")
    fine = ServedCertificate("127.0.0.1:443", names=["lab.test"], days_left=60.0)
    assert certificate_findings(fine, acme) == []
    assert certificate_findings(None, acme) == []
    unread = ServedCertificate("127.0.0.1:443", error="no TLS answer")
    assert certificate_findings(unread, acme) == []  # status shows why on its certificate line
    gone = dataclasses.replace(fine, days_left=-2.0)
    (f,) = certificate_findings(gone, acme)
    assert f.severity == "error" and "has expired" in f.message and "certbot renew" in f.fix


def ctx_for(answers: Answers, *, systemd: bool) -> CheckContext:
    facts = Facts(interpreter=None, config_dir="/nonexistent", systemd_running=systemd)
    return CheckContext(answers, facts, access.get(answers.access.method))


def test_doctor_fails_a_certificate_that_expires_within_20_days(tmp_path: Path) -> None:
    cert, key = make_pair(tmp_path / "a", "lab.test", 10)
    answers = Answers().replace("access", method="direct", certfile=str(cert), keyfile=str(key))
    r = check_certificate(ctx_for(answers, systemd=False))
    assert not r.ok and "days left" in r.detail and r.fix.startswith("renew it now")
    cert, key = make_pair(tmp_path / "b", "lab.test", 60)
    answers = answers.replace("access", certfile=str(cert), keyfile=str(key))
    r = check_certificate(ctx_for(answers, systemd=False))
    assert r.ok and "lab.test" in r.detail and "timer" not in r.detail  # own files: no timer


def test_doctor_on_acme_says_when_the_renewal_timer_cannot_be_checked(tmp_path: Path) -> None:
    answers = Answers().replace(
        "access", method="direct", tls="acme", acme_email="a@example.org",
        acme_domains=["lab.test"], acme_config_dir=str(tmp_path / "le"),
    )  # fmt: skip
    own = tmp_path / "le" / "jupyter-setup-wizard" / "jupyter"
    make_pair(own, "lab.test", 80)
    r = check_certificate(ctx_for(answers, systemd=False))
    assert r.ok and "certbot.timer): cannot check, no systemd here" in r.detail
    # With systemd: this machine has no certbot.timer running, so the check fails with the fix.
    r = check_certificate(ctx_for(answers, systemd=True))
    assert not r.ok and "certbot.timer is not active" in r.detail
    assert r.fix == "sudo systemctl enable --now certbot.timer"
