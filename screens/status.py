"""The live status screen: one snapshot a second, taken in a thread, never blocking a key.

`StatusScreen(interval)` is self-contained: the wizard app pushes it, `StatusApp` runs it alone
(`jupyter-setup-wizard status`). The next snapshot is scheduled when the previous one has been
shown, so a slow probe delays the refresh instead of piling up threads.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Log, OptionList, Static
from textual.widgets.option_list import Option

from screens.terminal import HANGUP_EXIT, GuardedDriver, TerminalLost
from screens.widgets.footer import KeysFooter
from screens.widgets.translated import TranslatedBindings
from wizard.core.i18n import N_, _, ngettext
from wizard.verify.status.collect import Sampler, take_snapshot
from wizard.verify.status.model import Server, Snapshot
from wizard.verify.status.render import certificate_line, fmt_bytes, fmt_duration, service_line

HERE = Path(__file__).parent
SERVICE_VERBS = {
    "start": N_("Starting the service…"),
    "stop": N_("Stopping the service…"),
    "restart": N_("Restarting the service…"),
}
JOURNAL_LINES = 200

_STATE_TEXT = {
    "healthy": (N_("✓ JupyterLab is running and healthy"), "status-ok"),
    "down": (N_("✗ JupyterLab is NOT running"), "status-down"),
    "degraded": (N_("! JupyterLab is running, with findings"), "status-warn"),
}


class StatusScreen(TranslatedBindings, Screen[None]):
    """Live status: service, servers, sockets, findings; service keys, journal, URL, fixes."""

    CSS_PATH = HERE / "status.tcss"
    AUTO_FOCUS = "#findings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "service('start')", N_("Start")),
        Binding("x", "service('stop')", N_("Stop")),
        Binding("r", "service('restart')", N_("Restart")),
        Binding("j", "journal", N_("Journal")),
        Binding("u", "reveal", N_("Show URL")),
        Binding("c", "copy", N_("Copy URL")),
        Binding("f", "fix", N_("Fix")),
        Binding("q", "close", N_("Quit")),
        Binding("escape", "close_journal", N_("Close journal"), show=False),
    ]

    class FixRequested(Message):
        """Go to the wizard step that fixes a finding (the wizard app handles it)."""

        def __init__(self, step: str, code: str) -> None:
            self.step = step
            self.code = code
            super().__init__()

    def __init__(
        self,
        interval: float = 1.0,
        *,
        take: Callable[[], Snapshot] | None = None,
        service_control: Callable[[str], str] | None = None,
        name: str | None = None,
    ) -> None:
        """`take` gives a snapshot (default: a real one); tests inject fixed ones."""
        super().__init__(name=name)
        self.interval = max(0.1, interval)
        self._sampler = Sampler()
        self._take: Callable[[], Snapshot] = take or (lambda: take_snapshot(sampler=self._sampler))
        self._service_control = service_control or _service_control
        self.snapshot: Snapshot | None = None
        self.show_token = False
        self._timer: Timer | None = None
        self._finding_keys: tuple[tuple[str, str], ...] | None = None
        self._shown: dict[str, Any] = {}
        self.refreshes = 0  # snapshots shown (tests wait on it)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="status-body"):
            # What matters most first: the verdict, then what to fix, then the details.
            yield Static(_("Taking the first snapshot…"), id="state", markup=False)
            yield Static("", id="configured", markup=False)
            yield Static("", id="service", markup=False)
            yield Static(
                _("Findings (F or Enter: go to the step that fixes it)"),
                classes="section-title",
                markup=False,
            )
            yield OptionList(id="findings")
            yield Static("", id="servers", markup=False)
            yield Static("", id="listeners", markup=False)
            yield Static("", id="url", markup=False)
        yield Log(id="journal", max_lines=5000, auto_scroll=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#journal", Log).display = False
        self.refresh_snapshot()

    # -- refreshing ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="status-snapshot", exit_on_error=False)
    def refresh_snapshot(self) -> None:
        try:
            snap: Snapshot | None = self._take()
            error = None
        except Exception as exc:  # one bad probe must not end the live view
            snap, error = None, f"{type(exc).__name__}: {exc}"
        self.app.call_from_thread(self._shown_then_schedule, snap, error)

    def _shown_then_schedule(self, snap: Snapshot | None, error: str | None) -> None:
        if not self.is_attached:
            return
        if snap is not None:
            self.show_snapshot(snap)
        elif error:
            self.notify(
                _("snapshot failed: {error}").format(error=error), severity="error", timeout=3
            )
        self._timer = self.set_timer(self.interval, self.refresh_snapshot)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.refreshes += 1
        text, cls = _STATE_TEXT[snap.state]
        text = _(text)
        if snap.state == "degraded":
            text = ngettext(
                "! JupyterLab is running, with {count} finding(s)",
                "! JupyterLab is running, with {count} finding(s)",
                len(snap.findings),
            ).format(count=len(snap.findings))
        state = self.query_one("#state", Static)
        state.set_classes(cls)
        self._set("#state", text)
        cfg = snap.configured
        self._set(
            "#configured",
            _("Configured ({source}): port {port}, ip {ip}").format(
                source=_(cfg.source), port=cfg.port, ip=cfg.ip or "all"
            )
            + (
                _(", access {method}").format(method=cfg.access_method) if cfg.access_method else ""
            ),
        )
        service = _("Service: {service}").format(service=service_line(snap.service))
        if snap.certificate is not None:  # the one the access method serves
            service += "\n" + _("Certificate ({endpoint}): {line}").format(
                endpoint=snap.certificate.endpoint, line=certificate_line(snap.certificate)
            )
        self._set("#service", service)
        self._set("#servers", _servers_text(snap, self.show_token))
        self._set("#listeners", _listeners_text(snap))
        self._show_findings(snap)
        self._set("#url", self._url_text(snap))

    def _set(self, selector: str, value: str) -> None:
        # Only touch widgets whose text changed: an idle screen then costs next to nothing.
        if self._shown.get(selector) != value:
            self._shown[selector] = value
            self.query_one(selector, Static).update(value)

    def _show_findings(self, snap: Snapshot) -> None:
        keys = tuple((f.code, f.message) for f in snap.findings)
        if keys == self._finding_keys:
            return
        self._finding_keys = keys
        options = self.query_one("#findings", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if not snap.findings:
            options.add_option(
                Option(Text(_("✓ none: everything agrees with the configuration")), disabled=True)
            )
            return
        for i, f in enumerate(snap.findings):
            mark = "✗" if f.severity == "error" else "!"
            name = _("{step} step").format(step=_(f.step.capitalize())) if f.step else ""
            step = f" (F: {name})" if name and name not in f.fix else ""
            options.add_option(
                Option(
                    Text(
                        _("{mark} {message}\n   fix: {fix}{step}").format(
                            mark=mark, message=f.message, fix=f.fix, step=step
                        )
                    ),
                    id=f"f{i}",
                )
            )
        options.highlighted = (
            highlighted if highlighted is not None and highlighted < len(snap.findings) else 0
        )

    def _url_text(self, snap: Snapshot) -> str:
        server = primary_server(snap)
        if server is None:
            return ""
        if not server.token:
            return _("URL: {url}  (password login)").format(url=server.url) if server.url else ""
        if self.show_token:
            return _("URL with token: {url}").format(url=server.url_with_token)
        return _("URL: {url}  (token hidden: U shows it, C copies the URL with it)").format(
            url=server.url
        )

    # -- keys ------------------------------------------------------------------------------

    def action_reveal(self) -> None:
        self.show_token = not self.show_token
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)

    def action_copy(self) -> None:
        server = primary_server(self.snapshot) if self.snapshot else None
        if server is None or not server.url:
            self.notify(_("No running server to copy a URL from."), severity="warning")
            return
        # OSC 52: reaches the clipboard of the computer the terminal runs on, over SSH too.
        self.app.copy_to_clipboard(server.url_with_token)
        self.notify(
            _("Copied the URL with token to the clipboard (if the terminal allows OSC 52).")
            if server.token
            else _("Copied the URL to the clipboard (if the terminal allows OSC 52).")
        )

    def action_fix(self) -> None:
        snap = self.snapshot
        options = self.query_one("#findings", OptionList)
        if snap is None or not snap.findings:
            self.notify(_("Nothing to fix."))
            return
        i = options.highlighted if options.highlighted is not None else 0
        finding = snap.findings[min(i, len(snap.findings) - 1)]
        if finding.step is None:
            self.notify(
                _("No wizard step fixes this; {fix}.").format(fix=finding.fix), severity="warning"
            )
            return
        self.post_message(self.FixRequested(finding.step, finding.code))

    @on(OptionList.OptionSelected, "#findings")
    def _finding_selected(self) -> None:
        self.action_fix()

    def action_service(self, verb: str) -> None:
        self.notify(_(SERVICE_VERBS.get(verb, "{verb}…")).format(verb=verb), timeout=2)
        self._run_service(verb)

    @work(thread=True, group="status-service", exit_on_error=False)
    def _run_service(self, verb: str) -> None:
        try:
            message, severity = self._service_control(verb), "information"
        except Exception as exc:
            message, severity = _("{verb} failed: {error}").format(verb=verb, error=exc), "error"
        self.app.call_from_thread(self.notify, message, severity=severity)

    def action_journal(self) -> None:
        log = self.query_one("#journal", Log)
        if log.display:
            self.action_close_journal()
            return
        log.display = True
        log.clear()
        log.write_line(_("Reading the journal…"))
        log.focus()
        self._load_journal()

    def action_close_journal(self) -> None:
        log = self.query_one("#journal", Log)
        if log.display:
            log.display = False
            self.query_one("#findings").focus()

    @work(thread=True, exclusive=True, group="status-journal", exit_on_error=False)
    def _load_journal(self) -> None:
        try:
            text = self._service_control("journal")
        except Exception as exc:
            text = _("cannot read the journal: {error}").format(error=exc)
        self.app.call_from_thread(self._show_journal, text)

    def _show_journal(self, text: str) -> None:
        log = self.query_one("#journal", Log)
        log.clear()
        log.write_lines(text.splitlines() or [_("(the journal is empty)")])
        log.scroll_end(animate=False)

    def action_close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.dismiss(None)


def primary_server(snap: Snapshot | None) -> Server | None:
    """The server on the configured port, else the first one."""
    if snap is None or not snap.servers:
        return None
    port = snap.configured.port
    for s in snap.servers:
        if any(x.port == port for x in s.listening) or s.port == port:
            return s
    return snap.servers[0]


def _servers_text(snap: Snapshot, show_token: bool) -> str:
    if not snap.servers:
        return _("Servers: none running")
    lines = [_("Servers ({count}):").format(count=len(snap.servers))]
    for s in snap.servers:
        who = f" ({s.user})" if s.user else ""
        lines.append(
            _("  pid {pid}{who}  {url}  server {version}").format(
                pid=s.pid, who=who, url=s.url or _("(no runtime file)"), version=s.version or "?"
            )
        )
        cpu = "?" if s.cpu_percent is None else f"{s.cpu_percent:.1f}"
        lines.append(
            _("    up {uptime}  cpu {cpu}%  rss {rss}  kernels {kernels}").format(
                uptime=fmt_duration(s.uptime_s),
                cpu=cpu,
                rss=fmt_bytes(s.rss_bytes),
                kernels=s.kernels,
            )
        )
        if s.http is not None:
            if s.http.ok:
                lines.append(f"    ✓ HTTP {s.http.url}: {s.http.latency_ms} ms")
            else:
                lines.append(f"    ✗ HTTP {s.http.url}: {s.http.error}")
    return "\n".join(lines)


def _listeners_text(snap: Snapshot) -> str:
    lines = [_("Listening:")]
    if not snap.listeners:
        lines.append(_("  nothing on port {port}").format(port=snap.configured.port))
    for x in snap.listeners:
        host = f"[{x.address}]" if ":" in x.address else x.address
        lines.append(f"  {host}:{x.port}  {x.describe()}")
    return "\n".join(lines)


def _service_control(verb: str) -> str:
    """Start/stop/restart the configured service, or read its journal (runs in a worker thread)."""
    from wizard.core.record import load_current

    answers = load_current()
    if answers is None or answers.service.manager == "none":
        return _(
            "No service is configured (JupyterLab is started by hand): "
            "set one up in the wizard's Service step."
        )
    from wizard.plan.service import managers as services

    ctl = services.controller(answers.service, config_dir=answers.jupyter.config_dir)
    if verb == "journal":
        return str(ctl.journal(JOURNAL_LINES))
    getattr(ctl, verb)()
    return _("Service {name}: {verb} done.").format(name=answers.service.name, verb=verb)


class StatusApp(App[int]):
    """`jupyter-setup-wizard status`: the status screen on its own."""

    TITLE = "jupyter-setup-wizard status"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", N_("Quit"), show=False, priority=True),
    ]

    def __init__(
        self,
        interval: float = 1.0,
        *,
        take: Callable[[], Snapshot] | None = None,
        service_control: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(driver_class=GuardedDriver)
        self._screen_args: dict[str, Any] = {
            "interval": interval,
            "take": take,
            "service_control": service_control,
        }
        self.fix_requests: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(StatusScreen(**self._screen_args), lambda _: self.exit(0))

    def on_terminal_lost(self, message: TerminalLost) -> None:
        self.exit(HANGUP_EXIT)

    def on_status_screen_fix_requested(self, message: StatusScreen.FixRequested) -> None:
        self.fix_requests.append(message.step)
        self.notify(
            _("Fixed in the wizard's {step} step: run jupyter-setup-wizard and choose it.").format(
                step=_(message.step.capitalize())
            ),
            timeout=6,
        )


def run_status(args: argparse.Namespace) -> int:
    app = StatusApp(interval=float(getattr(args, "interval", 1.0) or 1.0))
    return int(app.run() or 0)
