"""The one-way flow, checked on the source: probe -> answers -> plan -> apply -> verify.

Every `import` of a wizard module (lazy ones and TYPE_CHECKING ones too) must point at the
same layer or one before it. The front-ends (cli, the Textual screens) may use everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
# layer -> the layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "probe": {"core"},
    "plan": {"core", "probe"},
    "apply": {"core", "probe", "plan"},
    "verify": {"core", "probe", "plan", "apply"},
    "forms": {"core", "probe", "plan"},
    "session": {"core", "probe", "plan", "apply", "verify"},
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "wizard" or len(parts) < 2:
        return None
    return parts[1]


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            out += [(node.lineno, n) for n in names if n.startswith("wizard.")][:1]
            if node.module == "wizard":  # from wizard import session
                out += [(node.lineno, f"wizard.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("wizard.")]
    return out


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / "wizard").rglob("*.py")):
        rel = path.relative_to(root)
        module = ".".join(rel.with_suffix("").parts)
        mine = layer_of(module)
        if mine not in ALLOWED:
            continue  # cli, __init__, __main__: front-ends and entry points
        for line, target in imports(path):
            theirs = layer_of(target)
            if (
                theirs
                and theirs != mine
                and theirs not in ALLOWED[mine]
                and theirs != "__version__"
            ):
                found.append(f"{rel}:{line}: {mine} imports {target} ({theirs})")
    return found


def test_layers_import_only_the_layers_before_them() -> None:
    assert violations() == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "wizard" / "probe").mkdir(parents=True)
    (tmp_path / "wizard" / "probe" / "bad.py").write_text(
        "def f():\n    from wizard.plan.plan import Plan\n"
    )
    (tmp_path / "wizard" / "plan").mkdir()
    (tmp_path / "wizard" / "plan" / "ok.py").write_text("from wizard.probe import facts\n")
    assert violations(tmp_path) == ["wizard/probe/bad.py:2: probe imports wizard.plan.plan (plan)"]
