"""`rollback [ID]` and `history`: the applies of record, and the way back from one."""

from __future__ import annotations

import argparse
import time

from wizard.apply.events import print_events
from wizard.cli.common import confirm, interrupt_on_signals


def run(args: argparse.Namespace) -> int:
    from wizard.apply.engine import apply_plan, rollback_plan

    plan = rollback_plan(args.id)
    print(plan.render(), end="")
    if args.dry_run or not plan.changes():
        return 0
    if not args.yes and not confirm(f"Roll back: apply {len(plan.changes())} change(s)?"):
        print("Nothing changed.")
        return 0
    interrupt_on_signals()
    result = apply_plan(plan, on_event=print_events)
    print(f"Restored (ID {result.journal_id}; this rollback can itself be rolled back).")
    return 0


def history(args: argparse.Namespace) -> int:
    from wizard.apply.journal import list_journals

    journals = list_journals()
    if not journals:
        print("No applies yet.")
    for j in journals:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j.created))
        print(f"{j.id}  {when}  {j.status:<11}  {j.title}  ({len(j.files)} file(s))")
    return 0
