"""`jupyter-setup-wizard --plain`: the same steps as line-by-line questionary prompts.

Built from wizard.forms, as the Textual screens are: same fields, labels, defaults (current
setup, then the install suggestion) and core validators; same review (plan.render()) and the
same session apply. For terminals or people a full-screen UI does not suit. Never imports
textual.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import questionary

from wizard.core.answers import Answers
from wizard.core.errors import ApplyError, ApplyInterrupted, InputError, Problem, WizardError
from wizard.core.i18n import _, ngettext
from wizard.forms import access, install, kernels, network, password, service
from wizard.forms.fields import Choice, FieldSpec, messages
from wizard.forms.state import (
    STEP_NAMES,
    WizardState,
    discover_environments,
    step_of,
    suggested_answers,
)
from wizard.forms.welcome import glance
from wizard.probe.environments import Environment
from wizard.session import Planned


class Aborted(Exception):
    """The person pressed Ctrl+C / Ctrl+D at a prompt."""


def _ask(question: questionary.Question) -> object:
    answer = question.ask(kbi_msg=_("\nCancelled by user\n"))
    if answer is None:
        raise Aborted
    return answer


def _validator(check: Callable[[str], list[Problem]]) -> Callable[[str], bool | str]:
    def validate(value: str) -> bool | str:
        problems = check(value)
        return True if not problems else messages(problems)

    return validate


def _text(
    label: str, default: str = "", check: Callable[[str], list[Problem]] | None = None
) -> str:
    """A free-text prompt, checked by a core validator when given; the answer stripped."""
    validate = _validator(check) if check else None
    return str(_ask(questionary.text(label, default=default, validate=validate))).strip()


def _select(spec: FieldSpec, choices: list[Choice], default: str | None) -> str:
    return str(
        _ask(
            questionary.select(
                spec.prompt(),
                choices=[questionary.Choice(_(c.label), value=c.value) for c in choices],
                default=default if default in [c.value for c in choices] else None,
                instruction=_("(Use arrow keys)"),
            )
        )
    )


def _confirm(spec: FieldSpec, default: bool) -> bool:
    return _yes_no(spec.prompt(), default)


def _yes_no(question: str, default: bool) -> bool:
    """questionary's confirm, its answer echoed in the current language (it has no option)."""
    from questionary.prompts import confirm as confirm_prompt

    confirm_prompt.YES, confirm_prompt.NO = _("Yes"), _("No")  # type: ignore[attr-defined]
    return bool(_ask(questionary.confirm(question, default=default)))


def _secret(prompt: str) -> str:
    return str(_ask(questionary.password(prompt)))


def _warn_weak(secret: str) -> None:
    if hint := password.strength(secret):
        print(_("! weak password: {hint}").format(hint=hint))


def _probe(state: WizardState) -> None:
    from wizard import session

    try:
        state.facts = session.facts_for(state.answers)
    except WizardError as exc:
        print(f"! {exc}")
        state.facts = None
        return
    state.has_current_password = password.is_set(state.facts)


# -- one function per step ------------------------------------------------------------------


def ask_install(state: WizardState, envs: list[Environment]) -> None:
    a = state.answers
    choices = [*install.env_choices(envs, a.jupyter.python), install.OTHER]
    python = _select(install.ENVS, choices, a.jupyter.python)
    if python == install.OTHER.value:
        python = _text(install.PYTHON.prompt(), check=install.path_problems)
    choice = _select(install.ACTION, install.actions(), install.default_action(a, python))
    typed = {**install.values(a), install.PYTHON.name: python}
    shown = install.shown(choice)
    for spec in (install.VENV_PATH, install.BASE_PYTHON, install.VERSION):
        if spec.name in shown:
            typed[spec.name] = _text(spec.prompt(), typed[spec.name])
    if install.INSTALLER.name in shown:
        name = install.INSTALLER.name
        typed[name] = _select(install.INSTALLER, install.installers(), typed[name])
        name = install.INDEX_URL.name
        typed[name] = _text(install.INDEX_URL.prompt(), typed[name], install.index_url_problems)
    if install.LANGUAGE_PACK.name in shown:
        ticked = _confirm(install.LANGUAGE_PACK, install.language_pack_default(a))
        typed[install.LANGUAGE_PACK.name] = install.PACK_LOCALE if ticked else ""
    state.answers = install.collect(a, choice, typed)
    changed = state.answers.jupyter.python != a.jupyter.python
    if changed or state.facts is None:
        _probe(state)
    if install.INSTALLER.name in shown:
        print(f"  ({install.installer_line(state.answers, state.facts)})")
    if state.facts is not None:
        for p in install.validate(state.answers, state.facts):
            print(f"! {p}")


def _checkbox(spec: FieldSpec, rows: list[kernels.Row]) -> list[str]:
    choices = [
        questionary.Choice(f"{r.label}  ({r.detail})", value=r.value, checked=r.ticked)
        for r in rows
    ]
    hint = _("(Use arrow keys to move, <space> to select, <a> to toggle, <i> to invert)")
    question = questionary.checkbox(spec.prompt(), choices=choices, instruction=hint)
    return [str(v) for v in _ask(question)]  # type: ignore[attr-defined]


