from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wizard.probe.jupyter_config import (
    Setting,
    json_with_changes,
    py_with_statements_disabled,
    read_config_file,
    render_json,
)


def test_py_config_is_parsed_not_executed(tmp_path: Path) -> None:
    p = tmp_path / "jupyter_server_config.py"
    p.write_text(
        "import os\nc = get_config()  # noqa\n"
        "c.NotebookApp.ip = '*'\n"
        "c.ServerApp.port = (\n    8888\n)\n"
        "c.ServerApp.root_dir = os.getcwd()\n"
        "raise SystemExit('executed!')\n"
    )
    cf = read_config_file(p)
    assert cf.error is None
    got = {s.name: (s.value, s.literal, s.lines) for s in cf.settings}
    assert got == {
        "NotebookApp.ip": ("*", True, (3, 3)),
        "ServerApp.port": (8888, True, (4, 6)),
        "ServerApp.root_dir": (None, False, (7, 7)),
    }


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("jupyter_server_config.json", "{not json", "not valid JSON"),
        ("jupyter_server_config.json", "[1, 2]", "not a JSON object"),
        ("jupyter_server_config.py", "c.ServerApp.port = (", "not valid Python"),
    ],
)
def test_unparsable_files_are_reported(tmp_path: Path, name: str, text: str, error: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    assert error in (read_config_file(p).error or "")


def test_empty_json_is_no_config(tmp_path: Path) -> None:
    p = tmp_path / "jupyter_server_config.json"
    p.write_text("")
    cf = read_config_file(p)
    assert cf.error is None and cf.settings == []


def test_json_changes_keep_unknown_keys_and_order() -> None:
    data = {"LabApp": {"x": 1}, "ServerApp": {"token": "t", "foo": 2}, "NotebookApp": {"ip": "*"}}
    out = json_with_changes(
        data,
        {("ServerApp", "port"): 9000},
        {("ServerApp", "token"), ("NotebookApp", "ip")},
    )
    assert out == {"LabApp": {"x": 1}, "ServerApp": {"foo": 2, "port": 9000}}
    assert data["ServerApp"]["token"] == "t"  # input untouched
    assert render_json(out).endswith("}\n")


def settings_of(tmp_path: Path, text: str) -> list[Setting]:
    p = tmp_path / "jupyter_server_config.py"
    p.write_text(text)
    return read_config_file(p).settings


def test_disabling_py_lines_keeps_them_as_comments(tmp_path: Path) -> None:
    text = "c = get_config()\nc.ServerApp.password = 'sha1:a:b'\nc.ServerApp.port = (\n  1)\nc.X.y = 2\n"
    mine = [s for s in settings_of(tmp_path, text) if s.key[0] == "ServerApp"]
    out = py_with_statements_disabled(text, mine, "moved")
    assert out.splitlines() == [
        "c = get_config()",
        "# [jupyter-setup-wizard] moved",
        "# c.ServerApp.password = 'sha1:a:b'",
        "# [jupyter-setup-wizard] moved",
        "# c.ServerApp.port = (",
        "#   1)",
        "c.X.y = 2",
    ]


def test_a_statement_in_a_block_becomes_pass(tmp_path: Path) -> None:
    text = (
        "import os\n"
        "if os.getenv('JUPYTER_TOKEN') is not None:\n"
        "    c.ServerApp.token = os.getenv('JUPYTER_TOKEN')\n"
        "if True: c.ServerApp.port = 1  # old\n"
        "a = 1; c.ServerApp.ip = (\n  '*')\n"
        "c.ServerApp['base_url'] = '/x/'\n"
    )
    found = settings_of(tmp_path, text)
    assert {s.name for s in found} == {
        "ServerApp.token", "ServerApp.port", "ServerApp.ip", "ServerApp.base_url"
    }  # fmt: skip
    out = py_with_statements_disabled(text, found, "moved")
    assert out.splitlines() == [
        "import os",
        "if os.getenv('JUPYTER_TOKEN') is not None:",
        "    # [jupyter-setup-wizard] moved",
        "    # c.ServerApp.token = os.getenv('JUPYTER_TOKEN')",
        "    pass",
        "# [jupyter-setup-wizard] moved",
        "# if True: c.ServerApp.port = 1  # old",
        "if True: pass  # old",
        "# [jupyter-setup-wizard] moved",
        "# a = 1; c.ServerApp.ip = (",
        "#   '*')",
        "a = 1; pass",
        "# [jupyter-setup-wizard] moved",
        "# c.ServerApp['base_url'] = '/x/'",
    ]
    ast.parse(out)


def test_a_statement_setting_two_names_is_refused_by_line(tmp_path: Path) -> None:
    text = "x = c.ServerApp.port = 8888\n"
    found = settings_of(tmp_path, text)
    with pytest.raises(ValueError, match=r"ServerApp\.port: line 1 assigns 2 names"):
        py_with_statements_disabled(text, found, "moved")
