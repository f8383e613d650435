"""The person's choices: one dataclass, loaded from and saved to a TOML answers file.

A plaintext password never lives here: only its Jupyter hash (and even that is optional;
empty means "keep the current password").
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.core.errors import InputError, Problem
from wizard.core.i18n import N_, _

# The TOML and JSON modules load when a file is read or written, not with this module: the
# full-screen wizard's first screen needs the answers' classes, not their file format.


@dataclass
class JupyterAnswers:
    python: str = ""  # absolute path of the interpreter whose JupyterLab runs
    # "" = that interpreter's user config dir (JUPYTER_CONFIG_DIR or ~/.jupyter)
    config_dir: str = ""


@dataclass
class InstallAnswers:
    action: str = "keep"  # keep | install | upgrade | create-venv
    venv_path: str = ""
    version: str = ""  # optional pip version spec, e.g. ">=4.2"
    base_python: str = ""  # create-venv: the Python that makes the venv ("" = the wizard's own)
    installer: str = "auto"  # auto (uv when found, else pip) | uv | pip
    # "" = the index pip is configured with; a URL: used for this install (and a new venv's pip.conf)
    index_url: str = ""
    # "" = none; "zh_CN": JupyterLab's own language pack for that locale goes into JupyterLab's
    # environment, and the locale becomes JupyterLab's default (its settings' overrides.json)
    language_pack: str = ""


@dataclass
class KernelsAnswers:
    # interpreters offered as kernels to the service's JupyterLab (their kernelspecs are the
    # wizard's: one missing from the list next time is removed)
    environments: list[str] = field(default_factory=list)
    install_ipykernel: bool = False  # pip installs ipykernel into chosen environments lacking it
    remove: list[str] = field(default_factory=list)  # other kernelspecs to remove, by name


@dataclass
class NetworkAnswers:
    ip: str = "127.0.0.1"  # 127.0.0.1 | an address of this machine | 0.0.0.0 | :: | all
    port: int = 8888
    root_dir: str = ""  # "" = the home directory of the user running Jupyter
    base_url: str = "/"


@dataclass
class PasswordAnswers:
    hashed_password: str = ""  # Jupyter's format (argon2:...); "" = keep the current password


@dataclass
class ServiceAnswers:
    manager: str = "none"  # systemd-system | systemd-user | background | none
    name: str = "jupyterlab"  # unit name (NAME.service) / background pid and log file name
    user: str = ""  # who it runs as; "" = the invoking sudo user (or yourself)
    enable: bool = True  # start at boot (systemd managers)
    allow_root: bool = False  # the explicit acknowledgement needed for user = "root"


@dataclass
class AccessAnswers:
    method: str = "ssh-tunnel"  # ssh-tunnel | direct | router-tunnel | reverse-proxy
    # ssh-tunnel: what the command for the person's own computer says ("" / 0 = detected)
    local_port: int = 0  # port on the person's computer; 0 = the same as Jupyter's
    ssh_user: str = ""  # "" = the SSH login user (SUDO_USER or the current user)
    ssh_host: str = ""  # "" = the server address of the current SSH session (SSH_CONNECTION)
    ssh_port: int = 0  # 0 = from SSH_CONNECTION, else 22
    # router-tunnel: the LAN address the router's tunnel/port mapping points at ("" = network.ip)
    lan_ip: str = ""
    # TLS: Jupyter's own (direct) or nginx's (reverse-proxy); self_signed makes the pair if missing
    certfile: str = ""
    keyfile: str = ""
    self_signed: bool = False
    # "" = as certfile/keyfile/self_signed say; "self-signed" | "files" | "acme" (certbot)
    tls: str = ""
    acme_email: str = ""  # the CA account's contact (expiry warnings)
    acme_domains: list[str] = field(default_factory=list)  # [] = [server_name]
    acme_server: str = ""  # ACME directory URL; "" = Let's Encrypt's production one
    acme_config_dir: str = ""  # certbot's --config-dir; "" = /etc/letsencrypt
    http_port: int = 80  # where the ACME HTTP-01 challenge is answered (and redirected to HTTPS)
    install_certbot: bool = False  # consent: apt-get install certbot when it is missing
    # reverse-proxy (nginx from the distribution)
    server_name: str = ""  # DNS name or address people type; "" = any (_)
    https_port: int = 443
    listen_ip: str = ""  # address nginx listens on; "" = all
    basic_auth_user: str = ""  # "" = no basic auth; its password comes like Jupyter's, never here
    htpasswd_file: str = ""  # "" = /etc/nginx/jupyter-setup-wizard.htpasswd
    nginx_site: str = ""  # "" = /etc/nginx/conf.d/jupyter-setup-wizard.conf
    nginx_conf: str = ""  # main nginx.conf to test/reload with; "" = nginx's own default


@dataclass
class Answers:
    jupyter: JupyterAnswers = field(default_factory=JupyterAnswers)
    install: InstallAnswers = field(default_factory=InstallAnswers)
    kernels: KernelsAnswers = field(default_factory=KernelsAnswers)
    network: NetworkAnswers = field(default_factory=NetworkAnswers)
    password: PasswordAnswers = field(default_factory=PasswordAnswers)
    service: ServiceAnswers = field(default_factory=ServiceAnswers)
    access: AccessAnswers = field(default_factory=AccessAnswers)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def fields(self) -> Iterator[tuple[str, Any]]:
        """Every answer as ("section.key", value), in the file's order."""
        for section in dataclasses.fields(self):
            values = getattr(self, section.name)
            for f in dataclasses.fields(values):
                yield f"{section.name}.{f.name}", getattr(values, f.name)

    def replace(self, section: str, **changes: Any) -> Answers:
        """A copy with some fields of one section changed (answers are treated as values)."""
        new_section = dataclasses.replace(getattr(self, section), **changes)
        return dataclasses.replace(self, **{section: new_section})


