"""Which installer puts JupyterLab in place (`[install] installer`: uv when found, else pip),
and where it takes packages from: pip's configuration, carried over to uv explicitly (through
its environment, never argv: an index URL may hold a token), plus `[install] index_url`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import _
from wizard.probe.installers import PipConfig

INSTALLERS = ("auto", "uv", "pip")
UV_DEFAULT_TIMEOUT = 30  # seconds, uv's own (UV_HTTP_TIMEOUT)
PIP_DEFAULT_TIMEOUT = 15


def chosen_installer(answers: Answers, uv: str | None) -> str:
    """ "uv" or "pip": auto means uv when it is there."""
    wanted = answers.install.installer
    if wanted == "auto":
        return "uv" if uv else "pip"
    return wanted


def installer_problem(answers: Answers, uv: str | None) -> Problem | None:
    wanted = answers.install.installer
    if wanted not in INSTALLERS:
        return Problem(
            "install.installer", _("must be one of: {items}").format(items=", ".join(INSTALLERS))
        )
    if wanted == "uv" and not uv:
        return Problem(
            "install.installer",
            _(
                "uv was not found (on PATH or beside the wizard): install it with pip install 'jupyter-setup-wizard[fast]', or choose auto or pip"
            ),
        )
    return None


def hide_password(url: str) -> str:
    """The URL as shown to people and logs: its user part (a token, or user:password) is ***."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (
        "***@" + (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    )
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class PackageSource:
    """Where this install takes packages from: pip's configuration, the answers' index_url
    over its index-url (as PIP_INDEX_URL would be)."""

    config: PipConfig
    index_url: str = ""

    @property
    def index(self) -> str:
        """The main index ("" = the installer's default index)."""
        return self.index_url or self.config.index_url

    @property
    def indexes(self) -> list[str]:
        return [*([self.index] if self.index else []), *self.config.extra_index_urls]

    def timeout(self, installer: str) -> float:
        """The seconds an index is given to answer (pip's configured timeout carries to uv)."""
        default = UV_DEFAULT_TIMEOUT if installer == "uv" else PIP_DEFAULT_TIMEOUT
        given = self.config.timeout or (
            os.environ.get("UV_HTTP_TIMEOUT", "") if installer == "uv" else ""
        )
        try:
            return float(given) if given else default
        except ValueError:
            return default

    def describe(self) -> str:
        """One line for the Install step and the plan: which index, from where."""
        if self.config.no_index and not self.index_url:
            where = _("no index")
        elif self.index_url:
            where = f"{hide_password(self.index_url)} (install.index_url)"
        elif self.config.index_url:
            where = f"{hide_password(self.index)} ({self.config.sources.get('index-url', 'pip')})"
        else:
            where = _("the default index")
        extras = [hide_password(u) for u in self.config.extra_index_urls]
        parts = [where, *(f"+ {u}" for u in extras)]
        parts += [f"+ find-links {f}" for f in self.config.find_links]
        return ", ".join(parts)

    def pip_env(self) -> dict[str, str]:
        """What pip is told besides its own configuration (it reads that itself)."""
        return {"PIP_INDEX_URL": self.index_url} if self.index_url else {}

    def uv_env(self) -> dict[str, str]:
        """pip's configuration in uv's terms (uv reads none of pip's files)."""
        c = self.config
        # No UV_COMPILE_BYTECODE: the `jupyter-lab --version` check right after compiles what
        # a start imports, as the venv's owner; compiling all ~3,000 files doubles the install.
        env: dict[str, str] = {"UV_PYTHON_DOWNLOADS": "never"}  # the base Python, never another
        if self.index:
            env["UV_INDEX_URL"] = self.index
        if c.extra_index_urls:
            env["UV_EXTRA_INDEX_URL"] = " ".join(c.extra_index_urls)
            # pip takes the best version from all its indexes; uv, unless told, the first's.
            env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
        if c.find_links:
            env["UV_FIND_LINKS"] = ",".join(c.find_links)
        if c.trusted_hosts:
            env["UV_INSECURE_HOST"] = " ".join(c.trusted_hosts)
        if c.constraints:
            env["UV_CONSTRAINT"] = " ".join(c.constraints)
        if c.cert:
            env["SSL_CERT_FILE"] = c.cert
        if c.proxy:
            env["HTTPS_PROXY"] = env["HTTP_PROXY"] = c.proxy
        if c.timeout:
            env["UV_HTTP_TIMEOUT"] = c.timeout
        if c.retries:
            env["UV_HTTP_RETRIES"] = c.retries
        return env

    def uv_args(self) -> list[str]:
        """The one setting uv takes only as an option (no secret in it)."""
        return ["--no-index"] if self.config.no_index and not self.index_url else []


def venv_pip_conf(index_url: str) -> bytes:
    """A new venv's own pip.conf: later `pip install` in it uses the same index."""
    return f"# written by jupyter-setup-wizard (install.index_url)\n[global]\nindex-url = {index_url}\n".encode()
