"""`apply ANSWERS.toml`: the same steps as the wizard, without a UI; with --json, one object of
wizard/apply/schema.py on stdout whatever the outcome (the apply's own lines go to stderr)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from wizard import session
from wizard.apply.events import failure_outcome, print_events
from wizard.apply.report import actions_json, to_json
from wizard.cli.common import confirm, interrupt_on_signals
from wizard.core.answers import load_answers
from wizard.core.errors import ApplyInterrupted, InputError, Problem, WizardError
from wizard.plan.plan import Plan
from wizard.plan.secrets import Secrets


@dataclass
class _Seen:
    """What a --json run knew when it ended, for the one object it prints."""

    plan: Plan | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)

    def print(self, args: argparse.Namespace, status: str, **rest: Any) -> None:
        doc = to_json(
            dry_run=args.dry_run, status=status, plan=self.plan, actions=self.actions, **rest
        )
        print(json.dumps(doc, indent=2), flush=True)


def run(args: argparse.Namespace) -> int:
    if not args.json:
        return _run(args, None)
    seen = _Seen()
    try:
        if not (args.yes or args.dry_run):
            raise InputError(
                [Problem("--json", "add --yes (or --dry-run): a JSON run does not ask first")]
            )
        return _run(args, seen)
    except InputError as exc:
        seen.print(args, "invalid", errors=exc.problems)
        raise
    except WizardError as exc:  # the engine rolled back what it had done
        seen.print(args, "failed", errors=[Problem("apply", str(exc))])
        raise
    except KeyboardInterrupt as exc:
        said = "interrupted; rolled back"
        if isinstance(exc, ApplyInterrupted) and exc.not_undone:
            said = "interrupted; " + failure_outcome(exc.not_undone, exc.journal_id)
        seen.print(args, "interrupted", errors=[Problem("apply", said)])
        raise


def _run(args: argparse.Namespace, seen: _Seen | None) -> int:
    answers = load_answers(args.answers)
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    planned = session.plan(answers, secrets)
    plan = planned.plan
    todo = plan.changes()
    if seen is None:
        print(plan.render(), end="")
    else:
        seen.plan, seen.actions = plan, actions_json(todo)
    info = functools.partial(session.instructions, planned.answers, planned.facts)
    if args.dry_run:
        if seen is not None:
            seen.print(args, "planned" if todo else "unchanged", info=info())
        return 0
    if todo:
        if not args.yes and not confirm(f"Apply {len(todo)} change(s)?"):
            print("Nothing changed.")
            return 0
        interrupt_on_signals()
    on_event = print_events if seen is None else functools.partial(print_events, file=sys.stderr)
    result = session.apply(planned, on_event=on_event, todo=todo)
    if seen is not None:
        seen.print(args, "applied" if result.changed else "unchanged", result=result, info=info())
        return 0
    if result.changed:
        print(
            f"Applied (ID {result.journal_id}). Undo with: jupyter-setup-wizard rollback {result.journal_id}"
        )
    print("\n" + info().render(), end="")
    return 0
