"""The `jupyter-setup-wizard` command. The only core module allowed to reach the UI, lazily."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from wizard import __version__
from wizard.core.errors import InputError, WizardError


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WizardError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _interrupt_on_sigterm() -> None:
    """A `kill` mid-apply rolls back like Ctrl-C does, instead of leaving a half-applied plan."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jupyter-setup-wizard",
        description="Set up JupyterLab on this server and reach it safely.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--plain", action="store_true", help="line-by-line prompts instead of the full-screen UI"
    )
    p.set_defaults(func=_cmd_wizard)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    a = sub.add_parser("apply", help="apply an answers file without a UI")
    a.add_argument("answers", type=Path, help="answers file (TOML)")
    a.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    a.add_argument("--yes", "-y", action="store_true", help="do not ask before applying")
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new Jupyter password from standard input (never from argv)",
    )
    a.add_argument(
        "--proxy-password-stdin",
        action="store_true",
        help="read the reverse proxy's basic-auth password from standard input (the line after the Jupyter password when both)",
    )
    a.set_defaults(func=_cmd_apply)

    r = sub.add_parser("rollback", help="restore the files an earlier apply changed")
    r.add_argument("id", nargs="?", help="apply ID (default: the latest applied); see `history`")
    r.add_argument("--dry-run", action="store_true", help="print what would be restored")
    r.add_argument("--yes", "-y", action="store_true", help="do not ask before restoring")
    r.set_defaults(func=_cmd_rollback)

    h = sub.add_parser("history", help="list earlier applies and their IDs")
    h.set_defaults(func=_cmd_history)

    s = sub.add_parser("status", help="live status of JupyterLab (service, ports, HTTP)")
    s.add_argument("--json", action="store_true", help="print one snapshot as JSON and exit")
    s.add_argument("--once", action="store_true", help="print one snapshot as text and exit")
    s.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    s.add_argument(
        "--show-token", action="store_true", help="include the token and the URL with it"
    )
    s.set_defaults(func=_cmd_status)

    sv = sub.add_parser("service", help="start, stop, restart the JupyterLab service; its logs")
    sv.add_argument("verb", choices=["start", "stop", "restart", "status", "logs"])
    sv.add_argument("-n", "--lines", type=int, default=50, help="logs: how many lines")
    sv.set_defaults(func=_cmd_service)

    d = sub.add_parser("doctor", help="check why JupyterLab is not reachable, with fixes")
    d.add_argument(
        "--answers", type=Path, help="compare against this answers file (default: the last apply)"
    )
    d.add_argument("--json", action="store_true", help="print the checks as JSON")
    d.add_argument(
        "--password-stdin",
        action="store_true",
        help="Jupyter password on stdin: also log in and try a WebSocket",
    )
    d.add_argument(
        "--proxy-password-stdin",
        action="store_true",
        help="basic-auth password on stdin (the line after the Jupyter password)",
    )
    d.set_defaults(func=_cmd_doctor)
    return p


def _cmd_wizard(args: argparse.Namespace) -> int:
    # The UI packages load only here, so `apply`, `status --json` and `doctor` stay fast.
    if args.plain:
        from screens.plain import run_plain

        return run_plain()
    from screens.app import run_app

    return run_app()


def _cmd_status(args: argparse.Namespace) -> int:
    if args.json or args.once:
        from wizard.verify.status.collect import command

        return command(args)
    from screens.status import run_status

    return run_status(args)


def _cmd_service(args: argparse.Namespace) -> int:
    from wizard.plan.service.managers import command

    return command(args.verb, lines=args.lines)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from wizard.verify.doctor.checks import command

    return command(args)


def _confirm(question: str) -> bool:
    """Ask on the terminal itself: stdin may be carrying the password."""
    try:
        with open("/dev/tty", "r+", encoding="utf-8") as tty:
            tty.write(f"{question} [y/N] ")
            tty.flush()
            return tty.readline().strip().lower() in ("y", "yes")
    except OSError as exc:
        raise InputError("no terminal to ask on: pass --yes to apply without asking") from exc


def _cmd_apply(args: argparse.Namespace) -> int:
    from wizard.apply.engine import apply_plan
    from wizard.core.answers import load_answers
    from wizard.core.record import save_current
    from wizard.plan.access.common import instructions
    from wizard.plan.planner import Secrets, build_plan
    from wizard.plan.steps import install
    from wizard.probe.facts import probe

    answers = install.resolve_answers(load_answers(args.answers))
    if not answers.jupyter.python:
        answers = answers.replace("jupyter", python=sys.executable)
    secrets = Secrets.from_stdin(
        password=args.password_stdin, proxy_password=args.proxy_password_stdin
    )
    from wizard.plan.service.step import default_config_dir

    config_dir = answers.jupyter.config_dir or default_config_dir(answers)
    facts = probe(answers.jupyter.python, config_dir)
    plan = build_plan(answers, facts, secrets)
    print(plan.render(), end="")
    if args.dry_run:
        return 0
    if plan.changes():
        if not args.yes and not _confirm(f"Apply {len(plan.changes())} change(s)?"):
            print("Nothing changed.")
            return 0
        _interrupt_on_sigterm()
        result = apply_plan(plan, log=print)
        print(
            f"Applied (ID {result.journal_id}). Undo with: jupyter-setup-wizard rollback {result.journal_id}"
        )
    save_current(answers)
    print("\n" + instructions(answers, facts).render(), end="")
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    from wizard.apply.engine import apply_plan, rollback_plan

    plan = rollback_plan(args.id)
    print(plan.render(), end="")
    if args.dry_run or not plan.changes():
        return 0
    if not args.yes and not _confirm(f"Roll back: apply {len(plan.changes())} change(s)?"):
        print("Nothing changed.")
        return 0
    _interrupt_on_sigterm()
    result = apply_plan(plan, log=print)
    print(f"Restored (ID {result.journal_id}; this rollback can itself be rolled back).")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    import time

    from wizard.apply.journal import list_journals

    journals = list_journals()
    if not journals:
        print("No applies yet.")
    for j in journals:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j.created))
        print(f"{j.id}  {when}  {j.status:<11}  {j.title}  ({len(j.files)} file(s))")
    return 0
