"""Read Jupyter config files (.json and .py) and edit them without losing anything.

A .py config is parsed with `ast`, never executed: we learn which traits it sets, on which lines,
and with which literal values. A file that cannot be parsed is reported, never rewritten.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.core.fileops import UnsafePath, read_file

# Files jupyter_server / jupyterlab read in each config dir, plus the classic notebook's
# (whose NotebookApp settings current Jupyter silently ignores).
CONFIG_STEMS = (
    "jupyter_config",
    "jupyter_server_config",
    "jupyter_lab_config",
    "jupyter_notebook_config",
)
OURS = "jupyter_server_config.json"

TraitKey = tuple[str, str]  # ("ServerApp", "port")


@dataclass(frozen=True)
class Setting:
    key: TraitKey
    value: Any  # the literal value, or None when `literal` is False
    literal: bool = True
    lines: tuple[int, int] | None = None  # 1-based, inclusive (.py only)

    @property
    def name(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"


@dataclass
class ConfigFile:
    path: Path
    text: str = ""
    settings: list[Setting] = field(default_factory=list)
    error: str | None = None  # set when the file exists but cannot be read or parsed
    data: dict[str, Any] = field(default_factory=dict)  # parsed JSON (json files only)

    @property
    def is_json(self) -> bool:
        return self.path.suffix == ".json"

    @property
    def is_notebook_config(self) -> bool:
        return self.path.name.startswith("jupyter_notebook_config")

    def get(self, cls: str, trait: str) -> Setting | None:
        for s in self.settings:
            if s.key == (cls, trait):
                return s
        return None


def read_config_file(path: Path, *, guarded: bool = False) -> ConfigFile:
    """Parse one config file (never executing it). `guarded`: a file the wizard will write,
    read the way it is written (as root never through a link: wizard.core.fileops)."""
    cf = ConfigFile(path)
    try:
        if guarded:
            cf.text = (read_file(path) or b"").decode("utf-8")
        else:
            cf.text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, UnsafePath) as exc:
        cf.error = f"cannot read: {exc}"
        return cf
    if cf.is_json:
        _parse_json(cf)
    else:
        _parse_py(cf)
    return cf


def _parse_json(cf: ConfigFile) -> None:
    if not cf.text.strip():
        return  # Jupyter treats an empty file as no config
    try:
        data = json.loads(cf.text)
    except ValueError as exc:
        cf.error = f"not valid JSON: {exc}"
        return
    if not isinstance(data, dict):
        cf.error = "not a JSON object"
        return
    cf.data = data
    for cls, section in data.items():
        if isinstance(section, dict):
            for trait, value in section.items():
                cf.settings.append(Setting((cls, trait), value))


def _parse_py(cf: ConfigFile) -> None:
    try:
        tree = ast.parse(cf.text, filename=str(cf.path))
    except SyntaxError as exc:
        cf.error = f"not valid Python (line {exc.lineno}: {exc.msg})"
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            key = _trait_target(target)
            if key is None or node.value is None:
                continue
            try:
                value, literal = ast.literal_eval(node.value), True
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                value, literal = None, False
            end = node.end_lineno or node.lineno
            cf.settings.append(Setting(key, value, literal, (node.lineno, end)))


def _trait_target(node: ast.expr) -> TraitKey | None:
    """`c.ServerApp.port` -> ("ServerApp", "port"); also get_config().ServerApp.port."""
    if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Attribute):
        return None
    root = node.value.value
    if isinstance(root, ast.Name) or (
        isinstance(root, ast.Call)
        and isinstance(root.func, ast.Name)
        and root.func.id == "get_config"
    ):
        return (node.value.attr, node.attr)
    return None


def scan_config_dirs(dirs: list[str], *, ours: str | None = None) -> list[ConfigFile]:
    """Every config file in the given dirs, highest priority dir first. Files in `ours` (the
    config dir the wizard writes) are read guarded; a link there is reported, not followed."""
    found: list[ConfigFile] = []
    for d in dirs:
        for stem in CONFIG_STEMS:
            for ext in (".py", ".json"):
                p = Path(d) / f"{stem}{ext}"
                if d == ours and (os.path.islink(p) or p.is_file()):
                    found.append(read_config_file(p, guarded=True))
                elif p.is_file():
                    found.append(read_config_file(p))
    return found


def render_json(data: dict[str, Any]) -> str:
    """The layout `jupyter server password` writes, so hand edits and ours diff cleanly."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_with_changes(
    data: dict[str, Any],
    set_values: dict[TraitKey, Any],
    remove: set[TraitKey],
) -> dict[str, Any]:
    """A copy of `data` with traits set and removed; unknown keys kept in place, empty sections dropped."""
    out: dict[str, Any] = json.loads(json.dumps(data))
    for cls, trait in remove:
        section = out.get(cls)
        if isinstance(section, dict):
            section.pop(trait, None)
            if not section:
                del out[cls]
    for (cls, trait), value in set_values.items():
        section = out.setdefault(cls, {})
        if not isinstance(section, dict):
            section = out[cls] = {}
        section[trait] = value
    return out


DISABLED_MARK = "# [jupyter-setup-wizard] "


def py_with_lines_disabled(text: str, line_ranges: list[tuple[int, int]], reason: str) -> str:
    """Comment out whole statements (by line range) with a note, so nothing is lost.

    Raises ValueError when the result would not parse (e.g. the only statement of an `if` body):
    such a file must be edited by a person, not guessed at.
    """
    starts = {start - 1 for start, _ in line_ranges}
    disable = {i for start, end in line_ranges for i in range(start - 1, end)}
    out: list[str] = []
    for i, line in enumerate(text.splitlines(keepends=True)):
        if i not in disable:
            out.append(line)
            continue
        if i in starts:
            out.append(f"{DISABLED_MARK}{reason}\n")
        out.append("# " + (line if line.endswith("\n") else line + "\n"))
    result = "".join(out)
    try:
        ast.parse(result)
    except SyntaxError as exc:
        raise ValueError(f"disabling those lines would break the file (line {exc.lineno})") from exc
    return result
