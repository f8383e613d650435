"""`doctor`: every reachability check for the setup of record (or an answers file), with fixes."""

from __future__ import annotations

import argparse
import dataclasses
import json

from wizard.core.answers import Answers
from wizard.core.errors import InputError


def _answers(args: argparse.Namespace) -> Answers | None:
    if args.answers:
        from wizard.core.answers import load_answers

        return load_answers(args.answers)
    from wizard.core.record import load_current

    return load_current()


def run(args: argparse.Namespace) -> int:
    from wizard.plan.access.common import instructions
    from wizard.plan.secrets import Secrets
    from wizard.probe.facts import probe
    from wizard.verify.doctor.checks import render, run_checks

    answers = _answers(args)
    if answers is None:
        raise InputError(
            "no applied setup found: run the wizard (or apply), or pass --answers FILE"
        )
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    facts = probe(None, answers.jupyter.config_dir or None)
    results = run_checks(
        answers, facts, password=secrets.password, proxy_password=secrets.proxy_password
    )
    info = instructions(answers, facts)
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({
            "ok": not failed,
            "method": answers.access.method,
            "access": dataclasses.asdict(info),
            "checks": [dataclasses.asdict(r) for r in results],
        }, indent=2))  # fmt: skip
    else:
        print(
            f"Access method: {answers.access.method}\n\n{info.render()}\nChecks:\n{render(results)}"
        )
        print("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    return 1 if failed else 0
