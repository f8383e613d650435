"""Helpers shared by the access-method and doctor system tests (this module holds no tests)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import tomli_w

from tests.support.cli import run_wizard as wizard

ROOT = Path(__file__).parents[2]


def write_answers(
    path: Path,
    python: str,
    config_dir: Path,
    root: Path,
    *,
    network: dict[str, Any],
    access: dict[str, Any],
) -> Path:
    data = {
        "jupyter": {"python": python, "config_dir": str(config_dir)},
        "network": {"root_dir": str(root), **network},
        "access": access,
    }
    path.write_text(tomli_w.dumps(data))
    return path


def apply(answers: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    r = wizard("apply", str(answers), "--yes", "--password-stdin", *extra, stdin=stdin)
    assert r.returncode == 0, f"apply failed:\n{r.stdout}\n{r.stderr}"
    return r


def doctor(answers: Path | None = None, *, stdin: str | None = None, env: dict[str, str] | None = None,
           extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:  # fmt: skip
    args = ["doctor", *(["--answers", str(answers)] if answers else []), *extra]
    return wizard(*args, stdin=stdin, env=env)


def check_line(output: str, name: str) -> str:
    """The line of doctor's text output for check `name` (with its fix line, if any)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line[:2] in ("✓ ", "✗ ", "- ") and line[2:].startswith(f"{name}:"):
            fix = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("    fix:") else ""
            return line + ("\n" + fix if fix else "")
    raise AssertionError(f"no check {name!r} in doctor output:\n{output}")
