"""Re-read the configuration a snapshot is compared against, without running Jupyter.

The last apply's answers when there are some, else Jupyter's own config files (parsed, never
executed) in Jupyter's search order, else Jupyter's defaults. Also which legacy password keys
those files set. The path rules themselves are wizard.probe.jupyter_paths'.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.probe.jupyter_paths import config_dir, config_path, user_config_dir
from wizard.verify.status.model import Configured

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.jupyter_config import ConfigFile, Setting


def configured_from(answers: Answers | None) -> tuple[Configured, list[ConfigFile]]:
    """The configuration to compare against, and the Jupyter config files it was read from."""
    from wizard.probe.jupyter_config import scan_config_dirs

    if answers is not None:
        cfg = Configured(
            source="last apply",
            port=answers.network.port,
            ip=answers.network.ip,
            access_method=answers.access.method,
            service_manager=answers.service.manager,
            service_name=answers.service.name,
            service_user=answers.service.user,
        )
        python = answers.jupyter.python
        cfg.config_dir = answers.jupyter.config_dir or _user_config_dir(cfg)
    else:
        cfg, python = Configured(source="defaults"), ""
        cfg.config_dir = _user_config_dir(cfg)
    files = scan_config_dirs(config_path(cfg.config_dir, python))
    if answers is None:
        port = _effective(files, ("port",))
        ip = _effective(files, ("ip",))
        if port is not None and isinstance(port.value, int):
            cfg.port, cfg.source = port.value, "config files"
        if ip is not None and isinstance(ip.value, str):
            cfg.ip, cfg.source = ip.value, "config files"
    return cfg, files


def _user_config_dir(cfg: Configured) -> str:
    """The service user's config dir when root looks at a service, else this user's."""
    if cfg.service_manager != "none" and cfg.service_user and os.geteuid() == 0:
        theirs = user_config_dir(cfg.service_user)
        if theirs is not None:
            return str(theirs)
    return str(config_dir())


# Per dir, the file Jupyter loads last wins: lab over server over jupyter_config, .json over .py.
_FILE_RANK = {
    f"{stem}{ext}": i
    for i, (stem, ext) in enumerate(
        (s, e)
        for s in ("jupyter_lab_config", "jupyter_server_config", "jupyter_config")
        for e in (".json", ".py")
    )
}


def _effective(files: list[ConfigFile], traits: Iterable[str]) -> Setting | None:
    ordered = _ordered_by_dir(files)
    for trait in traits:
        for cls in ("ServerApp", "NotebookApp"):
            for cf in ordered:
                s = cf.get(cls, trait)
                if s is not None and s.literal:
                    return s
    return None


def _ordered_by_dir(files: list[ConfigFile]) -> list[ConfigFile]:
    # scan_config_dirs returns dirs in priority order; sort within each dir only.
    dir_rank: dict[Path, int] = {}
    for cf in files:
        dir_rank.setdefault(cf.path.parent, len(dir_rank))
    return sorted(
        (cf for cf in files if cf.path.name in _FILE_RANK),
        key=lambda cf: (dir_rank[cf.path.parent], _FILE_RANK[cf.path.name]),
    )


def legacy_password_settings(files: list[ConfigFile]) -> list[tuple[ConfigFile, Setting]]:
    """Legacy password keys Jupyter Server honours (they beat PasswordIdentityProvider)."""
    found = []
    for cf in _ordered_by_dir(files):
        for cls in ("ServerApp", "NotebookApp"):
            s = cf.get(cls, "password")
            if s is not None and (not s.literal or s.value):
                found.append((cf, s))
    return found
