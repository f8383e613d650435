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
from wizard.core.i18n import _

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
    cols: tuple[int, int] = (0, 0)  # the statement's first and end column (.py only)
    # Why this statement cannot be disabled alone ("" = it can): e.g. `a = c.X.y = 1`.
    entangled: str = ""

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
        cf.error = _("cannot read: {error}").format(error=exc)
        return cf
    return parse_config_text(cf)


def parse_config_text(cf: ConfigFile) -> ConfigFile:
    """Fill in `cf.settings` (or `cf.error`) from `cf.text`."""
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
        cf.error = _("not valid JSON: {error}").format(error=exc)
        return
    if not isinstance(data, dict):
        cf.error = _("not a JSON object")
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
        cf.error = _("not valid Python (line {line}: {error})").format(
            line=exc.lineno, error=exc.msg
        )
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = [t for target in targets for t in _flatten(target)]
        for target in flat:
            key = _trait_target(target)
            if key is None or node.value is None:
                continue
            try:
                value, literal = ast.literal_eval(node.value), True
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                value, literal = None, False
            if len(flat) > 1 and literal and isinstance(node.value, ast.Tuple):
                literal = False  # `c.X.a, c.X.b = 1, 2`: not this target's value
            end = node.end_lineno or node.lineno
            entangled = (
                _("line {line} assigns {n} names in one statement").format(
                    line=node.lineno, n=len(flat)
                )
                if len(flat) > 1
                else ""
            )
            cols = (node.col_offset, node.end_col_offset or 0)
            cf.settings.append(Setting(key, value, literal, (node.lineno, end), cols, entangled))


def _flatten(target: ast.expr) -> list[ast.expr]:
    """The names one assignment target binds (`a, (b, c) = ...` binds three)."""
    if isinstance(target, ast.Tuple | ast.List):
        return [t for elt in target.elts for t in _flatten(elt)]
    return [target.value if isinstance(target, ast.Starred) else target]


def _trait_target(node: ast.expr) -> TraitKey | None:
    """`c.ServerApp.port` -> ("ServerApp", "port"); also get_config().ServerApp.port and
    c.ServerApp["port"] (a Config is a dict too)."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        node = ast.Attribute(node.value, node.slice.value, ast.Store())
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


def py_with_statements_disabled(text: str, settings: list[Setting], reason: str) -> str:
    """Disable whole statements, keeping each one as a comment under a note, so nothing is lost.

    A statement alone on its lines becomes comments (inside a block, `pass` takes its place so
    the block still parses); one sharing a line (`if x: c.A.b = 1`, `a = 1; c.A.b = 2`) is
    replaced by `pass` there, its text kept in a comment above. Raises ValueError, naming the
    line, for a statement that cannot be disabled alone, or when the result would not parse.
    """
    lines = text.splitlines(keepends=True)
    spans: dict[int, Setting] = {}
    for s in settings:
        if s.lines is None:
            continue
        if s.entangled:
            raise ValueError(
                _("{name}: {why}; split it so one line sets one name").format(
                    name=s.name, why=s.entangled
                )
            )
        spans.setdefault(s.lines[0], s)
    for start in sorted(spans, reverse=True):  # from the end: earlier line numbers stay valid
        lines[start - 1 : spans[start].lines[1]] = _disabled(lines, spans[start], reason)  # type: ignore[index]
    result = "".join(lines)
    try:
        ast.parse(result)
    except SyntaxError as exc:
        raise ValueError(
            _("disabling those lines would break the file (line {line})").format(line=exc.lineno)
        ) from exc
    return result


def _disabled(lines: list[str], s: Setting, reason: str) -> list[str]:
    start, end = s.lines or (0, 0)
    first, last = lines[start - 1], lines[end - 1].rstrip("\r\n")
    # ast columns count UTF-8 bytes
    col, end_col = s.cols
    prefix = first.encode()[:col].decode("utf-8", "replace")
    suffix = last.encode()[end_col:].decode("utf-8", "replace")
    indent = first[: len(first) - len(first.lstrip())]
    kept = [
        f"{indent}# {line[len(indent) :] if line.startswith(indent) else line.lstrip()}".rstrip()
        + "\n"
        for line in lines[start - 1 : end]
    ]
    note = f"{indent}{DISABLED_MARK}{reason}\n"
    if not prefix.strip() and (not suffix.strip() or suffix.strip().startswith("#")):
        # Alone on its lines: at the top level comments suffice; in a block `pass` keeps it a block.
        return [note, *kept] + ([f"{indent}pass\n"] if col > 0 else [])
    return [note, *kept, f"{prefix}pass{suffix}\n"]
