"""Per-method access fields, allow_root, the create-venv fields and pip progress, with Pilot.

The machine is the fixed one of the snapshots (wizard_helpers.fixed_facts): addresses 127.0.0.1,
192.168.1.20 (eth0) and ::1, an SSH session to 192.168.1.20:22, user ada (uid 1000).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from screens.access import AccessScreen
from screens.apply import ApplyScreen
from screens.widgets import ChoiceList, Field
from screens.widgets.tick import TickBox
from tests.functional.wizard_helpers import planned, settle, snapshot_app, type_into
from wizard.apply.events import Progress
from wizard.plan.actions import Action, ApplyContext
from wizard.plan.plan import Plan
from wizard.plan.steps.install_actions import InstallSpec, PipInstall
from wizard.session import Planned

# A real pip log, captured from `pip install requests` into a fresh venv from a local
# file:// package index (PIP_PROGRESS_BAR=off, as wizard.plan.steps.install_actions.pip_env sets it).
PIP_LOG = Path(__file__).parent / "data" / "pip_install_requests.log"


def message(screen: Any, field_id: str) -> str:
    return str(screen.query_one(f"#{field_id} .field--message").render())


async def choose_method(pilot: Any, method: str) -> AccessScreen:
    await pilot.press("7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AccessScreen)
    methods = screen.query_one("#method", ChoiceList)
    methods.focus()
    await pilot.pause()
    while methods.value != method:
        await pilot.press("down")
    await settle(pilot)
    return screen


async def test_router_tunnel_lan_address_not_on_this_machine(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await choose_method(pilot, "router-tunnel")
        lan = screen.query_one("#lan_ip", Field)
        assert lan.display and lan.value == "192.168.1.20"  # prefilled: the private LAN address
        assert not screen.query_one("#m-ssh").display  # only the chosen method's fields
        await type_into(pilot, "lan_ip", "192.168.1.99")
        # Live, from wizard.plan.access.validate, under the field it names (access.lan_ip).
        assert "192.168.1.99 is not an address of this machine" in message(screen, "lan_ip")
        assert lan.has_class("-error")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen  # refused
        assert app.step_marks()["access"] == "✗"
        await type_into(pilot, "lan_ip", "192.168.1.20")
        assert "✗" not in message(screen, "lan_ip")
        # What is left is the network step's: Jupyter must listen where the router points.
        rest = str(screen.query_one("#access-problems").render())
        assert "network.ip" in rest and "step 5, Network" in rest
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.state.answers.access.method == "router-tunnel"
        assert app.state.answers.access.lan_ip == "192.168.1.20"


async def test_reverse_proxy_basic_auth_password_mismatch_is_refused(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await choose_method(pilot, "reverse-proxy")
        assert not screen.query_one("#proxy-pw").display  # no basic-auth user, no password
        await type_into(pilot, "basic_auth_user", "ada")
        assert screen.query_one("#proxy-pw").display
        await type_into(pilot, "proxy_pw1", "plum tree 4 ever")
        await type_into(pilot, "proxy_pw2", "plum tree 4 evr")
        assert screen.query_one("#proxy_pw1-input").password  # masked
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen  # refused
        assert "the two entries differ" in message(screen, "proxy_pw2")
        assert app.state.proxy_password == ""
        await type_into(pilot, "proxy_pw2", "plum tree 4 ever")
        assert "differ" not in message(screen, "proxy_pw2")
        await pilot.press("ctrl+n")
        await settle(pilot)
        # Held for the apply only (Secrets.proxy_password), never in the answers.
        assert app.state.proxy_password == "plum tree 4 ever"
        assert app.state.secrets.proxy_password == "plum tree 4 ever"
        assert app.state.answers.access.basic_auth_user == "ada"
        assert "plum tree" not in str(app.state.answers.to_dict())


async def test_ssh_command_is_copied(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await choose_method(pilot, "ssh-tunnel")
        await pilot.press("c")
        assert app.clipboard == "ssh -N -L 8888:localhost:8888 -- ada@192.168.1.20"
        await type_into(pilot, "ssh_port", "2222")
        await type_into(pilot, "local_port", "9999")
        await pilot.press("ctrl+y")  # from inside a field, where "c" would be typed
        assert app.clipboard == "ssh -N -L 9999:localhost:8888 -p 2222 -- ada@192.168.1.20"
        assert "9999:localhost:8888" in str(screen.query_one("#ssh-command").render())
        await type_into(pilot, "ssh_port", "22x")
        assert "'22x' is not a number" in message(screen, "ssh_port")
        await type_into(pilot, "ssh_port", "")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.step == "review"  # type: ignore[attr-defined]
        assert app.state.answers.access.local_port == 9999
        assert app.state.answers.access.ssh_port == 0  # empty = detected


async def test_allow_root_only_when_the_service_runs_as_root(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        screen = app.screen
        manager = screen.query_one("#manager", ChoiceList)
        manager.set_value("systemd-system")
        await settle(pilot)
        allow = screen.query_one("#allow_root", TickBox)
        assert not allow.display  # ada is not root
        await type_into(pilot, "user", "root")
        assert allow.display and screen.query_one("#root-risk").display
        assert "run as root" in str(screen.query_one("#root-risk").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "allow_root" in message(screen, "user")  # the core's own refusal
        allow.focus()
        await pilot.press("space")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.state.answers.service.allow_root
        assert "would run as root" not in message(screen, "user")
        await type_into(pilot, "user", "nobody")
        assert not allow.display
        screen.collect()  # type: ignore[attr-defined]
        assert not app.state.answers.service.allow_root  # never kept for another user


async def test_create_venv_shows_its_path_and_base_python(monkeypatch: Any) -> None:
    from wizard.plan.steps.install import default_base_python
    from wizard.probe.environments import default_venv_path

    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        venv = screen.query_one("#venv_path", Field)
        base = screen.query_one("#base_python", Field)
        assert not venv.display and not base.display  # "keep"
        screen.query_one("#action", ChoiceList).set_value("create-venv")
        await settle(pilot)
        assert venv.display and base.display
        assert venv.value == str(default_venv_path())
        assert base.value == default_base_python()
        screen.collect()  # type: ignore[attr-defined]
        assert app.state.answers.install.venv_path == ""  # the default stays "the default"
        await type_into(pilot, "venv_path", "/srv/jlab-venv")
        screen.collect()  # type: ignore[attr-defined]
        assert app.state.answers.install.venv_path == "/srv/jlab-venv"
        assert app.state.answers.install.base_python == ""


class ReplayPip(PipInstall):
    """For the UI only: streams a captured pip log through the real apply engine instead of
    running pip (the real install is proven in tests/system)."""

    def __init__(self, log: Path) -> None:
        super().__init__(
            InstallSpec(
                "/opt/jlab/bin/python",
                "jupyterlab",
                upgrade=False,
                previous=None,
                fresh=True,
                lab_bin="/opt/jlab/bin/jupyter-lab",
            )
        )
        self.log = log

    def apply(self, ctx: ApplyContext) -> None:
        self.stream(["cat", str(self.log)], ctx, env=None)

    def undo(self, ctx: ApplyContext) -> None:
        pass


class RecordingApply(ApplyScreen):
    """The apply screen, noting every pip label and bar it shows."""

    def __init__(self, planned: Planned) -> None:
        super().__init__(planned)
        self.shown: list[tuple[str, float | None]] = []

    def _show_progress(self, event: Progress) -> None:
        super()._show_progress(event)
        bar = self.query_one("#pip-bar")
        label = str(self.query_one("#pip-label").render())
        self.shown.append((label, bar.progress if bar.total is not None else None))  # type: ignore[attr-defined]


async def applied(app: Any, pilot: Any, action: Action) -> RecordingApply:
    """The apply screen of a one-action plan, once it finished (or after 100 settles)."""
    await settle(pilot)
    screen = RecordingApply(planned(app, Plan("test", [action])))
    app.switch_screen(screen)
    for _ in range(100):
        await settle(pilot)
        if screen.finished:
            break
    return screen


async def test_pip_progress_follows_real_pip_output(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await applied(app, pilot, ReplayPip(PIP_LOG))
        assert screen.finished and not screen.failed
        labels = [label for label, _ in screen.shown]
        assert labels[0] == "pip: Starting pip"
        resolving = [x for x in labels if x.startswith("pip: Resolving")]
        assert resolving[0] == "pip: Resolving: 1 packages so far (requests)"
        assert resolving[-1] == "pip: Resolving: 5 packages so far (certifi)"
        assert labels[-2:] == ["pip: Installing 5 packages", "pip: Installed 5 packages"]
        bars = [bar for _, bar in screen.shown]
        assert bars[: len(resolving) + 1] == [None] * (len(resolving) + 1)  # resolving: no total
        assert bars[-2:] == [90, 100]
        assert screen.states == ["done"]
        assert str(screen.query_one("#pip-label").render()) == "pip: Installed 5 packages"
        assert screen.query_one("#pip-bar").total == 100  # type: ignore[attr-defined]


async def test_basic_auth_password_reaches_the_plan_not_the_answers(monkeypatch: Any) -> None:
    from screens.review import ReviewScreen
    from tests.functional.wizard_helpers import SNAP_ROOT
    from wizard.core.answers import Answers

    current = Answers().replace(
        "access",
        method="reverse-proxy",
        self_signed=True,
        nginx_site=str(SNAP_ROOT / "site.conf"),
        htpasswd_file=str(SNAP_ROOT / "htpasswd"),
    )
    app = snapshot_app(monkeypatch, current=current)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await type_into(pilot, "pw1", "jupyter pass 77")
        await type_into(pilot, "pw2", "jupyter pass 77")
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")  # Password, Network, Service
        await settle(pilot)
        assert isinstance(app.screen, AccessScreen)
        await type_into(pilot, "basic_auth_user", "ada")
        await type_into(pilot, "proxy_pw1", "plum tree 4 ever")
        await type_into(pilot, "proxy_pw2", "plum tree 4 ever")
        await pilot.press("enter")  # the last field: next step
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen), app.screen
        assert screen.plan is not None, screen.query_one("#plan").render()
        text = screen.plan.render()
        assert str(SNAP_ROOT / "htpasswd") in text and "basic auth" in text
        assert "plum tree" not in text
        assert "plum tree" not in str(app.state.answers.to_dict())


class ReplayFailingPip(ReplayPip):
    """The captured log cut off while resolving, then pip's refusal and a non-zero exit."""

    def apply(self, ctx: ApplyContext) -> None:
        script = f"head -n 6 {self.log}; echo 'ERROR: No matching distribution found for x'; exit 1"
        self.stream(["sh", "-c", script], ctx, env=None)


