"""Turn the answers' Jupyter settings into edits of Jupyter's config files.

The wizard owns exactly the traits its answers set (`desired`: the network step's, the password
hash, the access method's), under every name Jupyter reads them by. They go in its file,
<config_dir>/jupyter_server_config.json (0600). Another file's statement that would override one
of them, or that still wins under a legacy name (ServerApp.password beats the modern key!), is
disabled with a note; every other setting of the author's stays, and the plan's notes say which
stay, which change and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.core.errors import InputError, Problem
from wizard.core.i18n import N_, _
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
    py_with_statements_disabled,
    render_json,
)

# Which answer decides each trait the wizard may own (what Review says a change is for).
_FROM: dict[TraitKey, str] = {
    ("ServerApp", "ip"): "network.ip",
    ("ServerApp", "port"): "network.port",
    ("ServerApp", "port_retries"): N_("a busy port must be an error"),
    ("ServerApp", "open_browser"): N_("a server has no browser"),
    ("ServerApp", "allow_remote_access"): N_("follows network.ip and the access method"),
    ("ServerApp", "root_dir"): "network.root_dir",
    ("ServerApp", "base_url"): "network.base_url",
    ("ServerApp", "certfile"): N_("the access method's TLS"),
    ("ServerApp", "keyfile"): N_("the access method's TLS"),
    ("ServerApp", "ssl_options"): N_("the access method's TLS"),
    ("ServerApp", "trust_xheaders"): N_("the reverse proxy"),
    MODERN_KEY: N_("the password"),
}
# Older names Jupyter still reads into an owned trait: (old name, why it goes).
_LEGACY: dict[TraitKey, list[tuple[TraitKey, str]]] = {
    ("ServerApp", "root_dir"): [(("ServerApp", "notebook_dir"), N_("deprecated name of root_dir"))],
    MODERN_KEY: [
        (("ServerApp", "password"), N_("legacy key; it overrides the password the wizard sets")),
        (("IdentityProvider", "hashed_password"), N_("older place of the password hash")),
        # With a password, a token in config is a second way in that nobody chose.
        (("ServerApp", "token"), N_("legacy token; with a password it is a second way in")),
    ],
}


def owned(desired: dict[TraitKey, Any]) -> dict[TraitKey, str]:
    """Every name Jupyter reads into a desired trait, with why the wizard's value replaces it."""
    out: dict[TraitKey, str] = {}
    for key in desired:
        why = (
            _("set from {answer}").format(answer=_(_FROM[key]))
            if key in _FROM
            else _("set by the wizard")
        )
        out[key] = why
        for old, reason in _LEGACY.get(key, []):
            out[old] = _(reason)
            if old[0] == "ServerApp":
                out[("NotebookApp", old[1])] = _(reason)
        if key[0] == "ServerApp":
            out[("NotebookApp", key[1])] = _("old NotebookApp name; {why}").format(why=why)
    return out


