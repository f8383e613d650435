"""`apply ANSWERS.toml`: the same steps as the wizard, without a UI."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.common import confirm, interrupt_on_sigterm
from wizard.core.answers import load_answers
from wizard.plan.secrets import Secrets


def run(args: argparse.Namespace) -> int:
    from wizard.apply.engine import apply_plan
    from wizard.core.record import save_current
    from wizard.plan.access.common import instructions
    from wizard.plan.planner import build_plan
    from wizard.plan.service.step import default_config_dir
    from wizard.plan.steps import install
    from wizard.probe.facts import probe

    answers = install.resolve_answers(load_answers(args.answers))
    if not answers.jupyter.python:
        answers = answers.replace("jupyter", python=sys.executable)
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    config_dir = answers.jupyter.config_dir or default_config_dir(answers)
    facts = probe(answers.jupyter.python, config_dir)
    plan = build_plan(answers, facts, secrets)
    print(plan.render(), end="")
    if args.dry_run:
        return 0
    if plan.changes():
        if not args.yes and not confirm(f"Apply {len(plan.changes())} change(s)?"):
            print("Nothing changed.")
            return 0
        interrupt_on_sigterm()
        result = apply_plan(plan, log=print)
        print(
            f"Applied (ID {result.journal_id}). Undo with: jupyter-setup-wizard rollback {result.journal_id}"
        )
    save_current(answers)
    print("\n" + instructions(answers, facts).render(), end="")
    return 0
