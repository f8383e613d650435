"""Review: every change as it will be made (diffs, commands) with risk notes. Nothing changed yet."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.base import StepScreen
from screens.widgets import StepList
from wizard.core.errors import InputError, Problem
from wizard.core.i18n import N_, _, ngettext
from wizard.forms.fields import answer_values, scrub
from wizard.forms.state import step_number, step_of

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.plan.plan import Plan
    from wizard.plan.secrets import Secrets
    from wizard.probe.facts import Facts
    from wizard.session import Planned

NOTE_MARKS = {"risk": (N_("⚠ RISK: "), "bold red"), "warning": ("! ", "yellow"), "info": ("i ", "")}


def render_plan(plan: Plan) -> Text:
    """The plan as styled text; every meaning is also in the characters (NO_COLOR)."""
    out = Text()
    for note in plan.notes:
        mark, style = NOTE_MARKS.get(note.level, ("- ", ""))
        out.append(_(mark) + note.text + "\n", style=style)
    changes = plan.changes()
    if plan.notes:
        out.append("\n")
    if not changes:
        out.append(_("Nothing to change: the machine already matches these answers.\n"), "bold")
        return out
    out.append(
        ngettext(
            "{count} change(s), in this order:\n",
            "{count} change(s), in this order:\n",
            len(changes),
        ).format(count=len(changes)),
        "bold",
    )
    for i, action in enumerate(changes, 1):
        out.append(f"\n{i}. {action.description}\n", "bold")
        for line in action.preview().splitlines():
            style = ""
            if line.startswith(("+++", "---")):
                style = "bold"
            elif line.startswith("+"):
                style = "green"
            elif line.startswith("-"):
                style = "red"
            elif line.startswith("@@"):
                style = "cyan"
            elif line.startswith("$ "):
                style = "bold"
            out.append("   " + line + "\n", style=style)
    return out


def render_problems(problems: list[Problem], typed: list[str]) -> Text:
    """The problems with the step that fixes each; no typed value repeated (`typed`)."""
    out = Text(_("Cannot make a plan yet; fix these first:\n\n"), "bold")
    for p in problems:
        number = step_number(step_of(p.field))
        out.append(scrub(f"✗ {p.field}: {p.message}", typed), "red")
        out.append(_("   (step {number}, press {number})\n").format(number=number))
    return out


class ReviewScreen(StepScreen):
    step = "review"
    title_text = N_("Review: what will change")
    intro = N_(
        "Nothing has been changed yet. Apply makes these changes in order; any failure rolls all of them back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "apply", N_("Apply")),
        Binding("ctrl+n", "apply", N_("Apply"), priority=True, show=False),
        *[
            Binding(key, f"scroll_plan('{key}')", key, show=False, priority=True)
            for key in ("pageup", "pagedown", "home", "end", "up", "down")
        ],
    ]

    planned: Planned | None = None

    @property
    def plan(self) -> Plan | None:
        return self.planned.plan if self.planned is not None else None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="plan-summary", markup=False)
        with VerticalScroll(id="plan-scroll"):
            yield Static(_("Making the plan…"), id="plan", markup=False)

    def load(self) -> None:
        self.planned = None
        self.refresh_bindings()
        self.query_one("#plan-scroll").focus()
        if self.state.facts is None:
            self._show(Text(_("Waiting for the probe of this machine…")), "")
            return
        self._show(Text(_("Making the plan…")), "")
        self._build(self.state.answers, self.state.facts, self.state.secrets)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _build(self, answers: Answers, facts: Facts, secrets: Secrets) -> None:
        from wizard import session

        try:
            planned = session.plan(answers, secrets, facts, prober=self.wizard.prober)
        except InputError as exc:
            self.app.call_from_thread(self._show_problems, exc.problems)
            return
        except Exception as exc:  # a core bug must show, not freeze the screen
            self.app.call_from_thread(self._show_problems, [Problem("plan", str(exc))])
            return
        self.app.call_from_thread(self._show_plan, planned)

    def _show(self, body: Text, summary: str) -> None:
        self.query_one("#plan", Static).update(body)
        self.query_one("#plan-summary", Static).update(summary)

    def _show_plan(self, planned: Planned) -> None:
        self.planned = planned
        plan = planned.plan
        n = len(plan.changes())
        summary = (
            ngettext(
                "{count} change(s). Press A to apply, Esc to go back.",
                "{count} change(s). Press A to apply, Esc to go back.",
                n,
            ).format(count=n)
            if n
            else _("Nothing to change. Esc to go back, or Ctrl+Q to quit.")
        )
        self._show(render_plan(plan), summary)
        self.state.step_problems.clear()  # a plan was made: no step has a problem
        self.query_one(StepList).refresh_marks(self.wizard.step_marks())
        self.refresh_bindings()
        if self.apply_when_ready:
            self.apply_when_ready = False
            self.action_apply()

    def _show_problems(self, problems: list[Problem]) -> None:
        self.planned = None
        self.apply_when_ready = False
        steps: dict[str, list[Problem]] = {}
        for p in problems:
            steps.setdefault(step_of(p.field), []).append(p)
        self.state.step_problems.clear()  # every step was checked: the others are fine
        self.state.step_problems.update(steps)
        typed = answer_values(self.state.answers)
        self._show(render_problems(problems, typed), _("Not ready to apply."))
        self.query_one(StepList).refresh_marks(self.wizard.step_marks())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return self.planned is not None and bool(self.planned.plan.changes())
        return True

    def action_scroll_plan(self, key: str) -> None:
        """The plan scrolls with the usual keys, wherever the focus is."""
        scroll = self.query_one("#plan-scroll", VerticalScroll)
        actions = {
            "pageup": scroll.scroll_page_up,
            "pagedown": scroll.scroll_page_down,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
            "up": scroll.scroll_up,
            "down": scroll.scroll_down,
        }
        actions[key]()

    def action_apply(self) -> None:
        if self.planned is None or not self.planned.plan.changes():
            return
        self.wizard.start_apply(self.planned)
