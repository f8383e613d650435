"""Access: how you reach JupyterLab from your own computer.

Its methods, fields, defaults and checks are wizard.forms.access's. Each method shows only its
own fields; the core's problems (`access.lan_ip`, ...) appear under the field they name, those
of other steps (`network.ip`, ...) under the instructions.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static

from screens.base import StepScreen, shown
from screens.widgets import ChoiceList, Field
from screens.widgets.tick import TickBox
from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms import access as form
from wizard.forms.password import strength
from wizard.forms.state import where

FIELDS = form.FIELDS
PROXY_PW = ("proxy_pw1", "proxy_pw2")
# A problem's field (the answers key; the password's are the screen's own) -> the field showing it.
WIDGET_OF = {
    **{f"access.{name}": name for name in FIELDS},
    f"access.{form.PROXY_PASSWORD.name}": "proxy_pw1",
    f"access.{form.PROXY_PASSWORD_AGAIN.name}": "proxy_pw2",
}


class AccessScreen(StepScreen):
    step = "access"
    title_text = form.TITLE

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_command", N_("Copy ssh command")),
        # Also from inside a field, where "c" is typed.
        Binding("ctrl+y", "copy_command", N_("Copy ssh command"), show=False, priority=True),
    ]

    _typed_pw: tuple[str, str] = ("", "")
    _tls_for = ""  # the method whose TLS choices are shown
    _bindings_for = ""

    def compose_body(self) -> ComposeResult:
        yield Label(form.METHOD.label, classes="field-label")
        yield ChoiceList(form.methods(), id="method")
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
            yield Label(form.TLS.label, classes="field-label")
            yield ChoiceList(form.tls_choices("direct"), id="tls")
            with Horizontal(classes="field-row", id="tls-files"):
                yield self._field("certfile")
                yield self._field("keyfile")
        with Vertical(id="m-acme", classes="method-fields"):
            yield Static("", id="acme-help", markup=False)
            yield self._field("acme_email")
            with Horizontal(classes="field-row"):
                yield self._field("acme_domains")
                yield self._field("acme_server")
            yield TickBox(form.INSTALL_CERTBOT.label, id=form.INSTALL_CERTBOT.name)
        with Vertical(id="m-auth", classes="method-fields"):
            yield self._field("basic_auth_user")
            with Horizontal(classes="field-row", id="proxy-pw"):
                yield Field(form.PROXY_PASSWORD.label, password=True, id="proxy_pw1")
                yield Field(form.PROXY_PASSWORD_AGAIN.label, password=True, id="proxy_pw2")
        yield Label(_("You will then"), classes="field-label")
        yield Static("", id="instructions", markup=False)

    @staticmethod
    def _field(name: str) -> Field:
        spec = FIELDS[name]
        return Field(spec.label, hint=spec.help, id=name)

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()  # fields the person has typed in: validated live

    # -- widgets <-> answers ---------------------------------------------------------------

    @property
    def method(self) -> str:
        return self.query_one("#method", ChoiceList).value or self.state.answers.access.method

    @property
    def tls(self) -> str:
        return self.query_one("#tls", ChoiceList).value or form.tls_kind(self.state.answers)

    def load(self) -> None:
        a = self.state.answers.access
        self.query_one("#method", ChoiceList).set_value(a.method)
        # 0 = detected: shown empty, with the detected placeholder.
        for name, value in form.values(self.state.answers, self.state.facts).items():
            self.query_one(f"#{name}", Field).input.value = value
        self._tls_choices(a.method, form.tls_kind(self.state.answers))
        self.query_one("#install_certbot", Checkbox).value = a.install_certbot
        self._show_detected()
        self._refresh(self.method)

    def _tls_choices(self, method: str, kind: str) -> None:
        """The TLS choices of `method` (direct may go without), `kind` chosen when offered."""
        self._tls_for = method
        choices = form.tls_choices(method)
        if kind not in [c.value for c in choices]:
            kind = form.tls_kind(self.state.answers.replace("access", method=method))
        self.query_one("#tls", ChoiceList).set_choices(choices, kind)

    def _show_detected(self) -> None:
        """Placeholders say what an empty SSH field means here (detected from the session)."""
        for name, text in form.detected(self.state.answers, self.state.facts).items():
            self.query_one(f"#{name}", Field).input.placeholder = text

    def _typed(self, method: str) -> tuple[Answers, list[Problem]]:
        """The answers as the widgets hold them (only the chosen method's fields count)."""
        texts = {name: self.query_one(f"#{name}", Field).value for name in form.fields_of(method)}
        install = self.query_one("#install_certbot", Checkbox).value
        return form.typed(self.state.answers, method, texts, self.tls, install_certbot=install)

    def collect(self) -> None:
        answers, _problems = self._typed(self.method)
        self.state.answers = answers
        first = self.query_one("#proxy_pw1", Field).value
        second = self.query_one("#proxy_pw2", Field).value
        self._typed_pw = (first, second)
        uses_auth = form.uses_basic_auth(answers)
        self.state.proxy_password = first if uses_auth and first == second else ""

    # -- showing ---------------------------------------------------------------------------

    def _problems(self, method: str) -> tuple[Answers, list[Problem]]:
        answers, typed = self._typed(method)
        first = self.query_one("#proxy_pw1", Field).value
        second = self.query_one("#proxy_pw2", Field).value
        return answers, form.problems(answers, self.state.facts, typed, (first, second))

    def _refresh(self, method: str, *, everything: bool = False) -> list[Problem]:
        """Show the chosen method's fields, its problems and the instructions."""
        kind = self.tls
        groups = form.groups_for(method, kind)
        for group in form.GROUP_FIELDS:
            self.query_one(f"#{group}").display = group in groups
        self.query_one("#tls-files").display = form.files_shown(kind)
        if form.ACME_GROUP in groups:
            self._update(self.query_one("#acme-help", Static), form.acme_help(method))
            self.query_one("#install_certbot").display = form.certbot_missing()
        answers, problems = self._problems(method)
        if form.ACME_GROUP in groups:  # empty names: the server name as typed, if any
            default = form.acme_domains_default(answers)
            self.query_one("#acme_domains", Field).input.placeholder = default
        auth = bool(answers.access.basic_auth_user)
        self.query_one("#proxy-pw").display = auth
        if auth:
            self.query_one("#proxy_pw1", Field).hint = form.proxy_password_help(answers)
        for name in (*FIELDS, *PROXY_PW):
            field = self.query_one(f"#{name}", Field)
            mine = [p for p in problems if WIDGET_OF.get(p.field) == name]
            if everything or name in self._touched:
                field.show(mine, warning=self._warning(name))
            elif not mine:
                field.show(warning=self._warning(name))
        rest = [p for p in problems if p.field not in WIDGET_OF]
        box = self.query_one("#access-problems", Static)
        self._update(box, self.problem_lines(rest, where))
        box.display = bool(rest)
        cmd = form.ssh_command(answers, self.state.facts) if method == "ssh-tunnel" else ""
        line = self.query_one("#ssh-command", Static)
        line.display = bool(cmd)
        self._update(
            line, _("On your computer (C or Ctrl+Y copies it):\n  {command}").format(command=cmd)
        )
        self._update(
            self.query_one("#instructions", Static), form.instructions(answers, self.state.facts)
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
        hint = strength(pw)
        return _("weak: {hint}").format(hint=hint) if hint else None

    @on(ChoiceList.Changed, "#method")
    def _method_changed(self, event: ChoiceList.Changed) -> None:
        if event.value == "router-tunnel":
            lan = self.query_one("#lan_ip", Field)
            if not lan.value:
                lan.input.value = form.private_lan_address(self.state.answers, self.state.facts)
        if form.TLS_GROUP in form.GROUPS.get(event.value, ()):
            # the choice made for another method with TLS stays; else the answers' own
            had_tls = form.TLS_GROUP in form.GROUPS.get(self._tls_for, ())
            self._tls_choices(event.value, self.tls if had_tls else "")
        self._refresh(event.value)

    @on(ChoiceList.Changed, "#tls")
    def _tls_changed(self, event: ChoiceList.Changed) -> None:
        self._refresh(self.method)

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

    @on(Checkbox.Changed, "#install_certbot")
    def _install_certbot_changed(self, event: Checkbox.Changed) -> None:
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
        if event.option_list.id == "tls":  # into the chosen kind's fields, or on
            self.focus_next()
            return
        if self.method == "ssh-tunnel":
            self.action_next()
            return
        for group in form.GROUPS.get(self.method, ()):
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
        answers, _problems = self._typed(self.method)
        cmd = form.ssh_command(answers, self.state.facts)
        if not cmd:
            self.notify(_("The command is ready once this machine has been looked at."))
            return
        self.app.copy_to_clipboard(cmd)
        self.notify(
            _(
                "{command}\n(sent to your terminal's clipboard with OSC 52; in tmux: set -g set-clipboard on)"
            ).format(command=cmd),
            title=_("Copied"),
        )
