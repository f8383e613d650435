"""`--plain` in Simplified Chinese through a real pty: the prompts, questionary's hints, the
review, the apply and its result in zh_CN (LANG=zh_CN.UTF-8, as a Chinese server has it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.system.test_plain_access import ENTER, PASSWORD, STATE, Person
from wizard.core.answers import Answers, save_answers

pytestmark = pytest.mark.system


CHINESE = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:en"}  # as a Chinese server has it


def test_plain_in_chinese_default_ssh_tunnel(tmp_path: Path, jlab: str) -> None:
    port = free_port()
    (tmp_path / STATE).mkdir(parents=True)
    previous = Answers().replace("jupyter", python=jlab).replace("network", port=port)
    save_answers(previous, tmp_path / STATE / "current-answers.toml")
    p = Person(tmp_path, locale=CHINESE)
    try:
        p.expect("纯文本模式")
        p.expect("用于 JupyterLab 的 Python 环境")
        p.expect("（用方向键选择）")  # questionary's own hint, in Chinese
        p.key(ENTER)
        p.expect("怎么做")
        p.key(ENTER)
        p.expect("安装 JupyterLab 的中文语言包")  # on by default in Chinese
        p.expect(r"\(Y/n\)|（Y/n）|\[Y/n\]")
        p.key("n")  # not into the shared test JupyterLab (tests/system/test_language_pack.py)
        p.expect("将这些作为内核提供")
        p.key(ENTER)
        p.password("新的 Jupyter 密码", "再输入一次同样的密码")
        p.defaults("监听地址", "端口", "根目录", "基础 URL", "用什么保持 JupyterLab 运行")
        p.defaults("从你的电脑访问 JupyterLab 的方式")
        p.expect(f"本地端口（留空：{port}，即 Jupyter 自己的端口）")
        p.key(ENTER)
        p.defaults("SSH 用户", "SSH 主机", "SSH 端口")
        p.expect("你需要在自己的电脑上运行：  ssh -N -L")
        p.expect("检查（尚未做任何更改）")
        p.expect(r"应用这 (\d+) 项更改吗？")
        p.key("y")
        p.expect("已应用（ID ")
        p.expect("实时状态：jupyter-setup-wizard status")
        status = p.finish()
    finally:
        p.close()
    assert status == 0, p.seen[-2000:]
    assert PASSWORD not in p.seen
    assert "(Use arrow keys)" not in p.seen
    cfg = json.loads((tmp_path / "jupyter-config" / "jupyter_server_config.json").read_text())
    assert cfg["ServerApp"]["port"] == port  # the config written is the same in every language