async def test_pip_failure_while_resolving_leaves_no_animating_bar(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await applied(app, pilot, ReplayFailingPip(PIP_LOG))
        assert screen.failed and screen.states == ["failed"]
        assert str(screen.query_one("#pip-label").render()) == "pip: pip failed"
        # An indeterminate (animating) bar kept the app from exiting in a real terminal.
        assert screen.query_one("#pip-bar").total is not None  # type: ignore[attr-defined]


def as_root_without_certbot(monkeypatch: Any, app: Any) -> None:
    """The fixed machine as root (ACME needs it), with nginx and openssl but no certbot."""
    import dataclasses
    import shutil

    real_which = shutil.which
    tools = {"nginx": "/usr/sbin/nginx", "openssl": "/usr/bin/openssl", "certbot": None}
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: tools[name] if name in tools else real_which(name)
    )
    prober = app.prober
    app.prober = lambda python, cdir: dataclasses.replace(prober(python, cdir), euid=0)


async def choose_tls(pilot: Any, screen: AccessScreen, kind: str) -> None:
    tls = screen.query_one("#tls", ChoiceList)
    tls.focus()
    await pilot.pause()
    for _ in range(5):
        if tls.value == kind:
            break
        await pilot.press("down")
    await settle(pilot)
    assert tls.value == kind


