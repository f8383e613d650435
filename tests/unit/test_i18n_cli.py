"""The CLI in Simplified Chinese: `status` and `doctor` say it in zh_CN (with --lang or the
environment), their JSON keys and codes stay English, and English stays the default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    }
    clean.update(XDG_STATE_HOME=str(tmp_path / "state"), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.toml"
    path.write_text('[network]\nport = 1\n[access]\nmethod = "ssh-tunnel"\n')
    return path


def test_status_once_in_chinese(tmp_path: Path) -> None:
    out = run("status", "--once", "--lang", "zh_CN", tmp_path=tmp_path)
    assert out.returncode in (0, 3, 4), out.stderr
    assert "JupyterLab 未在运行" in out.stdout or "JupyterLab 正在运行" in out.stdout
    assert "端口" in out.stdout and "服务：" in out.stdout
    for english in ("Configured", "Service:", "Servers", "Listening", "Findings", "fix:"):
        assert english not in out.stdout


def test_status_json_keys_and_codes_stay_english(tmp_path: Path) -> None:
    en = run("status", "--json", tmp_path=tmp_path)
    zh = run("status", "--json", tmp_path=tmp_path, LANG="zh_CN.UTF-8")
    a, b = json.loads(en.stdout), json.loads(zh.stdout)
    assert a.keys() == b.keys()
    assert (a["state"], a["exit_code"], a["configured"]["source"]) == (
        b["state"],
        b["exit_code"],
        b["configured"]["source"],
    )
    assert [f["code"] for f in a["findings"]] == [f["code"] for f in b["findings"]]
    assert [f["step"] for f in a["findings"]] == [f["step"] for f in b["findings"]]
    if b["findings"]:  # the human texts follow the language
        assert b["findings"][0]["message"] != a["findings"][0]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in b["findings"][0]["message"])
    assert en.returncode == zh.returncode


def test_doctor_in_chinese(tmp_path: Path, answers: Path) -> None:
    out = run("doctor", "--answers", str(answers), "--lang", "zh_CN", tmp_path=tmp_path)
    assert out.returncode == 1, out.stderr  # nothing listens on port 1
    assert "访问方式：ssh-tunnel" in out.stdout
    assert "检查：" in out.stdout
    assert "端口 1 上没有监听" in out.stdout
    assert "修正：" in out.stdout
    assert "Checks:" not in out.stdout and "fix:" not in out.stdout


def test_doctor_json_names_stay_english(tmp_path: Path, answers: Path) -> None:
    out = run("doctor", "--answers", str(answers), "--json", tmp_path=tmp_path, LANGUAGE="zh_CN:en")
    checks = json.loads(out.stdout)["checks"]
    names = {c["name"] for c in checks}
    assert {"service", "listening", "port"} <= names
    listening = next(c for c in checks if c["name"] == "listening")
    assert "端口 1" in listening["detail"]


def test_english_is_the_default(tmp_path: Path, answers: Path) -> None:
    out = run("doctor", "--answers", str(answers), tmp_path=tmp_path, LANG="C.UTF-8")
    assert "Access method: ssh-tunnel" in out.stdout and "Checks:" in out.stdout


def test_errors_in_chinese_keep_their_prefix_and_exit_code(tmp_path: Path) -> None:
    out = run("doctor", "--lang", "zh_CN", tmp_path=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: ")
    assert "未找到已应用的配置" in out.stderr


def test_help_in_chinese_and_an_unknown_language_refused(tmp_path: Path) -> None:
    out = run("--lang", "zh_CN", "status", "--help", tmp_path=tmp_path)
    assert "以 JSON 输出一次快照后退出" in out.stdout
    bad = run("status", "--lang", "fr", tmp_path=tmp_path)
    assert bad.returncode == 2 and "--lang" in bad.stderr


def test_chinese_help_fits_80_cells(tmp_path: Path) -> None:
    from wizard.core.i18n import cells

    for cmd in ([], ["apply"], ["doctor"], ["status"]):
        out = run(*cmd, "--help", "--lang", "zh_CN", tmp_path=tmp_path, COLUMNS="80")
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("用法：")
        wide = [line for line in out.stdout.splitlines() if cells(line) > 80]
        assert wide == []
