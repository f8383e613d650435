"""doctor's kernel check: every kernelspec the server offers can start for the service's user,
and each the wizard registered really runs its own interpreter: started through the server's
REST API, `import sys; print(sys.executable)` over its websocket channel, then shut down.

Logging in needs the password (`doctor --password-stdin`) or the server's token (its runtime
file); without either, the kernels are checked on disk only, and doctor says so.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass

from wizard.core.i18n import _, ngettext
from wizard.plan.access.base import CheckContext, CheckResult, skip
from wizard.plan.steps.kernel_names import registered_for, same_interpreter
from wizard.plan.steps.kernels import broken, runs, served_kernels
from wizard.probe.http import WebSocket, jupyter_login, request, url_host
from wizard.probe.jupyter_paths import scan_runtime_dirs, user_runtime_dir
from wizard.probe.person import person

NAME = "kernels"
CODE = "import sys; print(sys.executable)"


@dataclass(frozen=True)
class Auth:
    headers: dict[str, str]  # Cookie + X-XSRFToken, or Authorization: token
    origin: str


def check_kernels(ctx: CheckContext) -> CheckResult:
    answers = ctx.answers
    if not answers.jupyter.python:
        return skip(NAME, _("no JupyterLab of record"))
    kf = served_kernels(answers, person())
    specs = kf.seen()
    bad = [(s, why) for s in specs if (why := broken(s, kf))]
    if bad:
        return CheckResult(
            NAME,
            False,
            "; ".join(f"{s.name}: {why.cause}" for s, why in bad),
            "; ".join(dict.fromkeys(why.fix for _s, why in bad)),
        )
    ours = [s for s in specs if s.ours]
    if not ours:
        return CheckResult(
            NAME,
            True,
            ngettext(
                "{count} kernel(s), each can start for {user}",
                "{count} kernel(s), each can start for {user}",
                len(specs),
            ).format(count=len(specs), user=kf.user),
        )
    auth = _auth(ctx, kf.user)
    if isinstance(auth, str):
        return skip(
            NAME,
            ngettext(
                "{count} kernel(s) look right on disk; not started: {why}",
                "{count} kernel(s) look right on disk; not started: {why}",
                len(specs),
            ).format(count=len(specs), why=auth),
        )
    wrong = []
    for spec in ours:
        got = run_in_kernel(ctx, auth, spec.name)
        want = registered_for(spec) or runs(spec, kf)
        if not same_interpreter(got.strip(), want):
            wrong.append(
                _("{name} ran {got} (expected {want})").format(
                    name=spec.name, got=got.strip() or _("nothing"), want=want
                )
            )
    if wrong:
        return CheckResult(
            NAME,
            False,
            "; ".join(wrong),
            _(
                "apply the answers again (the kernelspec is rewritten), or remove it "
                "(kernels.remove) and register the environment anew"
            ),
        )
    names = ", ".join(s.name for s in ours)
    return CheckResult(
        NAME, True, _("started {names}: each ran its own interpreter").format(names=names)
    )


def _base(ctx: CheckContext) -> tuple[str, str, int, str]:
    net = ctx.answers.network
    host = "::1" if net.ip == "::" else "127.0.0.1"
    return ctx.method.jupyter_scheme(ctx.answers), host, net.port, net.base_url


def _auth(ctx: CheckContext, user: str) -> Auth | str:
    """How to talk to the server: logged in with the password, or its token; else why not."""
    scheme, host, port, base = _base(ctx)
    origin = f"{scheme}://{url_host(host)}:{port}"
    if ctx.password:
        session = jupyter_login(scheme, host, port, base, ctx.password, timeout=ctx.timeout)
        if isinstance(session, str):
            return session
        return Auth({"Cookie": session.cookie_header, "X-XSRFToken": session.xsrf}, origin)
    runtime = user_runtime_dir(user)
    files = scan_runtime_dirs([runtime] if runtime else []).files
    token = next((f.token for f in files if f.port == port and f.token), "")
    if token:
        return Auth({"Authorization": f"token {token}"}, origin)
    return _("give the Jupyter password (doctor --password-stdin) to start them")


def run_in_kernel(ctx: CheckContext, auth: Auth, kernel: str, code: str = CODE) -> str:
    """Start `kernel` through the REST API, run `code` on its shell channel, shut it down;
    what it printed (an error's traceback, or why it could not run, included)."""
    scheme, host, port, base = _base(ctx)
    body = json.dumps({"name": kernel}).encode()
    headers = {**auth.headers, "Content-Type": "application/json"}
    try:
        r = request(scheme, host, port, f"{base}api/kernels", method="POST", headers=headers,
                    body=body, timeout=60)  # fmt: skip
    except OSError as exc:
        return _("(could not start: {error})").format(error=exc)
    if r.status != 201:
        return _("(could not start: {error})").format(error=f"HTTP {r.status}")
    try:
        kid = str(json.loads(r.body)["id"])
    except (ValueError, KeyError, TypeError):
        kid = ""
    if not re.fullmatch(r"[0-9a-fA-F-]{1,64}", kid):  # it goes into a URL path next
        return _("(could not start: {error})").format(
            error=_("the server's answer is not a kernel")
        )
    try:
        return _execute(scheme, host, port, f"{base}api/kernels/{kid}/channels", auth, code)
    except OSError as exc:
        return _("(no answer: {error})").format(error=exc)
    finally:
        # a failed shutdown: the server culls the kernel in time; nothing of the person's is in it
        with contextlib.suppress(OSError):
            request(scheme, host, port, f"{base}api/kernels/{kid}", method="DELETE",
                    headers=auth.headers, timeout=30)  # fmt: skip


def _execute(scheme: str, host: str, port: int, path: str, auth: Auth, code: str) -> str:
    ws = WebSocket.open(scheme, host, port, path, host_header=f"{url_host(host)}:{port}",
                        origin=auth.origin, headers=auth.headers, timeout=60)  # fmt: skip
    try:
        if not ws.accepted:
            return _("(channels refused: {status})").format(status=ws.status_line)
        msg_id = uuid.uuid4().hex
        ws.send_text(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "doctor",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))  # fmt: skip
        out: list[str] = []
        ws.deadline = time.monotonic() + 60  # checked inside each read, not between messages
        while True:
            try:
                msg = json.loads(ws.recv_text())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg.get("header", {}).get("msg_type")
                content = msg.get("content", {})
                if kind == "stream":
                    out.append(str(content.get("text", "")))
                elif kind == "error":
                    out.append("\n".join(map(str, content.get("traceback", []))))
                elif kind == "status" and content.get("execution_state") == "idle":
                    break
            except (ValueError, AttributeError, TypeError) as exc:  # not a kernel's message
                return f"(not a kernel's answer: {type(exc).__name__})"
        return "".join(out)
    finally:
        ws.close()