_SECTIONS: dict[str, Any] = {f.name: f.default_factory for f in dataclasses.fields(Answers)}
_TYPE_NAMES = {
    str: N_("a string"),
    int: N_("an integer"),
    bool: N_("true or false"),
    list: N_("a list of strings"),
}


def _field_type(f: dataclasses.Field[Any]) -> type:
    if f.default_factory is not dataclasses.MISSING:
        return type(f.default_factory())
    return type(f.default)


def answers_from_dict(data: dict[str, Any]) -> Answers:
    """Build Answers from parsed TOML; unknown sections/keys and wrong types are errors."""
    problems: list[Problem] = []
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            problems.append(Problem(name, _("must be a table ([{name}])").format(name=name)))
            continue
        known = {sf.name: sf for sf in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                problems.append(
                    Problem(
                        f"{name}.{key}",
                        _("unknown key (known: {keys})").format(keys=", ".join(known)),
                    )
                )
                continue
            want = _field_type(known[key])
            if type(value) is not want or (
                isinstance(value, list) and not all(isinstance(x, str) for x in value)
            ):
                problems.append(
                    Problem(
                        f"{name}.{key}",
                        _("must be {kind}, not {value!r}").format(
                            kind=_(_TYPE_NAMES[want]), value=value
                        ),
                    )
                )
                continue
            kwargs[key] = value
        sections[name] = cls(**kwargs)
    for name in data:
        if name not in sections and not any(p.field == name for p in problems):
            problems.append(Problem(name, _("unknown section")))
    if problems:
        raise InputError(problems)
    return Answers(**sections)


def load_answers(path: Path) -> Answers:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            _("cannot read answers file {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from exc
    return parse_answers(raw, str(path))


def parse_answers(raw: bytes, source: str) -> Answers:
    """TOML; JSON when `source` ends in .json (what tools such as the Ansible module write:
    the same tables, and the same checks of every value)."""
    if source.endswith(".json"):
        return answers_from_dict(_json_tables(raw, source))
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            _("answers file {source} is not valid TOML: {error}").format(source=source, error=exc)
        ) from exc
    return answers_from_dict(data)


def _json_tables(raw: bytes, source: str) -> dict[str, Any]:
    """A JSON answers file held to what TOML itself allows: no key twice, no NaN or Infinity,
    no lone surrogate (JSON's \\ud800 is not a character a file could hold)."""
    import json

    def no_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(_("{key!r} is given twice").format(key=key))
            seen[key] = value
        return seen

    def no_constant(name: str) -> Any:
        raise ValueError(_("{name} is not an answer").format(name=name))

    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=no_twice,
                          parse_constant=no_constant)  # fmt: skip
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone surrogate fails here
    except (UnicodeError, ValueError) as exc:
        raise InputError(
            _("answers file {source} is not valid JSON: {error}").format(source=source, error=exc)
        ) from exc
    if not isinstance(data, dict):
        raise InputError(
            _("answers file {source}: a JSON object of tables, not {value}").format(
                source=source, value=f"{data!r:.40}"
            )
        )
    return data


def dump_answers(answers: Answers) -> str:
    import tomli_w

    header = "# jupyter-setup-wizard answers (apply with: jupyter-setup-wizard apply FILE)\n"
    return header + tomli_w.dumps(answers.to_dict())


def save_answers(answers: Answers, path: Path, *, mode: int = 0o600) -> None:
    """Atomic; 0600 unless told otherwise: the file may hold a password hash."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dump_answers(answers))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
