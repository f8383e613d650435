"""argparse's help for the command line, wrapped by terminal cells (the parser's classes).

A module of its own so that argparse loads only when the command line is parsed: a bare
`jupyter-setup-wizard` (the full-screen wizard) never builds the parser.
"""

from __future__ import annotations

import argparse
from typing import Any

from wizard.core.i18n import _, cells, wrap_cells


class CellFormatter(argparse.HelpFormatter):
    """Help wrapped by terminal cells, not characters: Chinese help stays inside the width."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_cells(" ".join(text.split()), width)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        # argparse indents the usage's next lines by len(prefix): a prefix as wide in cells
        # (spaces), then the words themselves.
        prefix = _("usage: ") if prefix is None else prefix
        text = super()._format_usage(usage, actions, groups, " " * cells(prefix))
        return prefix + text[cells(prefix) :]


class SubParser(argparse.ArgumentParser):
    """Subcommands' parsers, with the same cell-wrapped help."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", CellFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
