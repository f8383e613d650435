"""Access step: validation per method, URL classification, instructions (pure)."""

from __future__ import annotations

import socket

import pytest

from wizard.core.answers import Answers
from wizard.plan import access
from wizard.plan.access.direct import direct_urls
from wizard.probe.facts import Address, Facts
from wizard.probe.person import Person
from wizard.verify.doctor.firewall import iptables_blocks, nft_blocks, ufw_blocks


def facts(ssh: str | None = None, **kw: object) -> Facts:
    addrs = [
        Address("lo", "127.0.0.1", socket.AF_INET),
        Address("lo", "::1", socket.AF_INET6),
        Address("eth0", "192.168.1.5", socket.AF_INET),
        Address("eth1", "203.0.113.7", socket.AF_INET),
        Address("eth0", "2001:db8::5", socket.AF_INET6),
        Address("eth0", "fe80::1", socket.AF_INET6),
        Address("eth2", "169.254.3.4", socket.AF_INET),
    ]
    return Facts(None, "/nonexistent/cfg", addresses=addrs, ssh_connection=ssh, user="root", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("192.168.1.5", "private LAN"),
        ("10.1.2.3", "private LAN"),
        ("172.20.0.1", "private LAN"),
        ("100.100.1.1", "private LAN"),
        ("fd00::1", "private LAN"),
        ("203.0.113.7", "public"),
        ("8.8.8.8", "public"),
        ("169.254.3.4", "link-local"),
        ("fe80::1", "link-local"),
        ("2001:db8::5", "IPv6"),
        ("lab.example.org", "name"),
    ],
)
def test_classify(address: str, kind: str) -> None:
    assert access.classify(address)[0] == kind
    assert access.classify(address)[1]


def test_private_truth_says_not_from_the_internet() -> None:
    assert "not from the internet" in access.classify("192.168.1.5")[1]


def test_ssh_command_from_ssh_connection() -> None:
    alice = Person("alice", 1001, 1001, "/home/alice", via_sudo=True)
    f = facts("10.0.0.9 51234 192.168.1.5 2222", person=alice)
    info = access.instructions(Answers(), f)
    assert info.ssh_command == "ssh -N -L 8888:localhost:8888 -p 2222 -- alice@192.168.1.5"
    assert info.ssh_background.startswith("ssh -f -N -o ExitOnForwardFailure=yes -L 8888:")
    assert "    LocalForward 8888 localhost:8888" in info.ssh_config
    assert "    Port 2222" in info.ssh_config
    assert info.browser_url == "http://localhost:8888/lab"
    assert not info.warnings


def test_ssh_local_port_user_host_overrides_and_port_22_omitted() -> None:
    a = Answers().replace("access", local_port=9999, ssh_user="bob", ssh_host="jump.example")
    a = a.replace("network", base_url="/j/")
    info = access.instructions(a, facts("1.2.3.4 5 192.168.1.5 22"))
    assert info.ssh_command == "ssh -N -L 9999:localhost:8888 -- bob@jump.example"
    assert info.browser_url == "http://localhost:9999/j/lab"
    assert "Port" not in info.ssh_config


def test_ssh_without_session_warns() -> None:
    info = access.instructions(Answers(), facts())
    assert info.warnings and "not in an SSH session" in info.warnings[0]


def test_osc52_is_a_clipboard_escape() -> None:
    assert access.osc52("hi") == "\033]52;c;aGk=\a"


def test_ssh_tunnel_needs_loopback() -> None:
    a = Answers().replace("network", ip="0.0.0.0")
    assert [p.field for p in access.validate(a, facts())] == ["network.ip"]


def test_direct_urls_classified_and_ordered() -> None:
    a = Answers().replace("network", ip="all").replace("access", method="direct")
    assert access.validate(a, facts()) == []
    urls = direct_urls(a, facts())
    assert [u.kind for u in urls] == ["private LAN", "public", "IPv6", "link-local"]
    assert urls[2].url == "http://[2001:db8::5]:8888/"
    assert all(u.address != "fe80::1" for u in urls)  # needs a zone: not a usable URL


def test_direct_needs_binding_beyond_loopback_and_password() -> None:
    a = Answers().replace("access", method="direct")
    assert [p.field for p in access.validate(a, facts())] == ["network.ip"]
    a = a.replace("network", ip="192.168.1.5")
    assert access.validate(a, facts()) == []
    assert access.needs_password(a)  # build_plan refuses it without one
    assert not access.needs_password(Answers())


