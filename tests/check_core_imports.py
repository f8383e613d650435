"""Fail if the core pulls in a UI package.

The rule: nothing in wizard/ imports textual; questionary (and its prompt_toolkit) only from
wizard/cli/plain.py, the --plain front-end. Checked by importing every module but that one and
finding no UI package loaded, then importing it and finding textual still not loaded.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import wizard

UI_PACKAGES = ("textual", "questionary", "prompt_toolkit")
PLAIN = "wizard.cli.plain"  # the one module that may load questionary / prompt_toolkit
SKIP = ("wizard.__main__",)  # runs the CLI when imported


def _loaded(packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in sys.modules if m.split(".")[0] in packages)


def main() -> int:
    names = [m.name for m in pkgutil.walk_packages(wizard.__path__, "wizard.")]
    for name in names:
        if name in SKIP or name == PLAIN:
            continue
        importlib.import_module(name)
    loaded = _loaded(UI_PACKAGES)
    if loaded:
        print(f"core imports UI packages: {', '.join(loaded)}", file=sys.stderr)
        return 1
    if PLAIN in names:
        importlib.import_module(PLAIN)
        loaded = _loaded(("textual",))
        if loaded:
            print(f"{PLAIN} imports textual: {', '.join(loaded)}", file=sys.stderr)
            return 1
    print(f"core import check: {len(names)} modules, no UI imports ({PLAIN}: no textual)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
