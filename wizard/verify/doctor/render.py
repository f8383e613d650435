"""doctor's results as text (one line per check, its fix under a failure) and as JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence

from wizard.core.i18n import N_, _, ngettext
from wizard.plan.access.base import AccessInfo, CheckResult

# The common checks' names: English in the JSON, translated in the text.
NAMES = (
    N_("service"),
    N_("listening"),
    N_("port"),
    N_("host header"),
    N_("advertised URLs"),
    N_("kernels"),
    N_("firewall"),
)


def render(results: Iterable[CheckResult]) -> str:
    out = []
    for r in results:
        mark = "-" if r.skipped else ("✓" if r.ok else "✗")
        out.append(f"{mark} {_(r.name)}: {r.detail}")
        if not r.ok and r.fix:
            out.append(_("    fix: {fix}").format(fix=r.fix))
    return "\n".join(out) + "\n"


def report(method: str, info: AccessInfo, results: Sequence[CheckResult]) -> str:
    """The whole text report: the method, how to reach it, the checks and the verdict."""
    failed = [r for r in results if not r.ok]
    n = len(failed)
    verdict = (
        _("All checks passed.")
        if not failed
        else ngettext("{count} check(s) failed.", "{count} check(s) failed.", n).format(count=n)
    )
    return _("Access method: {method}\n\n{access}\nChecks:\n{checks}\n{verdict}").format(
        method=method, access=info.render(), checks=render(results), verdict=verdict
    )


def to_json(method: str, info: AccessInfo, results: Sequence[CheckResult]) -> str:
    """`doctor --json`: the public shape (ok, method, access, checks)."""
    return json.dumps({
        "ok": all(r.ok for r in results),
        "method": method,
        "access": dataclasses.asdict(info),
        "checks": [dataclasses.asdict(r) for r in results],
    }, indent=2)  # fmt: skip
