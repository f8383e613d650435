"""The core must stay free of UI packages (harlequin-style contract), checked in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _check(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "check_core_imports.py")],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


def _fake_core(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The checker run against a made-up `wizard` package holding `files`."""
    for name, text in {"wizard/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return _check(tmp_path, {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})


def test_core_never_imports_ui_packages() -> None:
    r = _check(ROOT)
    assert r.returncode == 0, r.stderr
    assert "no UI imports" in r.stdout
    assert f"in {ROOT / 'wizard'}," in r.stdout  # this checkout's, not an installed copy
    assert "wizard.cli.plain: no textual" in r.stdout


def test_check_detects_a_ui_import(tmp_path: Path) -> None:
    """The checker itself must be able to fail: a core module importing textual is caught."""
    r = _fake_core(tmp_path, {"wizard/bad.py": "import textual\n"})
    assert r.returncode == 1
    assert "textual" in r.stderr


def test_check_detects_questionary_outside_plain(tmp_path: Path) -> None:
    """questionary belongs to wizard/cli/plain.py only: any other module importing it fails."""
    r = _fake_core(
        tmp_path,
        {
            "wizard/cli/__init__.py": "",
            "wizard/cli/plain.py": "import questionary\n",
            "wizard/forms.py": "import questionary\n",
        },
    )
    assert r.returncode == 1
    assert "questionary" in r.stderr


def test_check_allows_questionary_in_plain_but_not_textual(tmp_path: Path) -> None:
    ok = _fake_core(
        tmp_path / "ok",
        {"wizard/cli/__init__.py": "", "wizard/cli/plain.py": "import questionary\n"},
    )
    assert ok.returncode == 0, ok.stderr
    bad = _fake_core(
        tmp_path / "bad",
        {"wizard/cli/__init__.py": "", "wizard/cli/plain.py": "import questionary, textual\n"},
    )
    assert bad.returncode == 1
    assert "wizard.cli.plain imports textual" in bad.stderr