async def test_reverse_proxy_acme_fields_checked_by_the_grammar_and_planned(
    monkeypatch: Any,
) -> None:
    from screens.review import ReviewScreen
    from tests.functional.wizard_helpers import SNAP_ROOT
    from wizard.core.answers import Answers

    current = Answers().replace(
        "access", method="reverse-proxy", self_signed=True, nginx_site=str(SNAP_ROOT / "site.conf")
    )
    app = snapshot_app(monkeypatch, current=current)
    as_root_without_certbot(monkeypatch, app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await type_into(pilot, "pw1", "jupyter pass 77")
        await type_into(pilot, "pw2", "jupyter pass 77")
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")  # Password, Network, Service
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccessScreen)
        assert not screen.query_one("#m-acme").display
        await type_into(pilot, "server_name", "lab.example.org")
        await choose_tls(pilot, screen, "acme")
        assert screen.query_one("#m-acme").display and not screen.query_one("#tls-files").display
        help_text = str(screen.query_one("#acme-help").render())
        assert "Port 80 must reach this machine" in help_text and "5 failures" in help_text
        # empty names: the server name (as typed)
        assert screen.query_one("#acme_domains-input", Input).placeholder == "lab.example.org"
        # The answers' grammar, live under each field.
        await type_into(pilot, "acme_email", "ada at example")
        assert "is not an e-mail address" in message(screen, "acme_email")
        await type_into(pilot, "acme_email", "ada@example.org")
        assert "✗" not in message(screen, "acme_email")
        await type_into(pilot, "acme_domains", "lab.example.org, 10.0.0.1")
        assert "'10.0.0.1' is not a DNS name" in message(screen, "acme_domains")
        await type_into(pilot, "acme_domains", "lab.example.org, www.example.org")
        await type_into(pilot, "acme_server", "ftp://ca.example.org/dir")
        assert "is not an http(s) URL" in message(screen, "acme_server")
        await type_into(pilot, "acme_server", "https://ca.example.org/dir")
        # certbot is missing: without consent the step is refused, with the fix.
        tick = screen.query_one("#install_certbot", TickBox)
        assert tick.display and not tick.value
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen
        box = str(screen.query_one("#access-problems").render())
        assert "certbot is not installed: apt install certbot" in box
        tick.focus()
        await pilot.press("space")
        await settle(pilot)
        assert "certbot" not in str(screen.query_one("#access-problems").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen), app.screen
        a = app.state.answers.access
        assert (a.tls, a.acme_email, a.acme_server) == (
            "acme", "ada@example.org", "https://ca.example.org/dir"
        )  # fmt: skip
        assert a.acme_domains == ["lab.example.org", "www.example.org"] and a.install_certbot
        assert not a.self_signed and not a.certfile
        assert review.plan is not None, review.query_one("#plan").render()
        text = review.plan.render()
        assert "$ apt-get install -y certbot" in text
        assert "certbot certonly" in text and "-d www.example.org" in text
        assert text.index("apt-get install") < text.index("certbot certonly")


async def test_direct_acme_then_back_to_self_signed(monkeypatch: Any) -> None:
    app = snapshot_app(monkeypatch)
    as_root_without_certbot(monkeypatch, app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await choose_method(pilot, "direct")
        assert screen.query_one("#tls", ChoiceList).value == "none"
        await choose_tls(pilot, screen, "acme")
        # direct has no server name: the names are required, and asked for.
        assert screen.query_one("#acme_domains-input", Input).placeholder == ""
        await type_into(pilot, "acme_email", "ada@example.org")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen
        assert "missing: the DNS name(s)" in message(screen, "acme_domains")
        await type_into(pilot, "acme_domains", "lab.example.org")
        assert "✗" not in message(screen, "acme_domains")
        await choose_tls(pilot, screen, "self-signed")
        assert not screen.query_one("#m-acme").display
        screen.collect()
        a = app.state.answers.access
        assert a.tls == "" and a.self_signed and not a.install_certbot
