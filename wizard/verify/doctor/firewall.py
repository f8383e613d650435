"""Firewall rules that block a TCP port: nftables (JSON), iptables/ip6tables (-S) and ufw (status).

Parsers are pure (a ruleset or dump in, Blocks out); `firewall_blocks()` reads this machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from wizard.core.i18n import _


@dataclass(frozen=True)
class Block:
    source: str  # nft | iptables | ip6tables | ufw
    rule: str
    fix: str


def _run(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        r = subprocess.run(
            argv, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def _port_in(right: Any, port: int) -> bool:
    if isinstance(right, int):
        return right == port
    if isinstance(right, dict):
        if "range" in right:
            lo, hi = right["range"]
            return isinstance(lo, int) and isinstance(hi, int) and lo <= port <= hi
        if "set" in right:
            return any(_port_in(x, port) for x in right["set"])
    if isinstance(right, list):
        return any(_port_in(x, port) for x in right)
    return False


def nft_blocks(ruleset: dict[str, Any], port: int) -> list[Block]:
    """Rules in `nft -j list ruleset` that drop/reject TCP to `port`, and dropping input policies."""
    items = ruleset.get("nftables", [])
    chains = {(c["family"], c["table"], c["name"]): c for i in items if (c := i.get("chain"))}
    blocks: list[Block] = []
    accepted: set[tuple[str, str, str]] = set()
    for item in items:
        rule = item.get("rule")
        if not rule:
            continue
        exprs = rule.get("expr", [])
        hits_port = False
        conds = []
        for e in exprs:
            m = e.get("match") if isinstance(e, dict) else None
            if not m:
                continue
            left = m.get("left", {})
            payload = left.get("payload", {}) if isinstance(left, dict) else {}
            if payload.get("field") == "dport" and payload.get("protocol") in ("tcp", "th", None):
                hits_port = m.get("op") in ("==", "in") and _port_in(m.get("right"), port)
                if not hits_port:
                    break
            else:
                conds.append(json.dumps(m, separators=(",", ":")))
        if not hits_port:
            continue
        key = (rule["family"], rule["table"], rule["chain"])
        verdict = next(
            (
                k
                for e in exprs
                if isinstance(e, dict)
                for k in ("drop", "reject", "accept")
                if k in e
            ),
            None,
        )
        if verdict == "accept":
            accepted.add(key)
        elif verdict in ("drop", "reject"):
            where = f"{rule['family']} {rule['table']} {rule['chain']}"
            only = (
                _(" (only when {conditions})").format(conditions=" and ".join(conds))
                if conds
                else ""
            )
            blocks.append(
                Block(
                    "nft",
                    f"table {where}: tcp dport {port} {verdict}{only}",
                    f"sudo nft delete rule {where} handle {rule.get('handle')}",
                )
            )
    for key, c in chains.items():
        if c.get("hook") == "input" and c.get("policy") == "drop" and key not in accepted:
            where = " ".join(key)
            blocks.append(
                Block(
                    "nft",
                    _(
                        "chain {chain} drops by default and has no accept rule for port {port}"
                    ).format(chain=where, port=port),
                    f"sudo nft insert rule {where} tcp dport {port} accept",
                )
            )
    return blocks


def iptables_blocks(dump: str, port: int, tool: str) -> list[Block]:
    """Rules in `iptables -S` output that drop/reject TCP to `port` (and a dropping INPUT policy)."""
    blocks = []
    accepted = False
    policy_drop = False
    for line in dump.splitlines():
        words = line.split()
        if words[:3] == ["-P", "INPUT", "DROP"]:
            policy_drop = True
        if not words or words[0] != "-A":
            continue
        ports: list[str] = []
        for flag in ("--dport", "--dports"):
            if flag in words and words.index(flag) + 1 < len(words):
                ports += words[words.index(flag) + 1].split(",")
        if not any(_in_spec(p, port) for p in ports):
            continue
        target = words[words.index("-j") + 1] if "-j" in words[:-1] else ""
        if target == "ACCEPT":
            accepted = True
        elif target in ("DROP", "REJECT"):
            blocks.append(Block(tool, line, f"sudo {tool} -D {' '.join(words[1:])}"))
    if policy_drop and not accepted:
        blocks.append(
            Block(
                tool,
                _("INPUT policy DROP without an ACCEPT for port {port}").format(port=port),
                f"sudo {tool} -I INPUT -p tcp --dport {port} -j ACCEPT",
            )
        )
    return blocks


def _in_spec(spec: str, port: int) -> bool:
    lo, _sep, hi = spec.partition(":")
    try:
        return int(lo) <= port <= int(hi or lo)
    except ValueError:
        return False


def ufw_blocks(status: str, port: int) -> list[Block]:
    if "Status: active" not in status:
        return []
    out = []
    for line in status.splitlines():
        words = line.split()
        if (
            words
            and words[0].split("/")[0] == str(port)
            and any(w in ("DENY", "REJECT") for w in words)
        ):
            out.append(Block("ufw", line.strip(), f"sudo ufw allow {port}/tcp"))
    return out


def firewall_blocks(port: int) -> tuple[list[Block], list[str]]:
    """(blocking rules found, the tools that could be read)."""
    blocks: list[Block] = []
    read: list[str] = []
    nft = _run(["nft", "-j", "list", "ruleset"])
    if nft is not None:
        read.append("nft")
        try:
            blocks += nft_blocks(json.loads(nft), port)
        except (ValueError, KeyError, TypeError):
            read.remove("nft")
    for tool in ("iptables", "ip6tables"):
        dump = _run([tool, "-S"])
        if dump is not None:
            read.append(tool)
            blocks += iptables_blocks(dump, port, tool)
    ufw = _run(["ufw", "status"])
    if ufw is not None:
        read.append("ufw")
        blocks += ufw_blocks(ufw, port)
    return blocks, read
