"""doctor's results as text (one line per check, its fix under a failure) and as JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence

from wizard.plan.access.base import AccessInfo, CheckResult


def render(results: Iterable[CheckResult]) -> str:
    out = []
    for r in results:
        mark = "-" if r.skipped else ("✓" if r.ok else "✗")
        out.append(f"{mark} {r.name}: {r.detail}")
        if not r.ok and r.fix:
            out.append(f"    fix: {r.fix}")
    return "\n".join(out) + "\n"


def report(method: str, info: AccessInfo, results: Sequence[CheckResult]) -> str:
    """The whole text report: the method, how to reach it, the checks and the verdict."""
    failed = [r for r in results if not r.ok]
    verdict = "All checks passed." if not failed else f"{len(failed)} check(s) failed."
    return f"Access method: {method}\n\n{info.render()}\nChecks:\n{render(results)}\n{verdict}"


def to_json(method: str, info: AccessInfo, results: Sequence[CheckResult]) -> str:
    """`doctor --json`: the public shape (ok, method, access, checks)."""
    return json.dumps({
        "ok": all(r.ok for r in results),
        "method": method,
        "access": dataclasses.asdict(info),
        "checks": [dataclasses.asdict(r) for r in results],
    }, indent=2)  # fmt: skip
