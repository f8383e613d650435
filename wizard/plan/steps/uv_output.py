"""What uv's output says (`uv pip install`, not on a terminal: a summary line per phase): the
same PipProgress the pip installs fold into, and a failure explained, with whether pip is
worth a try (a resolution error or a missing wheel: yes; an index that does not answer: no,
pip would ask the same index)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from wizard.core.i18n import _
from wizard.plan.steps.installer import PackageSource, hide_password
from wizard.plan.steps.pip_output import (
    PipProgress,
    externally_managed_message,
    no_space_message,
    unreachable_message,
)

_PHASE_RE = re.compile(r"^(Resolved|Prepared|Installed|Uninstalled|Audited|Checked) (\d+) package")
_FETCH_RE = re.compile(r"Failed to fetch: `?(\S+?)`?$")
_NETWORK_SIGNS = (
    "error sending request",
    "tcp connect error",
    "dns error",
    "Connection refused",
    "operation timed out",
    "Request failed after",
    "failed to lookup address",
)


def uv_progress(state: PipProgress, line: str) -> PipProgress:
    """Fold one line of uv's output into the progress (pure: no I/O, never raises)."""
    line = line.strip()
    if m := _PHASE_RE.match(line):
        word, count = m.group(1), int(m.group(2))
        if word == "Resolved":  # next: downloading what it resolved
            return dataclasses.replace(state, tool="uv", phase="downloading", collected=count)
        if word == "Prepared":  # next: installing (uv links them in a blink)
            return dataclasses.replace(state, tool="uv", phase="installing", installing=count)
        if word in ("Installed", "Audited", "Checked"):
            done = count if word == "Installed" else state.installing
            return dataclasses.replace(state, tool="uv", phase="done", installing=done)
        return state
    if line.startswith(("error:", "×")):
        return dataclasses.replace(state, tool="uv", phase="failed")
    return state


@dataclass(frozen=True)
class UvFailure:
    message: str
    try_pip: bool  # worth one try with pip (it resolves and builds differently)


def explain_uv_failure(lines: list[str], source: PackageSource) -> UvFailure:
    text = "\n".join(lines)
    tail = "\n".join(line for line in lines[-6:] if line.strip())
    if any(sign in text for sign in _NETWORK_SIGNS):
        failed = [m.group(1) for line in lines if (m := _FETCH_RE.search(line.strip()))]
        # Name the configured index the failed request went to: the proof it was the one used.
        named = [u for u in source.indexes if any(f.startswith(u.rstrip("/")) for f in failed)]
        shown = [hide_password(u) for u in (named or source.indexes)]
        timed_out = "timed out" in text
        return UvFailure(
            unreachable_message(
                "uv", shown, tail, timed_out=timed_out, timeout=source.timeout("uv")
            ),
            try_pip=False,
        )
    if "EXTERNALLY-MANAGED" in text or "externally managed" in text:
        return UvFailure(externally_managed_message("uv"), try_pip=False)
    if "No space left on device" in text:
        return UvFailure(no_space_message("uv"), try_pip=False)
    return UvFailure(_("uv could not install it: {error}").format(error=tail), try_pip=True)
