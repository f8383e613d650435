"""Fail if the core pulls in a UI package.

The rule: nothing in wizard/ imports textual; questionary (and its prompt_toolkit) only from
wizard/cli/plain.py, the --plain front-end. Checked by importing every module but that one and
finding no UI package loaded, then importing it and finding textual still not loaded.

Checks the `wizard` package of the current directory (run it from the checkout to check), not
an installed one: an editable install elsewhere would otherwise be what gets imported.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

UI_PACKAGES = ("textual", "questionary", "prompt_toolkit")
PLAIN = "wizard.cli.plain"  # the one module that may load questionary / prompt_toolkit
SKIP = ("wizard.__main__",)  # runs the CLI when imported


def _loaded(packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in sys.modules if m.split(".")[0] in packages)


def main() -> int:
    sys.path.insert(0, os.getcwd())
    wizard = importlib.import_module("wizard")
    names = [m.name for m in pkgutil.walk_packages(wizard.__path__, "wizard.")]
    for name in names:
        if name in SKIP or name == PLAIN:
            continue
        importlib.import_module(name)
    loaded = _loaded(UI_PACKAGES)
    if loaded:
        print(f"core imports UI packages: {', '.join(loaded)}", file=sys.stderr)
        return 1
    plain = ""
    if PLAIN in names:
        importlib.import_module(PLAIN)
        loaded = _loaded(("textual",))
        if loaded:
            print(f"{PLAIN} imports textual: {', '.join(loaded)}", file=sys.stderr)
            return 1
        plain = f" ({PLAIN}: no textual)"
    where = os.path.dirname(wizard.__file__ or "")
    print(f"core import check: {len(names)} modules in {where}, no UI imports{plain}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