def plan_jupyter_config(
    plan: Plan,
    facts: Facts,
    desired: dict[TraitKey, Any],
    *,
    owner: tuple[int, int] | None = None,
    released: dict[TraitKey, Any] | None = None,
) -> None:
    """Add the config-file edits for `desired` trait values to the plan. `owner`: who must own
    the config dir and what is written in it (the user JupyterLab runs as, when root writes it);
    set on the file before it is renamed into place, so nothing is handed over afterwards.
    `released`: what the previous setup wrote that these answers no longer set (another access
    method's), removed from the wizard's file while it still holds exactly that value."""
    unreadable = [cf for cf in facts.config_files if cf.error]
    if unreadable:
        raise InputError(
            [
                Problem(
                    "config",
                    _("{path}: {error}; fix or move it away (it was not changed)").format(
                        path=cf.path, error=cf.error
                    ),
                )
                for cf in unreadable
            ]
        )
    mine = owned(desired)
    ours_path = Path(facts.config_dir) / OURS
    dirs = facts.config_dirs
    our_rank = dirs.index(facts.config_dir)
    refused: list[Problem] = []

    for cf in facts.config_files:
        if cf.path == ours_path:
            continue
        if cf.is_notebook_config:
            _note_ignored(plan, cf)
            continue
        rank = dirs.index(str(cf.path.parent))
        # Settings here beat ours when this dir ranks higher, or in our dir (a .py beside our .json
        # collides; lab config loads after server config). Other names win from anywhere.
        offending = [
            s for s in cf.settings if s.key in mine and (rank <= our_rank or s.key not in desired)
        ]
        if offending:
            try:
                plan.actions.append(
                    _disable(cf, offending, owner if cf.path.parent == ours_path.parent else None)
                )
            except ValueError as exc:
                refused.append(
                    Problem(
                        "config",
                        _("{path}: {exc}; edit that line by hand").format(path=cf.path, exc=exc),
                    )
                )
            for s in offending:
                plan.note(
                    "warning",
                    _("{where}: {name} disabled ({mine})").format(
                        where=_where(cf, s), name=s.name, mine=mine[s.key]
                    ),
                )
        for s in cf.settings:
            if s.key in mine and s not in offending:
                plan.note(
                    "info",
                    _("{where}: {name} is overridden by {ours_path}").format(
                        where=_where(cf, s), name=s.name, ours_path=ours_path
                    ),
                )
        _note_kept(plan, cf, [s for s in cf.settings if s.key not in mine])
    if refused:
        raise InputError(refused)

    existing = next((cf for cf in facts.config_files if cf.path == ours_path), None)
    data = existing.data if existing else {}
    before = {s.key: s.value for s in existing.settings} if existing else {}
    stale = {k for k in before if k in mine and k not in desired}
    stale |= {k for k, v in (released or {}).items() if k not in desired and before.get(k) == v}
    for key in sorted(stale):
        why = mine.get(key) or _("set by the previous setup, which these answers no longer need")
        plan.note(
            "warning",
            _("{ours_path}: {key}.{key2} removed ({why})").format(
                ours_path=ours_path, key=key[0], key2=key[1], why=why
            ),
        )
    for key, value in desired.items():
        if key in before and before[key] != value:
            shown = _("the password hash") if key == MODERN_KEY else f"{before[key]!r} -> {value!r}"
            plan.note(
                "info",
                _("{ours_path}: {key}.{key2} changes: {shown} ({mine})").format(
                    ours_path=ours_path, key=key[0], key2=key[1], shown=shown, mine=mine[key]
                ),
            )
    if ("ServerApp", "ip") in desired and before.get(("ServerApp", "ip")) == "*":
        plan.note(
            "info",
            _(
                "{ours_path}: ip='*' replaced (it means all addresses; written as the binding you chose)"
            ).format(ours_path=ours_path),
        )
    if existing:
        _note_kept(
            plan,
            existing,
            [s for s in existing.settings if s.key not in mine and s.key not in stale],
        )
    new = json_with_changes(data, desired, stale)
    plan.actions.append(
        WriteFile(
            ours_path,
            render_json(new).encode(),
            mode=0o600,
            owner=owner,
            dirs_owner=owner,
            why=_("Jupyter settings"),
        )
    )


def _where(cf: ConfigFile, s: Setting) -> str:
    return f"{cf.path} line {s.lines[0]}" if s.lines else str(cf.path)


def _note_kept(plan: Plan, cf: ConfigFile, kept: list[Setting]) -> None:
    names = sorted({s.name for s in kept})
    if names:
        plan.note(
            "info",
            _("{path}: stays in force (these answers do not set it): {items}").format(
                path=cf.path, items=", ".join(names)
            ),
        )


def _disable(cf: ConfigFile, settings: list[Setting], owner: tuple[int, int] | None) -> WriteFile:
    why = _("disable overriding settings")
    if cf.is_json:
        new = json_with_changes(cf.data, {}, {s.key for s in settings})
        return WriteFile(cf.path, render_json(new).encode(), owner=owner, why=why)
    text = py_with_statements_disabled(
        cf.text, settings, f"now set in {OURS} by jupyter-setup-wizard"
    )
    return WriteFile(cf.path, text.encode(), owner=owner, why=why)


def _note_ignored(plan: Plan, cf: ConfigFile) -> None:
    names = sorted({s.name for s in cf.settings if s.key[0] == "NotebookApp"})
    if names:
        plan.note(
            "info",
            _(
                "{path}: {items} are ignored by JupyterLab 4 / Jupyter Server (left untouched; the wizard's settings are in {OURS})"
            ).format(path=cf.path, items=", ".join(names), OURS=OURS),
        )
