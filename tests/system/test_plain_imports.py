"""`--plain` never loads Textual: checked with Python's own import log, in a real pty.

The prompts are questionary's; the fields come from wizard.forms. The full-screen UI's package
must not be imported on the way to the first prompt (nor while it waits for an answer).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pexpect
import pytest

from tests.system.test_tui_terminal import PYTHON, REPO, _wizard_env

pytestmark = pytest.mark.system


def _imported(log: str) -> set[str]:
    """Module names from `-X importtime` lines ("import time: self | cumulative | name")."""
    names = set()
    for line in log.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":  # the header
                names.add(name)
    return names


def test_plain_mode_imports_no_textual(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    log = tmp_path / "importtime.log"
    env = {**os.environ, **_wizard_env(tmp_path), "PROMPT_TOOLKIT_NO_CPR": "1"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # The import log goes to stderr: into a file, so the pty holds only the prompts.
    command = (
        f"exec {shlex.quote(PYTHON)} -X importtime -m wizard --plain 2>{shlex.quote(str(log))}"
    )
    child = pexpect.spawn(
        "/bin/sh",
        ["-c", command],
        env=env,
        cwd=str(REPO),
        encoding="utf-8",
        timeout=30,
        dimensions=(30, 100),
    )
    try:
        child.expect("Python environment for JupyterLab")  # the first prompt, waiting
        child.send("\x03")  # Ctrl+C: nothing is changed
        child.expect("Stopped. Nothing was changed.")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 1, child.before
    imported = _imported(log.read_text())
    # The log is real: the plain front-end, its prompts and the forms were imported.
    assert {"wizard.cli.plain", "questionary", "wizard.forms.access"} <= imported
    assert not sorted(m for m in imported if m.split(".")[0] in ("textual", "screens"))
