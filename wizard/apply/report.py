"""What `apply --json` prints: one object of schema.SCHEMA, whatever the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wizard.apply.engine import ApplyResult
from wizard.apply.schema import SCHEMA_VERSION
from wizard.core.errors import Problem
from wizard.plan.access import AccessInfo
from wizard.plan.actions import Action
from wizard.plan.plan import Plan


def actions_json(todo: Sequence[Action]) -> list[dict[str, Any]]:
    """The changes as the review shows them: taken before applying (a preview diffs against
    the machine as it is now)."""
    out = []
    for action in todo:
        preview = action.preview()
        out.append(
            {
                "kind": action.kind,
                "description": action.description,
                "target": action.target,
                "preview": preview,
                "diff": preview if action.kind == "file" else None,
                "command": preview if action.kind == "command" else None,
            }
        )
    return out


def instructions_json(info: AccessInfo) -> dict[str, Any]:
    return {
        "method": info.method,
        "headline": info.headline,
        "text": info.render(),
        "urls": [
            {"url": u.url, "address": u.address, "kind": u.kind, "truth": u.truth}
            for u in info.urls
        ],
        "browser_url": info.browser_url,
        "ssh_command": info.ssh_command,
    }


def to_json(
    *,
    dry_run: bool,
    status: str,
    plan: Plan | None = None,
    actions: Sequence[dict[str, Any]] = (),
    result: ApplyResult | None = None,
    info: AccessInfo | None = None,
    errors: Sequence[Problem] = (),
) -> dict[str, Any]:
    """`actions`: actions_json() of the plan's changes, taken before applying."""
    return {
        "schema_version": SCHEMA_VERSION,
        "dry_run": dry_run,
        "status": status,
        "changed": status in ("planned", "applied"),
        "apply_id": result.journal_id if result is not None else None,
        "actions": list(actions),
        "notes": [{"level": n.level, "text": n.text} for n in (plan.notes if plan else [])],
        "instructions": instructions_json(info) if info is not None else None,
        "errors": [{"field": p.field, "message": p.message} for p in errors],
    }
