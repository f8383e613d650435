"""The same answers make the same plan in every front-end, under sudo too: `apply --dry-run`,
`--plain` (in a pty, taking every default) and the TUI (Pilot) all go through wizard.session;
for an environment kept as it is, and for a new venv (where --plain asks the installer and the
index too).

"Under sudo" as sudo leaves the environment: root, SUDO_USER set, no SSH_CONNECTION, no
JUPYTER_CONFIG_DIR; the sudo user is `daemon` (every Debian has it). Nothing is applied.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from screens.app import WizardApp
from tests.functional.wizard_helpers import settle
from tests.support.cli import REPO
from tests.support.ports import free_port
from wizard.core.answers import Answers, save_answers
from wizard.plan.steps.install import resolve_answers
from wizard.probe.installers import find_uv

pytestmark = pytest.mark.system

SUDO_USER = "daemon"
ENTER = "\r"


def sudo_env(tmp: Path) -> dict[str, str]:
    return {
        "SUDO_USER": SUDO_USER,
        "XDG_STATE_HOME": str(tmp / "state"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "HOME": "/root",
        "TERM": "xterm",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }


def record(tmp: Path, jlab: str, action: str = "keep") -> Path:
    """The setup of record every front-end starts from (the plain and TUI prefill): jlab's
    environment kept, or a new venv (not made yet) with the default installer and index."""
    state = tmp / "state" / "jupyter-setup-wizard"
    state.mkdir(parents=True)
    answers = Answers().replace("jupyter", python=jlab).replace("network", port=free_port())
    if action == "create-venv":
        venv = str(tmp / "venvs" / "jlab")
        answers = answers.replace("install", action=action, venv_path=venv)
        answers = resolve_answers(answers.replace("jupyter", python=""))
    path = state / "current-answers.toml"
    save_answers(answers, path)
    return path


def plain_plan(tmp: Path, env: dict[str, str]) -> tuple[str, str]:
    """Every prompt answered with its default; the review text (and all that came before it),
    then 'n'."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "wizard", "--plain"],
        env=as_sudo_leaves_it(env),
        cwd=str(REPO),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    asked = ""
    try:
        for _ in range(60):  # a prompt waits for its answer when nothing more comes
            i = child.expect(
                [r"== Review \(nothing has been changed yet\)\r?\n", pexpect.TIMEOUT], timeout=2
            )
            asked += child.before or ""
            if i == 0:
                break
            child.send(ENTER)
        else:
            raise AssertionError(f"--plain never reached the review:\n{child.before}")
        child.expect(r"Apply \d+ change\(s\)\?|Nothing to change\.")
        text = child.before or ""
        child.send("n")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    review = _clean(text).removesuffix("?").rstrip()  # the confirm prompt's own "?" mark
    return review, _clean(asked)


_DROPPED = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "JUPYTER_CONFIG_DIR")


def as_sudo_leaves_it(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in {**os.environ, **env}.items() if k not in _DROPPED}


def _clean(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


async def tui_plan(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in _DROPPED:
        monkeypatch.delenv(k, raising=False)
    app = WizardApp(discover=lambda: [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        plan = app.screen.plan  # type: ignore[attr-defined]
        assert plan is not None, str(app.screen.query_one("#plan").render())
        text: str = plan.render()
        await pilot.press("ctrl+q")
        await settle(pilot)
    return text


@pytest.mark.parametrize("action", ["keep", "create-venv"])
async def test_apply_plain_and_tui_make_the_same_plan_under_sudo(
    action: str, tmp_path: Path, jlab: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = record(tmp_path, jlab, action)
    env = sudo_env(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "wizard", "apply", str(answers), "--dry-run"],
        env=as_sudo_leaves_it(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    cli = _clean(r.stdout)
    assert f"/{SUDO_USER}" in cli or "/usr/sbin/.jupyter" in cli  # the sudo user's own paths
    assert "/root/.jupyter" not in cli
    plain, asked = plain_plan(tmp_path, env)
    if action == "create-venv":  # asked, and taken as they were: auto, the configured index
        assert "Installer" in asked and "Package index URL" in asked, asked
        tool = "uv" if find_uv() else "pip"
        assert f"Installs with {tool}" in asked and f"installer: {tool}" in cli
    else:
        assert "Installer" not in asked and "installer:" not in cli
    tui = _clean(await tui_plan(env, monkeypatch))
    assert plain == cli, f"--plain:\n{plain}\n--- apply --dry-run:\n{cli}"
    assert tui == cli, f"TUI:\n{tui}\n--- apply --dry-run:\n{cli}"
