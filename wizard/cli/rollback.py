"""`rollback [ID]` and `history`: the applies of record, and the way back from one."""

from __future__ import annotations

import argparse
import time

from wizard.apply.events import print_events
from wizard.cli.common import confirm, interrupt_on_signals
from wizard.core.i18n import _, ngettext


def run(args: argparse.Namespace) -> int:
    from wizard.apply.engine import apply_plan, rollback_plan

    plan = rollback_plan(args.id)
    print(plan.render(), end="")
    if args.dry_run or not plan.changes():
        return 0
    n = len(plan.changes())
    question = ngettext(
        "Roll back: apply {count} change(s)?", "Roll back: apply {count} change(s)?", n
    )
    if not args.yes and not confirm(question.format(count=n)):
        print(_("Nothing changed."))
        return 0
    interrupt_on_signals()
    result = apply_plan(plan, on_event=print_events)
    print(
        _("Restored (ID {id}; this rollback can itself be rolled back).").format(
            id=result.journal_id
        )
    )
    return 0


def history(args: argparse.Namespace) -> int:
    from wizard.apply.journal import list_journals

    journals = list_journals()
    if not journals:
        print(_("No applies yet."))
    for j in journals:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j.created))
        files = ngettext("{count} file(s)", "{count} file(s)", len(j.files)).format(
            count=len(j.files)
        )
        print(f"{j.id}  {when}  {j.status:<11}  {j.title}  ({files})")
    return 0
