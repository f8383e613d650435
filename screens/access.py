"""Access: how you reach JupyterLab from your own computer.

The one place the UI reads wizard.plan.access (methods, validation, instructions). Each method
shows only its own fields; the core's problems (`access.lan_ip`, ...) appear under the field they
name, those of other steps (`network.ip`, ...) under the instructions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static

from screens.base import StepScreen, shown
from screens.state import STEP_NAMES, STEPS, step_of
from screens.widgets import ChoiceList, Field
from screens.widgets.tick import TickBox
from wizard.core.answers import Answers
from wizard.core.errors import Problem

# Field id -> (label, hint). The id is the AccessAnswers key, so `access.<id>` problems land here.
FIELDS: dict[str, tuple[str, str]] = {
    "ssh_user": ("SSH user", "your login on this server"),
    "ssh_host": ("SSH host", "this server as you reach it"),
    "local_port": ("Local port", "the port on your computer"),
    "ssh_port": ("SSH port", "this server's sshd port"),
    "lan_ip": (
        "LAN address the router points at",
        "an address of this machine on the router's network",
    ),
    "server_name": ("Server name", "DNS name or address people type; empty = any"),
    "https_port": ("HTTPS port", "where nginx listens"),
    "listen_ip": ("nginx listen address", "empty = every address"),
    "certfile": ("TLS certificate file", "absolute path (PEM)"),
    "keyfile": ("TLS key file", "absolute path (PEM)"),
    "basic_auth_user": ("Basic-auth user", "empty = no basic auth before Jupyter's login"),
}
INT_FIELDS = {"local_port": 0, "ssh_port": 0, "https_port": 443}  # empty -> this value
PROXY_PW = ("proxy_pw1", "proxy_pw2")
# A problem's field (the answers key; the password's are the screen's own) -> the field showing it.
WIDGET_OF = {
    **{f"access.{name}": name for name in FIELDS},
    "access.proxy_password": "proxy_pw1",
    "access.proxy_password_again": "proxy_pw2",
}

# Which groups of fields each method shows (groups are containers with these ids).
GROUPS: dict[str, tuple[str, ...]] = {
    "ssh-tunnel": ("m-ssh",),
    "router-tunnel": ("m-router",),
    "direct": ("m-tls",),
    "reverse-proxy": ("m-proxy", "m-tls", "m-auth"),
}
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "m-ssh": ("ssh_user", "ssh_host", "local_port", "ssh_port"),
    "m-router": ("lan_ip",),
    "m-proxy": ("server_name", "https_port", "listen_ip"),
    "m-tls": ("certfile", "keyfile"),
    "m-auth": ("basic_auth_user",),
}


def methods() -> list[tuple[str, str]]:
    from wizard.plan import access

    return [(m.name, m.label) for m in access.all()]


def validate_access(answers: Any, facts: Any) -> list[Problem]:
    from wizard.plan import access

    return list(access.validate(answers, facts))


def instructions(answers: Any, facts: Any) -> str:
    """What the person will do from their computer (the access module's own words if it has them)."""
    from wizard.plan import access

    fn = getattr(access, "instructions", None)
    if fn is not None and facts is not None:
        try:
            result = fn(answers, facts)
        except Exception as exc:  # an unfinished module must not break the screen
            return f"(could not describe the access: {exc})"
        if isinstance(result, str):
            return result
        if callable(getattr(result, "render", None)):
            return str(result.render()).rstrip("\n")
        if isinstance(result, (list, tuple)):
            return "\n".join(str(x) for x in result)
        return str(result)
    net = answers.network
    port = net.port
    base = net.base_url
    if answers.access.method == "ssh-tunnel":
        return (
            f"From your computer:  ssh -N -L {port}:localhost:{port} USER@THIS-SERVER\n"
            f"then open http://localhost:{port}{base}"
        )
    return f"Open http://THIS-SERVER:{port}{base}"


def ssh_command(answers: Answers, facts: Any) -> str:
    """The exact `ssh -N -L ...` command for the person's computer ("" before the probe)."""
    from wizard.plan import access

    if facts is None:
        return ""
    try:
        return str(access.instructions(answers, facts).ssh_command)
    except Exception:
        return ""


def private_lan_address(answers: Answers, facts: Any) -> str:
    """router-tunnel prefill: the core's own choice, else this machine's first private LAN IPv4."""
    from wizard.plan import access
    from wizard.plan.access.router_tunnel import lan_target

    if facts is None:
        return ""
    target = lan_target(answers, facts)
    if target:
        return target
    lan = sorted(
        a.address
        for a in facts.addresses
        if ":" not in a.address and access.classify(a.address)[0] == "private LAN"
    )
    return lan[0] if lan else ""


def htpasswd_has_user(answers: Answers) -> bool:
    """Basic auth for this user exists already (an empty proxy password then keeps it)."""
    from wizard.plan.access.nginx import DEFAULT_HTPASSWD

    a = answers.access
    path = Path(a.htpasswd_file) if a.htpasswd_file else DEFAULT_HTPASSWD
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return False
    return any(line.split(":", 1)[0] == a.basic_auth_user for line in lines)


def proxy_password_problems(answers: Answers, first: str, second: str) -> list[Problem]:
    """The basic-auth password, entered twice (only asked when there is a basic-auth user)."""
    if answers.access.method != "reverse-proxy" or not answers.access.basic_auth_user:
        return []
    if first != second:
        return [Problem("access.proxy_password_again", "the two entries differ")]
    if not first and not htpasswd_has_user(answers):
        return [
            Problem(
                "access.proxy_password",
                f"basic auth for {answers.access.basic_auth_user!r} needs a password",
            )
        ]
    return []


def where(problem: Problem) -> str:
    """For a problem another step fixes: which one, and its key."""
    step = step_of(problem.field)
    if step in ("access", "review"):
        return ""
    return f"  (fix it in step {STEP_NAMES.index(step) + 1}, {dict(STEPS)[step]})"


class AccessScreen(StepScreen):
    step = "access"
    title_text = "Access: reach JupyterLab from your computer"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_command", "Copy ssh command"),
        # Also from inside a field, where "c" is typed.
        Binding("ctrl+y", "copy_command", "Copy ssh command", show=False, priority=True),
    ]

    _typed_pw: tuple[str, str] = ("", "")
    _bindings_for = ""

    def compose_body(self) -> ComposeResult:
        yield Label("Method", classes="field-label")
        yield ChoiceList(methods(), id="method")
        yield Static("", id="access-problems", classes="problems", markup=False)
        yield Static("", id="ssh-command", markup=False)
        with Vertical(id="m-ssh", classes="method-fields"):
            with Horizontal(classes="field-row"):
                yield self._field("ssh_user")
                yield self._field("ssh_host")
            with Horizontal(classes="field-row"):
                yield self._field("local_port")
                yield self._field("ssh_port")
        with Vertical(id="m-router", classes="method-fields"):
            yield self._field("lan_ip")
        with Vertical(id="m-proxy", classes="method-fields"):
            with Horizontal(classes="field-row"):
                yield self._field("server_name")
                yield self._field("https_port")
            yield self._field("listen_ip")
        with Vertical(id="m-tls", classes="method-fields"):
            yield TickBox("Self-signed: make the pair if the files are missing", id="self_signed")
            with Horizontal(classes="field-row"):
                yield self._field("certfile")
                yield self._field("keyfile")
        with Vertical(id="m-auth", classes="method-fields"):
            yield self._field("basic_auth_user")
            with Horizontal(classes="field-row", id="proxy-pw"):
                yield Field("Basic-auth password", password=True, id="proxy_pw1")
                yield Field("Password again", password=True, id="proxy_pw2")
        yield Label("You will then", classes="field-label")
        yield Static("", id="instructions", markup=False)

    @staticmethod
    def _field(name: str) -> Field:
        label, hint = FIELDS[name]
        return Field(label, hint=hint, id=name)

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()  # fields the person has typed in: validated live

    # -- widgets <-> answers ---------------------------------------------------------------

    @property
    def method(self) -> str:
        return self.query_one("#method", ChoiceList).value or self.state.answers.access.method

    def load(self) -> None:
        a = self.state.answers.access
        self.query_one("#method", ChoiceList).set_value(a.method)
        for name in FIELDS:
            value = getattr(a, name)
            if name in INT_FIELDS:  # 0 = detected: shown empty, with the detected placeholder
                value = "" if value == 0 else str(value)
            if name == "lan_ip" and not value:
                value = private_lan_address(self.state.answers, self.state.facts)
            self.query_one(f"#{name}", Field).input.value = value
        self.query_one("#self_signed", Checkbox).value = a.self_signed
        self._show_detected()
        self._refresh(self.method)

    def _show_detected(self) -> None:
        """Placeholders say what an empty SSH field means here (detected from the session)."""
        facts = self.state.facts
        if facts is None:
            return
        from wizard.plan.access.ssh_tunnel import ssh_endpoint

        blank = self.state.answers.replace("access", ssh_user="", ssh_host="", ssh_port=0)
        user, host, port, _ = ssh_endpoint(blank, facts)
        placeholders = {
            "ssh_user": user,
            "ssh_host": host,
            "ssh_port": str(port),
            "local_port": str(self.state.answers.network.port),
        }
        for name, text in placeholders.items():
            self.query_one(f"#{name}", Field).input.placeholder = text

    def _typed(self, method: str) -> tuple[Answers, list[Problem]]:
        """The answers as the widgets hold them (only the chosen method's fields count)."""
        a = self.state.answers
        changes: dict[str, object] = {"method": method}
        problems: list[Problem] = []
        names = [n for g in GROUPS.get(method, ()) for n in GROUP_FIELDS[g]]
        for name in names:
            text = self.query_one(f"#{name}", Field).value.strip()
            if name in INT_FIELDS:
                if not text:
                    changes[name] = INT_FIELDS[name]
                    continue
                try:
                    changes[name] = int(text)
                except ValueError:
                    problems.append(Problem(f"access.{name}", f"{text!r} is not a number"))
                continue
            changes[name] = text
        if "m-tls" in GROUPS.get(method, ()):
            changes["self_signed"] = self.query_one("#self_signed", Checkbox).value
        return a.replace("access", **changes), problems

    def collect(self) -> None:
        answers, _ = self._typed(self.method)
        self.state.answers = answers
        first = self.query_one("#proxy_pw1", Field).value
        second = self.query_one("#proxy_pw2", Field).value
        self._typed_pw = (first, second)
        uses_auth = answers.access.method == "reverse-proxy" and answers.access.basic_auth_user
        self.state.proxy_password = first if uses_auth and first == second else ""

    # -- showing ---------------------------------------------------------------------------

    def _problems(self, method: str) -> tuple[Answers, list[Problem]]:
        answers, problems = self._typed(method)
        facts = self.state.facts
        if facts is not None:
            typed = {p.field for p in problems}  # a non-number is reported once, as typed
            problems += [p for p in validate_access(answers, facts) if p.field not in typed]
        first = self.query_one("#proxy_pw1", Field).value
        second = self.query_one("#proxy_pw2", Field).value
        problems += proxy_password_problems(answers, first, second)
        return answers, problems

    def _refresh(self, method: str, *, everything: bool = False) -> list[Problem]:
        """Show the chosen method's fields, its problems and the instructions."""
        groups = GROUPS.get(method, ())
        for group in GROUP_FIELDS:
            self.query_one(f"#{group}").display = group in groups
        answers, problems = self._problems(method)
        auth = bool(answers.access.basic_auth_user)
        self.query_one("#proxy-pw").display = auth
        if auth:
            keep = htpasswd_has_user(answers)
            self.query_one("#proxy_pw1", Field).hint = (
                "empty = keep the current one" if keep else "masked; never saved"
            )
        for name in (*FIELDS, *PROXY_PW):
            field = self.query_one(f"#{name}", Field)
            mine = [p for p in problems if WIDGET_OF.get(p.field) == name]
            if everything or name in self._touched:
                field.show(mine, warning=self._warning(name))
            elif not mine:
                field.show(warning=self._warning(name))
        rest = [p for p in problems if p.field not in WIDGET_OF]
        box = self.query_one("#access-problems", Static)
        self._update(box, "\n".join(f"✗ {p}{where(p)}" for p in rest))
        box.display = bool(rest)
        cmd = ssh_command(answers, self.state.facts) if method == "ssh-tunnel" else ""
        line = self.query_one("#ssh-command", Static)
        line.display = bool(cmd)
        self._update(line, f"On your computer (C or Ctrl+Y copies it):\n  {cmd}")
        self._update(
            self.query_one("#instructions", Static), instructions(answers, self.state.facts)
        )
        if method != self._bindings_for:  # the copy key is the SSH tunnel's only
            self._bindings_for = method
            self.refresh_bindings()
        return problems

    def _update(self, widget: Static, text: str) -> None:
        """Static.update re-lays out the screen: only when the text changes (every key)."""
        if widget.content != text:
            widget.update(text)

    def _warning(self, name: str) -> str | None:
        if name != "proxy_pw1":
            return None
        pw = self.query_one("#proxy_pw1", Field).value
        if not pw:
            return None
        from wizard.core.passwords import strength_hint

        hint = strength_hint(pw)
        return f"weak: {hint}" if hint else None

    @on(ChoiceList.Changed, "#method")
    def _method_changed(self, event: ChoiceList.Changed) -> None:
        if event.value == "router-tunnel":
            lan = self.query_one("#lan_ip", Field)
            if not lan.value:
                lan.input.value = private_lan_address(self.state.answers, self.state.facts)
        self._refresh(event.value)

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removesuffix("-input")
        if name not in FIELDS and name not in PROXY_PW:
            return
        if event.input.has_focus:  # typed, not filled in by load()
            self._touched.add(name)
            if name == "proxy_pw1" and self.query_one("#proxy_pw2", Field).value:
                self._touched.add("proxy_pw2")
        self._refresh(self.method)

    @on(Checkbox.Changed, "#self_signed")
    def _self_signed_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.has_focus:
            self._touched.update(("certfile", "keyfile"))
        self._refresh(self.method)

    def check(self) -> list[Problem]:
        problems = self._refresh(self.method, everything=True)
        if problems:
            first = next(
                (
                    self.query_one(f"#{WIDGET_OF[p.field]}", Field)
                    for p in problems
                    if p.field in WIDGET_OF
                ),
                None,
            )
            if first is not None and shown(first):
                first.input.focus()
        return problems

    # -- keys ------------------------------------------------------------------------------

    @on(ChoiceList.OptionSelected)
    def _choice_selected(self, event: ChoiceList.OptionSelected) -> None:
        """Enter on the method: into its fields (the SSH tunnel's are optional: next step)."""
        if not isinstance(event.option_list, ChoiceList):
            return
        event.stop()
        if self.method == "ssh-tunnel":
            self.action_next()
            return
        for group in GROUPS.get(self.method, ()):
            for widget in self.query_one(f"#{group}").query("Input, Checkbox"):
                if shown(widget) and widget.focusable:
                    self.set_focus(widget)
                    return
        self.action_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_command":
            return self.method == "ssh-tunnel"
        return True

    def action_copy_command(self) -> None:
        answers, _ = self._typed(self.method)
        cmd = ssh_command(answers, self.state.facts)
        if not cmd:
            self.notify("The command is ready once this machine has been looked at.")
            return
        self.app.copy_to_clipboard(cmd)
        self.notify(
            f"{cmd}\n(sent to your terminal's clipboard with OSC 52; in tmux: set -g set-clipboard on)",
            title="Copied",
        )
