"""Kernels: tick the environments JupyterLab offers as kernels; remove other kernelspecs.

Its rows, labels and checks are wizard.forms.kernels'.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from screens.base import StepScreen
from screens.widgets.tick import TickBox
from wizard.core.errors import Problem
from wizard.core.i18n import _
from wizard.forms import kernels as form


class KernelsScreen(StepScreen):
    step = "kernels"
    title_text = form.TITLE
    intro = form.INTRO
    DEFAULT_CSS = """
    KernelsScreen .ticks { height: auto; margin-bottom: 1; }
    KernelsScreen .tick-detail { color: $text-muted; padding-left: 4; }
    """

    def compose_body(self) -> ComposeResult:
        yield Static("", id="kernels-where", markup=False)
        yield Label(form.ENVIRONMENTS.label, classes="field-label")
        yield Vertical(id="env-ticks", classes="ticks")
        yield TickBox(form.INSTALL_IPYKERNEL.label, id=form.INSTALL_IPYKERNEL.name)
        yield Label(form.REMOVE.label, classes="field-label", id="remove-label")
        yield Vertical(id="remove-ticks", classes="ticks")
        yield Static("", id="kernels-problems", classes="problems", markup=False)

    def on_mount(self) -> None:
        self._envs: list[str] = []  # the interpreter of each tick box in #env-ticks
        self._removes: list[str] = []  # the kernel name of each tick box in #remove-ticks
        # tick boxes get new ids when rebuilt (the old ones go asynchronously)
        self._generation = {"env": 0, "remove": 0}

    def load(self) -> None:
        answers = self.state.answers
        kf = form.kernel_facts(answers, self.state.facts)
        where = _("Looking at what the server offers…")
        if kf is not None:
            where = _("For {user}'s JupyterLab; kernels go into {path}").format(
                user=kf.user, path=kf.kernels_dir
            )
        self.query_one("#kernels-where", Static).update(where)
        envs = form.env_rows(self.wizard.environments or [], answers, kf)
        self._envs = self._fill("#env-ticks", "env", envs, form.NONE_FOUND)
        removes = form.remove_rows(answers, kf)
        self._removes = self._fill("#remove-ticks", "remove", removes, "")
        self.query_one("#remove-label").display = bool(removes)
        self.query_one(
            f"#{form.INSTALL_IPYKERNEL.name}", TickBox
        ).value = answers.kernels.install_ipykernel

    def _fill(self, where: str, prefix: str, rows: list[form.Row], empty: str) -> list[str]:
        """One tick box per row; rebuilt only when the rows change (focus and ticks stay)."""
        box = self.query_one(where, Vertical)
        values = [r.value for r in rows]
        if values == (self._envs if prefix == "env" else self._removes) and box.children:
            for i, row in enumerate(rows):
                self.query_one(f"#{self._tick_id(prefix, i)}", TickBox).value = row.ticked
            return values
        box.remove_children()
        self._generation[prefix] += 1
        if not rows and empty:
            box.mount(Static(_(empty), markup=False))
        for i, row in enumerate(rows):
            box.mount(TickBox(row.label, row.ticked, id=self._tick_id(prefix, i)))
            box.mount(Static(row.detail, classes="tick-detail", markup=False))
        return values

    def _tick_id(self, prefix: str, i: int) -> str:
        return f"{prefix}-{self._generation[prefix]}-{i}"

    def _ticked(self, prefix: str, values: list[str]) -> list[str]:
        ticked = []
        for i, value in enumerate(values):
            boxes = self.query(f"#{self._tick_id(prefix, i)}")
            if boxes and boxes.first(TickBox).value:
                ticked.append(value)
        return ticked

    def collect(self) -> None:
        a = self.state.answers
        environments = self._ticked("env", self._envs) if self._envs else a.kernels.environments
        remove = self._ticked("remove", self._removes) if self._removes else a.kernels.remove
        install = self.query_one(f"#{form.INSTALL_IPYKERNEL.name}", TickBox).value
        self.state.answers = form.collect(a, environments, install, remove)

    def check(self) -> list[Problem]:
        facts = self.state.facts
        problems = form.validate(self.state.answers, facts) if facts is not None else []
        self.query_one("#kernels-problems", Static).update(self.problem_lines(problems))
        return problems
