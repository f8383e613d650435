"""Fail if any core module (wizard/, except the CLI entry) pulls in textual or questionary."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import wizard

UI_PACKAGES = ("textual", "questionary", "prompt_toolkit")


def main() -> int:
    names = [m.name for m in pkgutil.walk_packages(wizard.__path__, "wizard.")]
    for name in names:
        if name == "wizard.__main__" or name.startswith("wizard.cli"):
            continue
        importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in UI_PACKAGES)
    if loaded:
        print(f"core imports UI packages: {', '.join(loaded)}", file=sys.stderr)
        return 1
    print(f"core import check: {len(names)} modules, no UI imports")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
