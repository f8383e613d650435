"""Rendered systemd units: golden files for every variant, and `systemd-analyze verify` on each.

Regenerate the golden files after an intended change with: JSW_UPDATE_GOLDEN=1 pytest this file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from wizard.plan.service.unit import UnitSpec, VerifyError, render_unit, verify_unit

GOLDEN = Path(__file__).parent / "golden"

# name -> spec factory (base = a root prefix, "" for the golden files, tmp_path for verify)
VARIANTS = {
    "system": lambda base: UnitSpec(
        "system",
        jupyter_lab=f"{base}/opt/jlab/bin/jupyter-lab",
        config_dir=f"{base}/home/jupyteruser/.jupyter",
        working_dir=f"{base}/home/jupyteruser",
        user="jupyteruser",
        group="jupyteruser",
    ),
    "system-root": lambda base: UnitSpec(
        "system",
        jupyter_lab=f"{base}/opt/jlab/bin/jupyter-lab",
        config_dir=f"{base}/root/.jupyter",
        working_dir=f"{base}/root",
        user="root",
        group="root",
        allow_root=True,
    ),
    "user": lambda base: UnitSpec(
        "user",
        jupyter_lab=f"{base}/home/ann/venvs/lab/bin/jupyter-lab",
        config_dir=f"{base}/home/ann/.jupyter",
        working_dir=f"{base}/home/ann",
    ),
    # Spaces, %, $ and quotes: systemd specifiers and quoting must not mangle them.
    "odd-paths": lambda base: UnitSpec(
        "system",
        jupyter_lab=f"{base}/srv/my envs/100%$lab/bin/jupyter-lab",
        config_dir=f'{base}/srv/conf "x" 50%',
        working_dir=f"{base}/srv/note books",
        user="jupyteruser",
        group="staff",
    ),
}


def _unit_name(variant: str) -> str:
    return "jupyterlab.service"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_golden(variant: str) -> None:
    text = render_unit(VARIANTS[variant](""))
    path = GOLDEN / f"{variant}.service"
    if os.environ.get("JSW_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs (JSW_UPDATE_GOLDEN=1 to accept)"


def test_no_secrets_and_absolute_paths() -> None:
    for make in VARIANTS.values():
        text = render_unit(make(""))
        assert "argon2" not in text and "token" not in text.lower() and "password" not in text
        assert "ExecStart=/" in text or 'ExecStart="/' in text
        assert "JUPYTER_CONFIG_DIR=/" in text


def test_system_unit_essentials() -> None:
    text = render_unit(VARIANTS["system"](""))
    for line in (
        "User=jupyteruser",
        "Group=jupyteruser",
        "ExecStart=/opt/jlab/bin/jupyter-lab --no-browser",
        "WorkingDirectory=/home/jupyteruser",
        "Environment=JUPYTER_CONFIG_DIR=/home/jupyteruser/.jupyter",
        "Restart=on-failure",
        "After=network-online.target",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "WantedBy=multi-user.target",
    ):
        assert line in text.splitlines(), line
    assert "--allow-root" not in text
    assert "--allow-root" in render_unit(VARIANTS["system-root"](""))
    user = render_unit(VARIANTS["user"](""))
    assert "User=" not in user and "network-online" not in user
    assert "WantedBy=default.target" in user


def _materialize(spec: UnitSpec) -> None:
    """Make the paths a unit names exist, as verify checks that ExecStart is executable."""
    exe = Path(spec.jupyter_lab)
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    Path(spec.working_dir).mkdir(parents=True, exist_ok=True)
    Path(spec.config_dir).mkdir(parents=True, exist_ok=True)


def test_systemd_analyze_is_installed() -> None:
    assert shutil.which("systemd-analyze"), "apt-get install systemd (for systemd-analyze)"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_systemd_analyze_verify_accepts(variant: str, tmp_path: Path) -> None:
    spec = VARIANTS[variant](str(tmp_path))
    _materialize(spec)
    verify_unit(_unit_name(variant), render_unit(spec), scope=spec.scope)


def test_verify_is_strict_about_warnings(tmp_path: Path) -> None:
    """systemd-analyze exits 0 for a typo; the wizard still refuses the unit."""
    spec = VARIANTS["system"](str(tmp_path))
    _materialize(spec)
    good = render_unit(spec)
    with pytest.raises(VerifyError, match="simpel"):
        verify_unit("jupyterlab.service", good.replace("Type=simple", "Type=simpel"))
    with pytest.raises(VerifyError, match="Bogus"):
        verify_unit("jupyterlab.service", good.replace("[Service]\n", "[Service]\nBogus=1\n"))


def test_verify_rejects_missing_binary(tmp_path: Path) -> None:
    spec = VARIANTS["system"](str(tmp_path))  # not materialized: no jupyter-lab there
    with pytest.raises(VerifyError, match="jupyter-lab"):
        verify_unit("jupyterlab.service", render_unit(spec))


def test_verify_rejects_nobody(tmp_path: Path) -> None:
    spec = VARIANTS["system"](str(tmp_path))
    _materialize(spec)
    text = render_unit(spec).replace("User=jupyteruser", "User=nobody")
    with pytest.raises(VerifyError, match="nobody"):
        verify_unit("jupyterlab.service", text)
