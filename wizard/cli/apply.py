"""`apply ANSWERS.toml`: the same steps as the wizard, without a UI."""

from __future__ import annotations

import argparse

from wizard import session
from wizard.apply.events import print_events
from wizard.cli.common import confirm, interrupt_on_sigterm
from wizard.core.answers import load_answers
from wizard.plan.secrets import Secrets


def run(args: argparse.Namespace) -> int:
    answers = load_answers(args.answers)
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    planned = session.plan(answers, secrets)
    plan = planned.plan
    print(plan.render(), end="")
    if args.dry_run:
        return 0
    if plan.changes():
        if not args.yes and not confirm(f"Apply {len(plan.changes())} change(s)?"):
            print("Nothing changed.")
            return 0
        interrupt_on_sigterm()
    result = session.apply(planned, on_event=print_events)
    if result.changed:
        print(
            f"Applied (ID {result.journal_id}). Undo with: jupyter-setup-wizard rollback {result.journal_id}"
        )
    print("\n" + session.instructions(planned.answers, planned.facts).render(), end="")
    return 0
