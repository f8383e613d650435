"""The `jupyter-setup-wizard` command: one module per subcommand; printing lives here, not in the core.

The UI packages (textual, questionary) load only inside the subcommands that need them, so
`apply`, `status --json` and `doctor` stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wizard import __version__
from wizard.core.errors import ApplyInterrupted, WizardError
from wizard.core.i18n import LANGUAGES, N_, _, lang_from_argv, select

if TYPE_CHECKING:  # argparse loads when a command line is parsed (wizard.cli.help_format)
    import argparse

# argparse's own words, through our catalog (its "error:" prefix stays: scripts look for it)
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language first: the parser's help texts and every message follow it.
    select(lang_from_argv(argv))
    try:
        if not argv or argv_is_only_lang(argv):  # the full-screen wizard, fast: no parser needed
            return _import_tui()()  # it names an interrupted apply itself (stderr would be hidden)
        args = _parser().parse_args(argv)
        if args.func is not _cmd_wizard or args.plain:
            _tell_of_interrupted_applies()
        return int(args.func(args))
    except WizardError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)  # the prefix stays: scripts look for it
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print(_("interrupted"), file=sys.stderr)
        if isinstance(exc, ApplyInterrupted):  # the apply was rolled back, but maybe not all
            from wizard.apply.events import failure_outcome

            print(f"error: {failure_outcome(exc.not_undone, exc.journal_id)}", file=sys.stderr)
        return 130


def _tell_of_interrupted_applies() -> None:
    """Every command names an apply a crash left half done (on stderr: stdout may be JSON)."""
    from wizard.apply.lock import interrupted, interrupted_text

    for journal in interrupted():
        print(f"warning: {interrupted_text(journal)}", file=sys.stderr)


def argv_is_only_lang(argv: list[str]) -> bool:
    """`--lang X` alone still starts the full-screen wizard without building the parser."""
    lang = lang_from_argv(argv)
    only = argv == ["--lang", lang] or argv == [f"--lang={lang}"]
    return only and lang in LANGUAGES


def _lang_option(p: argparse.ArgumentParser) -> None:
    import argparse

    p.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        default=argparse.SUPPRESS,  # read by lang_from_argv before parsing; here for --help
        help=_(
            "language of the messages (default: the remembered choice, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG, else en)"
        ),
    )


def _parser() -> argparse.ArgumentParser:
    import argparse

    from wizard.cli.help_format import CellFormatter, SubParser

    argparse._ = _  # type: ignore[attr-defined]  # argparse looks its words up at use
    p = argparse.ArgumentParser(
        prog="jupyter-setup-wizard",
        formatter_class=CellFormatter,
        description=_("Set up JupyterLab on this server and reach it safely."),
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help=_("show program's version number and exit"),
    )
    p.add_argument(
        "--plain", action="store_true", help=_("line-by-line prompts instead of the full-screen UI")
    )
    # The wizard restarting itself with sudo hands its answers over in this file (see
    # wizard.session.hand_over); not for people to type.
    p.add_argument("--resume", type=Path, help=argparse.SUPPRESS)
    _lang_option(p)
    p.set_defaults(func=_cmd_wizard)
    sub = p.add_subparsers(title=_("commands"), metavar="COMMAND", parser_class=SubParser)

    a = sub.add_parser("apply", help=_("apply an answers file without a UI"))
    _lang_option(a)
    a.add_argument("answers", type=Path, help=_("answers file (TOML)"))
    a.add_argument("--dry-run", action="store_true", help=_("print the plan and change nothing"))
    a.add_argument("--yes", "-y", action="store_true", help=_("do not ask before applying"))
    a.add_argument(
        "--json",
        action="store_true",
        help=_(
            "print one JSON object (schema: wizard/apply/schema.py) instead of text; needs --yes or --dry-run"
        ),
    )
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read the new Jupyter password from standard input (never from argv)"),
    )
    a.add_argument(
        "--proxy-password-stdin",
        action="store_true",
        help=_(
            "read the reverse proxy's basic-auth password from standard input (the line after the Jupyter password when both)"
        ),
    )
    a.set_defaults(func=_lazy("apply"))

    r = sub.add_parser("rollback", help=_("restore the files an earlier apply changed"))
    _lang_option(r)
    r.add_argument("id", nargs="?", help=_("apply ID (default: the latest applied); see `history`"))
    r.add_argument("--dry-run", action="store_true", help=_("print what would be restored"))
    r.add_argument("--yes", "-y", action="store_true", help=_("do not ask before restoring"))
    r.set_defaults(func=_lazy("rollback"))

    h = sub.add_parser("history", help=_("list earlier applies and their IDs"))
    _lang_option(h)
    h.set_defaults(func=_lazy("rollback", "history"))

    s = sub.add_parser("status", help=_("live status of JupyterLab (service, ports, HTTP)"))
    _lang_option(s)
    s.add_argument("--json", action="store_true", help=_("print one snapshot as JSON and exit"))
    s.add_argument("--once", action="store_true", help=_("print one snapshot as text and exit"))
    s.add_argument("--interval", type=float, default=1.0, help=_("seconds between refreshes"))
    s.add_argument(
        "--show-token", action="store_true", help=_("include the token and the URL with it")
    )
    s.set_defaults(func=_lazy("status"))

    sv = sub.add_parser("service", help=_("start, stop, restart the JupyterLab service; its logs"))
    _lang_option(sv)
    sv.add_argument("verb", choices=["start", "stop", "restart", "status", "logs"])
    sv.add_argument("-n", "--lines", type=int, default=50, help=_("logs: how many lines"))
    sv.set_defaults(func=_lazy("service"))

    d = sub.add_parser("doctor", help=_("check why JupyterLab is not reachable, with fixes"))
    _lang_option(d)
    d.add_argument(
        "--answers",
        type=Path,
        help=_("compare against this answers file (default: the last apply)"),
    )
    d.add_argument("--json", action="store_true", help=_("print the checks as JSON"))
    d.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("Jupyter password on stdin: also log in and try a WebSocket"),
    )
    d.add_argument(
        "--proxy-password-stdin",
        action="store_true",
        help=_("basic-auth password on stdin (the line after the Jupyter password)"),
    )
    d.set_defaults(func=_lazy("doctor"))
    return p


def _lazy(module: str, func: str = "run") -> Callable[[argparse.Namespace], int]:
    """The subcommand's `run(args)`, imported only when it is the one asked for."""

    def call(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(f"wizard.cli.{module}"), func)(args))

    return call


def _cmd_wizard(args: argparse.Namespace) -> int:
    if args.plain:
        from wizard.cli.plain import run_plain

        return run_plain()
    return _import_tui()(resume=args.resume)


def _import_tui() -> Callable[..., int]:
    """screens.app.run_app, imported without the garbage collector: the imports make some 60,000
    objects that live as long as the app, and collecting (and then rescanning) them took a
    tenth of the time to the first key. They are frozen: later collections skip them."""
    import gc

    gc.disable()
    try:
        from screens.app import run_app
    finally:
        gc.freeze()
        gc.enable()
    return run_app
