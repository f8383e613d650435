"""`jupyter-setup-wizard --plain`: the same steps as line-by-line questionary prompts.

Same defaults (current setup, then the install suggestion), same core validators, same review
(plan.render()) and the same apply; for terminals or people a full-screen UI does not suit.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import questionary

from screens.access import (
    FIELDS,
    INT_FIELDS,
    htpasswd_has_user,
    instructions,
    methods,
    private_lan_address,
    proxy_password_problems,
    ssh_command,
    validate_access,
)
from screens.install import ACTION_LABELS, install_actions, validate_install
from screens.network import field_problems, ip_hint
from screens.service import managers, validate_service
from screens.state import (
    STEP_NAMES,
    WizardState,
    discover_environments,
    env_label,
    env_python,
    step_of,
    suggested_answers,
)
from screens.welcome import glance
from wizard.core.answers import Answers
from wizard.core.errors import ApplyError, InputError, Problem, WizardError
from wizard.plan import access
from wizard.session import Planned


class Aborted(Exception):
    """The person pressed Ctrl+C / Ctrl+D at a prompt."""


def _ask(question: Any) -> Any:
    answer = question.ask()
    if answer is None:
        raise Aborted
    return answer


def _validator(check: Callable[[str], list[Problem]]) -> Callable[[str], bool | str]:
    def validate(value: str) -> bool | str:
        problems = check(value)
        return True if not problems else "; ".join(p.message for p in problems)

    return validate


def _text(
    label: str, default: str = "", check: Callable[[str], list[Problem]] | None = None
) -> str:
    """A free-text prompt, checked by a core validator when given; the answer stripped."""
    validate = _validator(check) if check else None
    return str(_ask(questionary.text(label, default=default, validate=validate))).strip()


def _probe(state: WizardState) -> None:
    from wizard import session
    from wizard.plan.steps.password import current_password

    try:
        state.facts = session.facts_for(state.answers)
    except WizardError as exc:
        print(f"! {exc}")
        state.facts = None
        return
    state.has_current_password = current_password(state.facts) is not None


# -- one function per step ------------------------------------------------------------------


def ask_install(state: WizardState, envs: list[Any]) -> None:
    a = state.answers
    other = "other"
    choices = [questionary.Choice(env_label(e), value=env_python(e)) for e in envs]
    known = [c.value for c in choices]
    if a.jupyter.python and a.jupyter.python not in known:
        choices.insert(
            0, questionary.Choice(f"{a.jupyter.python}  (chosen)", value=a.jupyter.python)
        )
    choices.append(questionary.Choice("Another interpreter (type its path)", value=other))
    python = _ask(
        questionary.select(
            "Python environment for JupyterLab:",
            choices=choices,
            default=a.jupyter.python if a.jupyter.python in [c.value for c in choices] else None,
        )
    )
    if python == other:
        python = _ask(
            questionary.text(
                "Interpreter path:",
                validate=lambda v: v.startswith("/") or "must be an absolute path",
            )
        ).strip()
    default_action = a.install.action
    if python != a.jupyter.python and default_action == "create-venv":
        default_action = "keep"  # another environment was picked instead of a new venv
    action_choices = [questionary.Choice(label, value=value) for value, label in install_actions()]
    action = _ask(questionary.select("What to do:", choices=action_choices, default=default_action))
    venv_path, version = a.install.venv_path, a.install.version
    if action == "create-venv":
        venv_path = _text("New virtual environment path:", venv_path)
    if action in ("install", "upgrade", "create-venv"):
        version = _text("JupyterLab version (optional pip spec):", version)
    changed = python != a.jupyter.python
    state.answers = a.replace("jupyter", python=python).replace(
        "install", action=action, venv_path=venv_path, version=version
    )
    if changed or state.facts is None:
        _probe(state)
    if state.facts is not None:
        for p in validate_install(state.answers, state.facts):
            print(f"! {p}")


def ask_password(state: WizardState) -> None:
    from wizard.core.passwords import strength_hint

    if state.has_current_password:
        state.keep_password = _ask(
            questionary.confirm("A password is set. Keep the current password?", default=True)
        )
        if state.keep_password:
            state.password = ""
            return
    while True:
        first = _ask(
            questionary.password(
                "New Jupyter password (empty: log in with a random token):",
            )
        )
        if first and (hint := strength_hint(first)):
            print(f"! weak password: {hint}")
        second = _ask(questionary.password("The same password again:"))
        if first == second:
            state.password = first
            state.keep_password = False
            return
        print("✗ the two entries differ; try again")


def ask_network(state: WizardState) -> None:
    facts = state.facts
    net = state.answers.network
    print(f"  ({ip_hint(facts)})")

    def ask(name: str, label: str, default: str) -> str:
        return _text(label, default, lambda v: field_problems(name, v, facts))

    ip = ask("ip", "Listen address:", net.ip)
    port = ask("port", "Port:", str(net.port))
    root_dir = ask("root_dir", "Root directory (empty: your home):", net.root_dir)
    base_url = ask("base_url", "Base URL:", net.base_url)
    state.answers = state.answers.replace(
        "network", ip=ip, port=int(port), root_dir=root_dir, base_url=base_url
    )


def ask_service(state: WizardState) -> None:
    s = state.answers.service
    choices = [questionary.Choice(label, value=value) for value, label in managers()]
    manager = _ask(
        questionary.select("Keep JupyterLab running with:", choices=choices, default=s.manager)
    )
    name, user, enable = s.name, s.user, s.enable
    if manager != "none":
        name = _text("Service name:", name) or s.name
        user = _text("Run as user (empty: you):", user)
        enable = _ask(questionary.confirm("Start at boot / login?", default=enable))
    state.answers = state.answers.replace(
        "service", manager=manager, name=name, user=user, enable=enable
    )
    if state.facts is not None:
        for p in validate_service(state.answers, state.facts):
            print(f"! {p}")


def ask_access(state: WizardState) -> None:
    """The method, then only its own fields: same defaults and core validators as the access screen."""
    choices = [questionary.Choice(label, value=value) for value, label in methods()]
    method = _ask(
        questionary.select(
            "Reach JupyterLab from your computer by:",
            choices=choices,
            default=state.answers.access.method,
        )
    )
    state.answers = state.answers.replace("access", method=method)
    state.proxy_password = ""
    _ask_method_fields(state, access.get(method))
    if state.facts is not None:
        for p in validate_access(state.answers, state.facts):
            print(f"! {p}")


# What an empty answer means, for fields that say so (the SSH ones: detected, see _detected).
EMPTY_MEANS = {
    "server_name": "any name",
    "listen_ip": "every address",
    "basic_auth_user": "no basic auth",
}


def _ask_method_fields(state: WizardState, method: access.AccessMethod) -> None:
    """The method's own fields in its order (access.AccessMethod.fields): the TLS pair as one
    choice, the LAN address with this machine's addresses; those without a prompt (FIELDS) are
    for answers files only."""
    detected: dict[str, str] | None = None
    for name in method.fields:
        if name == "self_signed":
            _ask_tls(state, optional=method.tls is access.Tls.OPTIONAL)
        elif name == "lan_ip":
            _ask_router(state)
        elif name in FIELDS and name not in ("certfile", "keyfile"):
            if detected is None:
                detected = _detected(state)
            value = getattr(state.answers.access, name)
            default = _int_default(value) if INT_FIELDS.get(name) == 0 else str(value)
            _ask_field(state, name, default, EMPTY_MEANS.get(name) or detected.get(name, ""))
            if name == "basic_auth_user" and state.answers.access.basic_auth_user:
                _ask_proxy_password(state)
    cmd = ssh_command(state.answers, state.facts)
    if cmd:
        print(f"  On your computer you will run:  {cmd}")


def _access_problems(
    state: WizardState, name: str, text: str, *, required: bool = False
) -> list[Problem]:
    """The core's verdict on one access field as typed (only that field's problems)."""
    text = text.strip()
    if required and not text:
        return [Problem(f"access.{name}", "missing: give an existing file")]
    value: object = text
    if name in INT_FIELDS:
        if not text:
            value = INT_FIELDS[name]
        else:
            try:
                value = int(text)
            except ValueError:
                return [Problem(f"access.{name}", f"{text!r} is not a number")]
    if state.facts is None:
        return []
    answers = state.answers.replace("access", **{name: value})
    return [p for p in validate_access(answers, state.facts) if p.field == f"access.{name}"]


def _ask_field(
    state: WizardState, name: str, default: str, empty_means: str = "", *, required: bool = False
) -> None:
    label = FIELDS[name][0] + (f" (empty: {empty_means})" if empty_means else "") + ":"
    text = _text(label, default, lambda v: _access_problems(state, name, v, required=required))
    value: object = (int(text) if text else INT_FIELDS[name]) if name in INT_FIELDS else text
    state.answers = state.answers.replace("access", **{name: value})


def _int_default(value: int) -> str:
    return "" if value == 0 else str(value)  # 0 = detected: shown empty, as on the access screen


def _detected(state: WizardState) -> dict[str, str]:
    """What the empty SSH fields stand for here (from the SSH session, else this machine)."""
    from wizard.plan.access.ssh_tunnel import ssh_endpoint

    facts = state.facts
    detected: dict[str, str] = {"local_port": f"{state.answers.network.port}, Jupyter's own"}
    if facts is None:
        return {**detected, "ssh_user": "detected", "ssh_host": "detected", "ssh_port": "detected"}
    blank = state.answers.replace("access", ssh_user="", ssh_host="", ssh_port=0)
    user, host, port, _ = ssh_endpoint(blank, facts)
    return {**detected, "ssh_user": user, "ssh_host": host, "ssh_port": str(port)}


def _ask_router(state: WizardState) -> None:
    facts = state.facts
    if facts is not None:
        mine = sorted({x.address for x in facts.addresses if not x.ip.is_loopback})
        if mine:
            print(f"  (this machine has: {', '.join(mine)})")
    default = state.answers.access.lan_ip or private_lan_address(state.answers, facts)
    _ask_field(state, "lan_ip", default)


TLS_CHOICES = {
    "none": "No TLS (the password crosses the network in clear text)",
    "self-signed": "Self-signed certificate (made if missing; browsers warn once)",
    "files": "My certificate and key files",
}


def _ask_tls(state: WizardState, *, optional: bool) -> None:
    a = state.answers.access
    current = "files" if a.certfile and not a.self_signed else "self-signed"
    if optional and not a.certfile and not a.self_signed:
        current = "none"
    kinds = [k for k in TLS_CHOICES if optional or k != "none"]
    kind = _ask(
        questionary.select(
            "TLS:",
            choices=[questionary.Choice(TLS_CHOICES[k], value=k) for k in kinds],
            default=current,
        )
    )
    if kind == "none":
        state.answers = state.answers.replace("access", self_signed=False, certfile="", keyfile="")
    elif kind == "self-signed":
        keep = a.self_signed  # paths given with self_signed say where the pair is made
        state.answers = state.answers.replace(
            "access",
            self_signed=True,
            certfile=a.certfile if keep else "",
            keyfile=a.keyfile if keep else "",
        )
    else:
        state.answers = state.answers.replace("access", self_signed=False)
        # Required here: for direct, an empty pair would quietly mean no TLS.
        _ask_field(state, "certfile", a.certfile, required=True)
        _ask_field(state, "keyfile", a.keyfile, required=True)


def _ask_proxy_password(state: WizardState) -> None:
    """Twice, masked; only into Secrets (the htpasswd the plan writes), never the answers."""
    from wizard.core.passwords import strength_hint

    user = state.answers.access.basic_auth_user
    keep = htpasswd_has_user(state.answers)
    while True:
        first = _ask(
            questionary.password(
                f"Basic-auth password for {user}"
                + (" (empty: keep the current one):" if keep else ":")
            )
        )
        if first and (hint := strength_hint(first)):
            print(f"! weak password: {hint}")
        second = _ask(questionary.password("The same password again:"))
        problems = proxy_password_problems(state.answers, first, second)
        if not problems:
            state.proxy_password = first
            return
        for p in problems:
            print(f"✗ {p.message}; try again")


# -- the whole run ----------------------------------------------------------------------------


def run_plain() -> int:
    try:
        return _run()
    except Aborted:
        print("\nStopped. Nothing was changed.")
        return 1


def _run() -> int:
    from wizard.core.record import load_current

    previous = load_current()
    state = WizardState(answers=previous or Answers(), configured=previous is not None)
    print("jupyter-setup-wizard (plain mode). Nothing changes until you confirm the plan.\n")
    envs = discover_environments()
    if previous is None:
        state.answers = suggested_answers(state.answers, envs)
    _probe(state)
    for line in glance(state.facts, state.answers, state.has_current_password, state.configured):
        print("  " + line)
    print()
    asks: dict[str, Callable[[WizardState], None]] = {
        "install": lambda st: ask_install(st, envs),
        "password": ask_password,
        "network": ask_network,
        "service": ask_service,
        "access": ask_access,
    }
    todo = list(asks)
    while True:
        for step in todo:
            print(f"\n== {STEP_NAMES.index(step)}. {step.capitalize()}")
            asks[step](state)
        planned, problems = _plan(state)
        if planned is not None:
            break
        print("\nCannot make a plan yet:")
        for p in problems:
            print(f"  ✗ {p}")
        steps = {step_of(p.field) for p in problems} & set(asks)
        todo = [s for s in asks if s in steps] or list(asks)
        print("Asking those steps again.")
    plan = planned.plan
    print("\n== Review (nothing has been changed yet)\n")
    print(plan.render(), end="")
    if not plan.changes():
        print("\nNothing to change.")
        return 0
    if not _ask(questionary.confirm(f"Apply {len(plan.changes())} change(s)?", default=False)):
        print("Nothing changed.")
        return 0
    return _apply(planned)


def _plan(state: WizardState) -> tuple[Planned | None, list[Problem]]:
    from wizard import session

    if state.facts is None:
        return None, [Problem("jupyter.python", "the interpreter could not be probed")]
    try:
        return session.plan(state.answers, state.secrets, state.facts), []
    except InputError as exc:
        return None, exc.problems


def _apply(planned: Planned) -> int:
    from wizard import session
    from wizard.apply.events import print_events

    print()
    try:
        result = session.apply(planned, on_event=print_events, cancelled=threading.Event())
    except ApplyError:
        print("\n✗ The apply failed and was rolled back; the machine is as before.")
        return 1
    except KeyboardInterrupt:
        print("\nStopped; what was done was rolled back.")
        return 130
    print(
        f"\n✓ Applied (ID {result.journal_id}). Undo with: jupyter-setup-wizard rollback {result.journal_id}\n"
    )
    print(instructions(planned.answers, planned.facts))
    print("\nLive status: jupyter-setup-wizard status")
    sys.stdout.flush()
    return 0


__all__ = ["ACTION_LABELS", "run_plain"]
