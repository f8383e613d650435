"""The core must stay free of UI packages (harlequin-style contract), checked in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_core_never_imports_ui_packages() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "check_core_imports.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "no UI imports" in r.stdout


def test_check_detects_a_ui_import(tmp_path: Path) -> None:
    """The checker itself must be able to fail: a core module importing textual is caught."""
    pkg = tmp_path / "wizard"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("import textual\n")
    r = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "check_core_imports.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 1
    assert "textual" in r.stderr
