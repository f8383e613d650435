"""`service start|stop|restart|status|logs`: control the service of the setup of record."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from wizard.plan.service.base import describe
    from wizard.plan.service.managers import current_controller

    ctl = current_controller()
    if args.verb == "logs":
        print(ctl.journal(args.lines))
        return 0
    if args.verb in ("start", "stop", "restart"):
        getattr(ctl, args.verb)()
    st = ctl.state()
    print(describe(st))
    if args.verb == "status":
        return 0 if st.active else 3  # like `systemctl status`: 3 = not running
    return 0
