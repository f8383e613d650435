"""Turn the network and password answers into edits of Jupyter's config files.

The wizard's file (<config_dir>/jupyter_server_config.json, 0600) becomes the one place these
settings live. Any other file that would override it, or that holds a legacy key Jupyter still
honours (ServerApp.password beats the modern key!), gets that setting disabled, with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.core.errors import InputError, Problem
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps.password import MODERN_KEY
from wizard.probe.facts import Facts
from wizard.probe.jupyter_config import (
    OURS,
    ConfigFile,
    Setting,
    TraitKey,
    json_with_changes,
    py_with_lines_disabled,
    render_json,
)

# Traits the wizard owns, under every class name they have had.
_SERVER_TRAITS = {
    "ip",
    "port",
    "port_retries",
    "open_browser",
    "allow_remote_access",
    "root_dir",
    "notebook_dir",
    "base_url",
    "password",
    "token",
    "certfile",
    "keyfile",
    "trust_xheaders",
}
# Keys that win over the modern ones or have moved: disabled wherever Jupyter Server reads them.
LEGACY: dict[TraitKey, str] = {
    (
        "ServerApp",
        "password",
    ): "legacy password key; it overrides PasswordIdentityProvider.hashed_password",
    ("ServerApp", "token"): "legacy token key; moved to IdentityProvider.token",
    ("ServerApp", "notebook_dir"): "deprecated; the wizard writes ServerApp.root_dir",
}


def _managed(key: TraitKey) -> bool:
    cls, trait = key
    if cls in ("ServerApp", "NotebookApp"):
        return trait in _SERVER_TRAITS
    return key in (MODERN_KEY, ("IdentityProvider", "hashed_password"))


def _why(s: Setting) -> str:
    if s.key in LEGACY:
        return LEGACY[s.key]
    if s.key[0] == "NotebookApp":
        return "NotebookApp.* has moved to ServerApp.*"
    return f"now set in {OURS}"


def plan_jupyter_config(
    plan: Plan,
    facts: Facts,
    desired: dict[TraitKey, Any],
    *,
    owner: tuple[int, int] | None = None,
) -> None:
    """Add the config-file edits for `desired` trait values to the plan. `owner`: who must own
    the config dir and what is written in it (the user JupyterLab runs as, when root writes it);
    set on the file before it is renamed into place, so nothing is handed over afterwards."""
    unreadable = [cf for cf in facts.config_files if cf.error]
    if unreadable:
        raise InputError(
            [
                Problem(
                    "config", f"{cf.path}: {cf.error}; fix or move it away (it was not changed)"
                )
                for cf in unreadable
            ]
        )
    ours_path = Path(facts.config_dir) / OURS
    dirs = facts.config_dirs
    our_rank = dirs.index(facts.config_dir)

    for cf in facts.config_files:
        if cf.path == ours_path:
            continue
        if cf.is_notebook_config:
            _note_ignored(plan, cf)
            continue
        rank = dirs.index(str(cf.path.parent))
        # Settings here beat ours when this dir ranks higher, or in our dir (a .py beside our .json
        # collides; lab config loads after server config). Legacy keys win from anywhere.
        offending = [
            s
            for s in cf.settings
            if _managed(s.key)
            and (rank <= our_rank or s.key in LEGACY or s.key[0] == "NotebookApp")
        ]
        if offending:
            plan.actions.append(
                _disable(cf, offending, owner if cf.path.parent == ours_path.parent else None)
            )
            for s in offending:
                plan.note("warning", f"{cf.path}: {s.name} disabled ({_why(s)})")
        lower = [s for s in cf.settings if _managed(s.key) and s not in offending]
        for s in lower:
            plan.note("info", f"{cf.path}: {s.name} is overridden by {ours_path}")

    existing = next((cf for cf in facts.config_files if cf.path == ours_path), None)
    data = existing.data if existing else {}
    stale = {
        s.key
        for s in (existing.settings if existing else [])
        if _managed(s.key) and s.key not in desired
    }
    for key in stale:
        if existing and (gone := existing.get(*key)):
            plan.note("warning", f"{ours_path}: {gone.name} removed ({_why(gone)})")
    if (
        ("ServerApp", "ip") in desired
        and existing
        and (old_ip := existing.get("ServerApp", "ip"))
        and old_ip.value == "*"
    ):
        plan.note(
            "info",
            f"{ours_path}: ip='*' replaced (it means all addresses; written as the binding you chose)",
        )
    new = json_with_changes(data, desired, stale)
    plan.actions.append(
        WriteFile(
            ours_path,
            render_json(new).encode(),
            mode=0o600,
            owner=owner,
            dirs_owner=owner,
            why="Jupyter settings",
        )
    )


def _disable(cf: ConfigFile, settings: list[Setting], owner: tuple[int, int] | None) -> WriteFile:
    why = "disable overriding settings"
    if cf.is_json:
        new = json_with_changes(cf.data, {}, {s.key for s in settings})
        return WriteFile(cf.path, render_json(new).encode(), owner=owner, why=why)
    try:
        text = py_with_lines_disabled(
            cf.text,
            [s.lines for s in settings if s.lines],
            f"now set in {OURS} by jupyter-setup-wizard",
        )
    except ValueError as exc:
        names = ", ".join(s.name for s in settings)
        raise InputError(
            f"config: {cf.path} sets {names} in a way the wizard cannot safely disable ({exc}); remove those lines by hand"
        ) from exc
    return WriteFile(cf.path, text.encode(), owner=owner, why=why)


def _note_ignored(plan: Plan, cf: ConfigFile) -> None:
    names = sorted({s.name for s in cf.settings if s.key[0] == "NotebookApp"})
    if names:
        plan.note(
            "info",
            f"{cf.path}: {', '.join(names)} are ignored by JupyterLab 4 / Jupyter Server (left untouched; the wizard's settings are in {OURS})",
        )
