"""`status`: the live screen, or with --json / --once one snapshot (exit 0 healthy, 3 down, 4 findings)."""

from __future__ import annotations

import argparse
import json
import sys


def run(args: argparse.Namespace) -> int:
    if not (args.json or args.once):
        from screens.status import run_status

        return run_status(args)
    from wizard.verify.status.collect import take_snapshot
    from wizard.verify.status.render import render_text, to_json

    show = bool(args.show_token)
    snap = take_snapshot()
    if args.json:
        json.dump(to_json(snap, show_token=show), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(snap, show_token=show))
    return snap.exit_code