def test_direct_tls_files_must_exist_unless_self_signed(tmp_path: object) -> None:
    a = (
        Answers()
        .replace("network", ip="192.168.1.5")
        .replace("access", method="direct", certfile="/nope/c.pem", keyfile="/nope/k.pem")
    )
    fields = {p.field for p in access.validate(a, facts())}
    assert fields == {"access.certfile", "access.keyfile"}
    a = a.replace("access", certfile="", keyfile="", self_signed=True)
    assert access.validate(a, facts()) == []
    settings = access.jupyter_settings(a, facts())
    assert settings[("ServerApp", "certfile")].endswith("/tls/cert.pem")
    assert access.instructions(a, facts()).urls[0].url.startswith("https://")


def test_router_tunnel_needs_lan_binding() -> None:
    a = Answers().replace("access", method="router-tunnel", lan_ip="192.168.1.5")
    problems = access.validate(a, facts())
    assert [p.field for p in problems] == ["network.ip"]
    assert "192.168.1.5" in problems[0].message
    a = a.replace("network", ip="192.168.1.5")
    assert access.validate(a, facts()) == []
    info = access.instructions(a, facts())
    assert info.urls[0].url == "http://192.168.1.5:8888/"
    assert any("One person" in x for x in info.limits)
    assert any("trust the tunnel provider" in x for x in info.limits)


def test_router_tunnel_lan_ip_must_be_ours() -> None:
    a = (
        Answers()
        .replace("network", ip="0.0.0.0")
        .replace("access", method="router-tunnel", lan_ip="192.168.9.9")
    )
    assert [p.field for p in access.validate(a, facts())] == ["access.lan_ip"]


def test_reverse_proxy_keeps_jupyter_on_loopback() -> None:
    a = (
        Answers()
        .replace("network", ip="0.0.0.0")
        .replace("access", method="reverse-proxy", self_signed=True, nginx_site="/tmp/x.conf")
    )
    assert "network.ip" in {p.field for p in access.validate(a, facts())}
    s = access.jupyter_settings(a, facts())
    assert s[("ServerApp", "trust_xheaders")] is True
    assert s[("ServerApp", "allow_remote_access")] is True
    assert s[("ServerApp", "certfile")] == ""  # TLS is nginx's, not Jupyter's


def test_a_method_sets_only_what_its_answers_set() -> None:
    assert access.jupyter_settings(Answers(), facts()) == {}  # ssh-tunnel: no TLS, no proxy
    direct = Answers().replace("access", method="direct")
    assert access.jupyter_settings(direct, facts()) == {}  # no TLS answered: the author's stays
    tls = direct.replace("access", certfile="/c.pem", keyfile="/k.pem")
    assert access.jupyter_settings(tls, facts()) == {
        ("ServerApp", "certfile"): "/c.pem",
        ("ServerApp", "keyfile"): "/k.pem",
    }


def test_nft_rule_and_policy_detection() -> None:
    ruleset = {
        "nftables": [
            {"chain": {"family": "inet", "table": "f", "name": "input", "hook": "input", "policy": "accept"}},
            {"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 7, "expr": [
                {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}},
                {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                           "right": {"set": [22, {"range": [8000, 9000]}]}}},
                {"drop": None},
            ]}},
        ]
    }  # fmt: skip
    blocks = nft_blocks(ruleset, 8888)
    assert len(blocks) == 1 and "handle 7" in blocks[0].fix and "iifname" in blocks[0].rule
    assert nft_blocks(ruleset, 443) == []
    ruleset["nftables"][0]["chain"]["policy"] = "drop"
    assert any("drops by default" in b.rule for b in nft_blocks(ruleset, 443))


def test_iptables_and_ufw_detection() -> None:
    dump = "-P INPUT ACCEPT\n-A INPUT -p tcp -m tcp --dport 8888 -j DROP\n"
    assert iptables_blocks(dump, 8888, "iptables")[0].fix == (
        "sudo iptables -D INPUT -p tcp -m tcp --dport 8888 -j DROP"
    )
    assert iptables_blocks(dump, 8889, "iptables") == []
    assert iptables_blocks("-P INPUT DROP\n", 443, "iptables")
    status = "Status: active\n\nTo Action From\n8888/tcp DENY Anywhere\n"
    assert ufw_blocks(status, 8888)[0].fix == "sudo ufw allow 8888/tcp"
    assert ufw_blocks("Status: inactive\n", 8888) == []
