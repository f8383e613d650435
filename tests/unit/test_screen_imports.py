"""screens/ has no import cycle: what a module imports (at the top, inside a function, or only
for types under `if TYPE_CHECKING:`) never leads back to it. The screens reach the app through
screens.base.Wizard, not by importing screens.app."""

from __future__ import annotations

import ast
from pathlib import Path

SCREENS = Path(__file__).parents[2] / "screens"


def _module(path: Path) -> str:
    parts = path.relative_to(SCREENS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in SCREENS.rglob("*.py")}
    return {
        name: {m for m in _imports(ast.parse(path.read_text())) if m in modules} - {name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for nxt in sorted(graph[node]):
            found = walk(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(graph):
        found = walk(start, [])
        if found:
            return found
    return []


def test_screens_have_no_import_cycle() -> None:
    graph = _graph()
    assert "screens.base" in graph and "screens.widgets" in graph
    assert _cycle(graph) == []


def test_only_the_entry_imports_the_app() -> None:
    importers = sorted(name for name, deps in _graph().items() if "screens.app" in deps)
    assert importers == []


def test_the_cycle_check_can_fail() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
