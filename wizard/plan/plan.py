"""A plan: the ordered actions that turn the machine into what the answers describe."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.core.i18n import _
from wizard.plan.actions import Action


@dataclass(frozen=True)
class Note:
    level: str  # "info" | "warning" | "risk"
    text: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.text}"


@dataclass
class Plan:
    title: str
    actions: list[Action] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def changes(self) -> list[Action]:
        """The actions that would change something (an unchanged file is not a change)."""
        return [a for a in self.actions if not a.is_noop()]

    def note(self, level: str, text: str) -> None:
        self.notes.append(Note(level, text))

    def render(self) -> str:
        """The whole plan as text: notes, then every change with its diff or command."""
        out: list[str] = []
        for n in self.notes:
            out.append(f"{n}\n")
        changes = self.changes()
        if not changes:
            out.append(_("Nothing to change: the machine already matches these answers.\n"))
        for i, a in enumerate(changes, 1):
            out.append(f"\n== {i}. {a.description}\n")
            out.append(a.preview())
        return "".join(out)