def ask_kernels(state: WizardState, envs: list[Environment]) -> None:
    a = state.answers
    kf = kernels.kernel_facts(a, state.facts)
    if kf is not None:
        print(
            _("  for {user}'s JupyterLab; kernels go into {path}").format(
                user=kf.user, path=kf.kernels_dir
            )
        )
    rows = kernels.env_rows(envs, a, kf)
    chosen = _checkbox(kernels.ENVIRONMENTS, rows) if rows else []
    if not rows:
        print(f"  {_(kernels.NONE_FOUND)}")
    lacking = [e for e in envs if e.python in chosen and not e.ipykernel_version]
    install_ipk = (
        _confirm(kernels.INSTALL_IPYKERNEL, a.kernels.install_ipykernel)
        if lacking
        else a.kernels.install_ipykernel
    )
    removable = kernels.remove_rows(a, kf)
    # asked only when one is broken: removing a working kernel is rare (the full screen offers it)
    ask = any(r.broken or r.ticked for r in removable)
    remove = _checkbox(kernels.REMOVE, removable) if ask else list(a.kernels.remove)
    state.answers = kernels.collect(a, chosen, install_ipk, remove)
    if state.facts is not None:
        for p in kernels.validate(state.answers, state.facts):
            print(f"! {p}")


def ask_password(state: WizardState) -> None:
    if state.has_current_password:
        state.keep_password = _confirm(password.KEEP, default=True)
        if state.keep_password:
            state.password = ""
            return
    while True:
        first = _secret(password.NEW.prompt())
        _warn_weak(first)
        second = _secret(password.AGAIN.prompt())
        problems = password.problems(first, second)
        if not problems:
            state.password = first
            state.keep_password = False
            return
        for p in problems:
            print(_("✗ {message}; try again").format(message=p.message))


def ask_network(state: WizardState) -> None:
    facts = state.facts
    print(f"  ({network.ip_hint(facts)})")
    values = network.values(state.answers)

    def ask(name: str, prompt: str) -> str:
        return _text(prompt, values[name], lambda v: network.problems(name, v, facts))

    typed = {spec.name: ask(spec.name, spec.prompt()) for spec in network.FIELDS}
    state.answers = network.collect(state.answers, typed)


def ask_service(state: WizardState) -> None:
    s = state.answers.service
    manager = _select(service.MANAGER, service.managers(), s.manager)
    name, user, enable = s.name, s.user, s.enable
    if service.managed(manager):
        name = _text(service.NAME.prompt(), name) or s.name
        user = _text(service.USER.prompt(), user)
        enable = _confirm(service.ENABLE, default=enable)
    state.answers = state.answers.replace(
        "service", manager=manager, name=name, user=user, enable=enable
    )
    if state.facts is not None:
        for p in service.validate(state.answers, state.facts):
            print(f"! {p}")


def ask_access(state: WizardState) -> None:
    """The method, then only its own fields: same defaults and core validators as the access screen."""
    method = _select(access.METHOD, access.methods(), state.answers.access.method)
    state.answers = state.answers.replace("access", method=method)
    state.proxy_password = ""
    facts = state.facts
    if method == "router-tunnel" and (mine := access.machine_addresses(facts)):
        print(_("  (this machine has: {addresses})").format(addresses=", ".join(mine)))
    for group in access.GROUPS.get(method, ()):
        if group == access.TLS_GROUP:
            _ask_tls(state, method)
            continue
        if group not in access.groups_for(method, access.tls_kind(state.answers)):
            continue
        if group == access.ACME_GROUP:
            print("  " + access.acme_help(method))
        for name in access.GROUP_FIELDS[group]:
            # what empty means may follow an earlier answer (the names: the server name)
            empty = access.empty_means(state.answers, facts)
            _ask_field(state, name, empty.get(name, ""))
        if group == access.ACME_GROUP:
            _ask_install_certbot(state)
        if group == access.AUTH_GROUP and state.answers.access.basic_auth_user:
            _ask_proxy_password(state)
    if method == "ssh-tunnel" and (cmd := access.ssh_command(state.answers, facts)):
        print(_("  On your computer you will run:  {command}").format(command=cmd))
    if facts is not None:
        for p in access.validate(state.answers, facts):
            print(f"! {p}")


def _ask_field(
    state: WizardState, name: str, empty_means: str = "", *, required: bool = False
) -> None:
    """One access field, prefilled as the access screen shows it, checked as typed."""
    default = access.values(state.answers, state.facts)[name]
    text = _text(
        access.FIELDS[name].prompt(empty_means),
        default,
        lambda v: access.field_problems(state.answers, state.facts, name, v, required=required),
    )
    value, _problems = access.parse(name, text)
    state.answers = state.answers.replace("access", **{name: value})


