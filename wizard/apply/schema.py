"""The documented, stable schema of `jupyter-setup-wizard apply ANSWERS.toml --json` (JSON Schema,
draft 2020-12): one object on stdout, whatever the outcome (the exit status is unchanged: 0, 1
a failed apply after its rollback, 2 bad input, 130 interrupted).

Stable like `status --json`'s: fields are only ever added (schema_version unchanged); a field
that must change meaning raises schema_version.
"""

from __future__ import annotations

from typing import Any

from wizard.core import json_schema
from wizard.core.json_schema import obj

SCHEMA_VERSION = 1  # report.to_json writes this; raise it only when a field changes meaning

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}

ACTION = obj(
    {
        "kind": {
            "enum": ["file", "command", "check"],
            "description": "file: writes or removes files (diff set); command: runs commands "
            "(command set); check: looks and changes nothing itself",
        },
        "description": _STR,
        "target": {**_STR, "description": "what it acts on: a path, a unit, an environment"},
        "preview": {**_STR, "description": "what the review shows for it (hashes redacted)"},
        "diff": {
            **_NSTR,
            "description": "kind file: the unified diff (then any command that makes it take "
            "effect, like a daemon-reload), else null",
        },
        "command": {**_NSTR, "description": "kind command: the command line(s), else null"},
    },
    "one change of the plan, in the order it is applied",
)

URL = obj(
    {
        "url": _STR,
        "address": _STR,
        "kind": {
            **_STR,
            "description": "loopback | private LAN | public | link-local | IPv6 | name",
        },
        "truth": {**_STR, "description": "what that kind of address means for who can reach it"},
    }
)

INSTRUCTIONS = obj(
    {
        "method": {**_STR, "description": "the access method"},
        "headline": _STR,
        "text": {**_STR, "description": "all of it, as the command prints it after an apply"},
        "urls": {"type": "array", "items": URL},
        "browser_url": {**_STR, "description": "what to open on your own computer ('' if none)"},
        "ssh_command": {**_STR, "description": "ssh-tunnel: the command to run there, else ''"},
    },
    "how to reach JupyterLab with these answers",
)

ERROR = obj(
    {
        "field": {
            **_STR,
            "description": "the answers field to change (network.port, ...); input: the command "
            "line or standard input; apply: the apply failed (and was rolled back)",
        },
        "message": _STR,
    }
)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "jupyter-setup-wizard apply --json",
    **obj(
        {
            "schema_version": {"const": SCHEMA_VERSION},
            "dry_run": {"type": "boolean"},
            "status": {
                "enum": ["unchanged", "planned", "applied", "invalid", "failed", "interrupted"],
                "description": "unchanged: the machine already matches; planned: --dry-run with "
                "changes; applied; invalid: bad input, nothing changed; failed / interrupted: "
                "rolled back",
            },
            "changed": {
                "type": "boolean",
                "description": "the machine was changed (--dry-run: would be); false after a "
                "rollback",
            },
            "apply_id": {
                **_NSTR,
                "description": "the apply's ID (for `rollback ID`); null unless applied",
            },
            "actions": {
                "type": "array",
                "items": ACTION,
                "description": "the plan's changes ([] when nothing is to change or the input "
                "was bad)",
            },
            "notes": {
                "type": "array",
                "items": obj({"level": {"enum": ["info", "warning", "risk"]}, "text": _STR}),
            },
            "instructions": {"anyOf": [INSTRUCTIONS, {"type": "null"}]},
            "errors": {"type": "array", "items": ERROR},
        }
    ),
}


def validate(instance: Any) -> list[str]:
    """Errors of `instance` against SCHEMA; [] when valid."""
    return json_schema.validate(instance, SCHEMA)
