"""Describing an environment from its files: what its owner wrote there is not trusted."""

from __future__ import annotations

from pathlib import Path

from wizard.probe.environments import describe_env_dir


def test_a_version_in_the_owners_files_is_shown_only_when_it_is_one(tmp_path: Path) -> None:
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7[red]x\n")
    env = describe_env_dir(tmp_path)
    assert env is not None and env.python_version == "?"
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    env = describe_env_dir(tmp_path)
    assert env is not None and env.python_version == "3.11.7"
