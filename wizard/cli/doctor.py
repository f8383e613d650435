"""`doctor`: every reachability check for the setup of record (or an answers file), with fixes."""

from __future__ import annotations

import argparse

from wizard.core.answers import Answers
from wizard.core.errors import InputError
from wizard.core.i18n import _


def _answers(args: argparse.Namespace) -> Answers | None:
    if args.answers:
        from wizard.core.answers import load_answers

        return load_answers(args.answers)
    from wizard.core.record import load_current

    return load_current()


def run(args: argparse.Namespace) -> int:
    from wizard.plan import access
    from wizard.plan.secrets import Secrets
    from wizard.probe.facts import probe
    from wizard.verify.doctor.checks import run_checks
    from wizard.verify.doctor.render import report, to_json

    answers = _answers(args)
    if answers is None:
        raise InputError(
            _("no applied setup found: run the wizard (or apply), or pass --answers FILE")
        )
    access.chosen(answers)  # an unknown method: an input error before anything is probed
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    facts = probe(None, answers.jupyter.config_dir or None)
    results = run_checks(
        answers, facts, password=secrets.password, proxy_password=secrets.proxy_password
    )
    info = access.instructions(answers, facts)
    method = answers.access.method
    print(to_json(method, info, results) if args.json else report(method, info, results))
    return 0 if all(r.ok for r in results) else 1
