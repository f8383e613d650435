"""What pip's output says: a clear message for the ways pip commonly fails, and where an install
is (PipProgress, folded from its lines, pure) for a progress line and bar."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wizard.core.i18n import _

_NETWORK_SIGNS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Connection refused",
    "Temporary failure in name resolution",
    "Name or service not known",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "Network is unreachable",
)


def _indexes(lines: list[str]) -> list[str]:
    """The index URLs pip said it looks in (its own view of pip.conf and PIP_INDEX_URL)."""
    for line in lines:
        if line.startswith("Looking in indexes:"):
            return [u.strip() for u in line.split(":", 1)[1].split(",") if u.strip()]
    return [os.environ["PIP_INDEX_URL"]] if os.environ.get("PIP_INDEX_URL") else []


def index_reachable(url: str, timeout: float = 3.0) -> bool:
    """Can a connection to this index be opened at all? (file:// indexes: does the dir exist)"""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(parts.path).exists()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return True  # not ours to judge
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def unreachable_message(
    tool: str, indexes: list[str], tail: str, *, timed_out: bool, timeout: float | None
) -> str:
    """The one message for an index that cannot be reached, whichever installer tried."""
    where = (
        _("the package index {urls}").format(urls=", ".join(indexes))
        if indexes
        else _("the package index")
    )
    if timed_out and timeout:
        what = _("{index} did not answer within {timeout:g} s").format(index=where, timeout=timeout)
    else:
        what = _("{index} could not be reached").format(index=where)
    return _(
        "{what}, so nothing was installed. "
        "Check the network, a proxy (HTTPS_PROXY) or pip's index setting (PIP_INDEX_URL, "
        "pip.conf, install.index_url), then try again.\n{tool} said: {tail}"
    ).format(what=what, tool=tool, tail=tail)


def externally_managed_message(tool: str) -> str:
    return _(
        "{tool} refused: this Python is externally managed by the system (PEP 668). "
        "Choose install.action = create-venv to install into a dedicated venv."
    ).format(tool=tool)


def no_space_message(tool: str) -> str:
    return _(
        "{tool} ran out of disk space; free some space (or choose another place) and try again."
    ).format(tool=tool)


_TIMEOUT_SIGNS = ("ReadTimeoutError", "ConnectTimeoutError", "timed out")


def explain_pip_failure(lines: list[str], timeout: float | None = None) -> str | None:
    """A clear message, with the way forward, for the ways pip commonly fails."""
    text = "\n".join(lines)
    tail = "\n".join(line for line in lines[-4:] if line.strip())
    if "externally-managed-environment" in text:
        return externally_managed_message("pip")
    if "No space left on device" in text:
        return no_space_message("pip")
    unreachable: list[str] = []
    if "(from versions: none)" in text and not any(
        os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
    ):
        # With retries off pip does not say why it found nothing: look ourselves.
        unreachable = [u for u in _indexes(lines) if not index_reachable(u)]
    timed_out = any(sign in text for sign in _TIMEOUT_SIGNS)
    if unreachable or timed_out or any(sign in text for sign in _NETWORK_SIGNS):
        if timed_out and not unreachable:
            unreachable = _indexes(lines)
        return unreachable_message("pip", unreachable, tail, timed_out=timed_out, timeout=timeout)
    if "No matching distribution found" in text or "Could not find a version" in text:
        return _(
            "pip found no JupyterLab matching the version spec (check install.version) "
            "in its package index.\npip said: {tail}"
        ).format(tail=tail)
    return None


@dataclass(frozen=True)
class PipProgress:
    """Where a pip install is, from its output so far: enough for a progress line and bar."""

    phase: str = "starting"  # starting | collecting | downloading | installing | done | failed
    tool: str = "pip"  # the installer whose output this is: pip or uv
    collected: int = 0  # packages resolved so far
    downloaded: int = 0  # files downloaded so far
    installing: int = 0  # packages in "Installing collected packages" (known from then on)
    current: str = ""  # the package the last line was about

    @property
    def fraction(self) -> float | None:
        """0..1 once there is a total to measure against; None while pip is still resolving."""
        if self.phase == "done":
            return 1.0
        if self.phase == "installing":
            return 0.9
        return None

    def label(self) -> str:
        if self.phase == "collecting":
            return _("Resolving: {n} packages so far ({current})").format(
                n=self.collected, current=self.current
            )
        if self.phase == "downloading" and not self.current:  # uv: the resolved set at once
            return _("Downloading {n} packages").format(n=self.collected)
        if self.phase == "downloading":
            return _("Downloading {current} ({n} files so far)").format(
                current=self.current, n=self.downloaded
            )
        if self.phase == "installing":
            return _("Installing {n} packages").format(n=self.installing)
        if self.phase == "done":
            return _("Installed {n} packages").format(n=self.installing or self.collected)
        if self.phase == "failed":
            return _("{tool} failed").format(tool=self.tool)
        return _("Starting {tool}").format(tool=self.tool)


_COLLECT_RE = re.compile(r"^(?:Collecting|Processing) (\S+)")
_DOWNLOAD_RE = re.compile(r"^\s*(?:Downloading|Using cached) (\S+)")
_INSTALLING_RE = re.compile(r"^Installing collected packages: (.*)$")


def pip_progress(state: PipProgress, line: str) -> PipProgress:
    """Fold one line of pip's output into the progress (pure: no I/O, never raises)."""
    line = line.rstrip()
    if m := _COLLECT_RE.match(line):
        # "Collecting tornado>=6" or "Processing /path/tornado-6.4-cp38-abi3-linux.whl"
        name = m.group(1).rsplit("/", 1)[-1]
        name = re.split(r"[<>=!~\[;]", name, maxsplit=1)[0]
        if name.endswith((".whl", ".tar.gz", ".zip")):
            name = name.split("-", 1)[0]
        return dataclasses.replace(
            state, phase="collecting", collected=state.collected + 1, current=name
        )
    if m := _DOWNLOAD_RE.match(line):
        name = m.group(1).rsplit("/", 1)[-1]
        return dataclasses.replace(
            state, phase="downloading", downloaded=state.downloaded + 1, current=name
        )
    if m := _INSTALLING_RE.match(line):
        names = [n for n in m.group(1).split(", ") if n]
        return dataclasses.replace(state, phase="installing", installing=len(names), current="")
    if line.startswith("Successfully installed") or (
        line.startswith("Requirement already satisfied") and state.phase == "starting"
    ):
        return dataclasses.replace(state, phase="done", current="")
    if line.startswith("ERROR:"):
        return dataclasses.replace(state, phase="failed")
    return state