def _ask_tls(state: WizardState, method: str) -> None:
    current = access.tls_kind(state.answers)
    kind = _select(access.TLS, access.tls_choices(method), current)
    state.answers = access.with_tls(state.answers, kind)
    if access.files_shown(kind):
        # Required here: for direct, an empty pair would quietly mean no TLS.
        for name in access.GROUP_FIELDS[access.TLS_GROUP]:
            _ask_field(state, name, required=True)


def _ask_install_certbot(state: WizardState) -> None:
    """ACME without certbot: install the distribution's (consent asked; no: the plan refuses,
    saying how to install it yourself)."""
    consent = False
    if access.certbot_missing():
        consent = _confirm(access.INSTALL_CERTBOT, default=state.answers.access.install_certbot)
    state.answers = state.answers.replace("access", install_certbot=consent)


def _ask_proxy_password(state: WizardState) -> None:
    """Twice, masked; only into Secrets (the htpasswd the plan writes), never the answers."""
    while True:
        first = _secret(access.proxy_password_prompt(state.answers))
        _warn_weak(first)
        second = _secret(access.PROXY_PASSWORD_AGAIN.prompt())
        problems = access.proxy_password_problems(state.answers, first, second)
        if not problems:
            state.proxy_password = first
            return
        for p in problems:
            print(_("✗ {message}; try again").format(message=p.message))


# -- the whole run ----------------------------------------------------------------------------


def run_plain() -> int:
    try:
        return _run()
    except Aborted:
        print(_("\nStopped. Nothing was changed."))
        return 1


def _run() -> int:
    from wizard.core.record import load_current

    previous = load_current()
    state = WizardState(answers=previous or Answers(), configured=previous is not None)
    print(_("jupyter-setup-wizard (plain mode). Nothing changes until you confirm the plan.\n"))
    envs = discover_environments()
    if previous is None:
        state.answers = suggested_answers(state.answers, envs)
    _probe(state)
    if previous is None and state.facts is not None:
        state.answers = service.suggested(state.answers, state.facts)
    for line in glance(state.facts, state.answers, state.has_current_password, state.configured):
        print("  " + line)
    print()
    asks: dict[str, Callable[[WizardState], None]] = {
        "install": lambda st: ask_install(st, envs),
        "kernels": lambda st: ask_kernels(st, envs),
        "password": ask_password,
        "network": ask_network,
        "service": ask_service,
        "access": ask_access,
    }
    todo = list(asks)
    while True:
        for step in todo:
            print(f"\n== {STEP_NAMES.index(step)}. {_(step.capitalize())}")
            asks[step](state)
        planned, problems = _plan(state)
        if planned is not None:
            break
        print(_("\nCannot make a plan yet:"))
        for p in problems:
            print(f"  ✗ {p}")
        steps = {step_of(p.field) for p in problems} & set(asks)
        todo = [s for s in asks if s in steps] or list(asks)
        print(_("Asking those steps again."))
    plan = planned.plan
    print(_("\n== Review (nothing has been changed yet)\n"))
    print(plan.render(), end="")
    if not plan.changes():
        print(_("\nNothing to change."))
        return 0
    n = len(plan.changes())
    if not _yes_no(
        ngettext("Apply {count} change(s)?", "Apply {count} change(s)?", n).format(count=n), False
    ):
        print(_("Nothing changed."))
        return 0
    return _apply(planned)


def _plan(state: WizardState) -> tuple[Planned | None, list[Problem]]:
    from wizard import session

    if state.facts is None:
        return None, [Problem("jupyter.python", _("the interpreter could not be probed"))]
    try:
        return session.plan(state.answers, state.secrets, state.facts), []
    except InputError as exc:
        return None, exc.problems


def _apply(planned: Planned) -> int:
    from wizard import session
    from wizard.apply.events import failure_outcome, print_events
    from wizard.cli.common import interrupt_on_signals

    print()
    interrupt_on_signals()
    try:
        result = session.apply(planned, on_event=print_events, cancelled=threading.Event())
    except ApplyError as exc:
        print(
            _("\n✗ The apply failed. {outcome}").format(
                outcome=failure_outcome(exc.not_undone, exc.journal_id)
            )
        )
        return 1
    except ApplyInterrupted as exc:
        print(
            _("\nStopped. {outcome}").format(
                outcome=failure_outcome(exc.not_undone, exc.journal_id)
            )
        )
        return 130
    except KeyboardInterrupt:  # before the apply began: nothing was changed
        print(_("\nStopped; nothing was changed."))
        return 130
    print(
        _("\n✓ Applied (ID {id}). Undo with: {command}\n").format(
            id=result.journal_id, command=f"jupyter-setup-wizard rollback {result.journal_id}"
        )
    )
    print(access.instructions(planned.answers, planned.facts))
    print(_("\nLive status: {command}").format(command="jupyter-setup-wizard status"))
    sys.stdout.flush()
    return 0


__all__ = ["run_plain"]
