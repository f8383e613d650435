"""JupyterLab in Chinese, for real: an apply with `install.language_pack = "zh_CN"` puts
JupyterLab's own language pack into an existing JupyterLab venv (with uv and with pip) and makes
zh_CN the default locale in that venv's overrides.json, next to a setting already there; the
service's JupyterLab then lists and serves zh_CN through its translations API and its settings
API gives zh_CN as the translation plugin's default. A later `rollback` uninstalls the pack and
puts overrides.json back byte for byte.

Packages come from the wheelhouse next to the cached test venv (no index): the venv JupyterLab
runs from is made by a first apply (create-venv, no language pack)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.index import wheelhouse
from tests.support.jupyter import login
from tests.support.ports import free_port
from tests.system.test_install import REPO, run_apply, used_installer, wizard_env, write_answers

pytestmark = pytest.mark.system

PASSWORD = "zh pack pw 19"
PLUGIN = "@jupyterlab/translation-extension:plugin"
THEIRS = (
    b'{\n  "@jupyterlab/apputils-extension:themes": {\n    "theme": "JupyterLab Dark"\n  }\n}\n'
)


def wizard(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-4000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def packs(python: Path) -> list[str]:
    """The language packs JupyterLab's Python finds (its entry points)."""
    code = (
        "from importlib import metadata\n"
        "print(sorted(e.name for e in metadata.entry_points(group='jupyterlab.languagepack')))"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout.replace("'", '"'))


def wait_serving(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} does not answer")


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_apply_makes_jupyterlab_chinese_and_rollback_takes_it_back(
    installer: str, tmp_path: Path
) -> None:
    venv = tmp_path / "envs" / "jlab"
    python = venv / "bin" / "python"
    nb = tmp_path / "nb"
    nb.mkdir()
    env = wizard_env(tmp_path, PIP_FIND_LINKS=str(wheelhouse()), PIP_NO_INDEX="1")
    port = free_port()
    first = write_answers(tmp_path / "venv.toml", venv, port, nb, installer=installer)
    r = run_apply(first, env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert packs(python) == []

    # A default someone set already, in the file JupyterLab reads setting defaults from.
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_bytes(THEIRS)

    answers = tmp_path / "zh.toml"
    answers.write_text(
        f'[jupyter]\npython = "{python}"\n'
        f'[install]\naction = "keep"\ninstaller = "{installer}"\nlanguage_pack = "zh_CN"\n'
        f'[network]\nport = {port}\nroot_dir = "{nb}"\n'
        '[service]\nmanager = "background"\nuser = "root"\nallow_root = true\n'
    )
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    out = wizard(env, "apply", str(answers), "--yes", "--password-stdin", stdin=PASSWORD)
    print(f"[timing] language pack apply with {installer}: {time.monotonic() - t0:.1f}s")
    try:
        assert "install JupyterLab's zh_CN language pack (jupyterlab-language-pack-zh-CN)" in out
        assert used_installer(out) == installer
        applied = out.split("Applied (ID ", 1)[1].split(")", 1)[0]
        assert packs(python) == ["zh_CN"]
        data = json.loads(overrides.read_text())
        assert data == {
            "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
            PLUGIN: {"locale": "zh_CN"},
        }

        wait_serving(url)
        assert requests.get(f"{url}/lab/api/translations", timeout=10).status_code == 403
        status, s = login(url, PASSWORD)
        assert status == 302
        listed = s.get(f"{url}/lab/api/translations", timeout=30)
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["message"] == "" and "zh_CN" in body["data"], body
        assert "中文" in body["data"]["zh_CN"]["nativeName"]
        # (its displayName stays English: the server names packs in the *user's* locale
        # setting, not the default; the page itself follows the composite, zh_CN)
        served = s.get(f"{url}/lab/api/translations/zh_CN", timeout=30)
        assert served.status_code == 200
        pack = served.json()
        assert pack["message"] == "", pack["message"]
        messages = pack["data"]["jupyterlab"]
        assert messages[""]["language"] in ("zh_CN", "zh-CN")
        assert any("文件" in str(v) for v in messages.values())  # "File" menu and friends
        settings = s.get(f"{url}/lab/api/settings/{PLUGIN}", timeout=30)
        assert settings.status_code == 200, settings.text
        schema = settings.json()["schema"]
        assert schema["properties"]["locale"]["default"] == "zh_CN"
        themes = s.get(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:themes", timeout=30)
        assert themes.json()["schema"]["properties"]["theme"]["default"] == "JupyterLab Dark"

        again = wizard(env, "apply", str(answers), "--yes", "--password-stdin", stdin=PASSWORD)
        assert "Nothing to change" in again, again
    except BaseException:
        subprocess.run(
            [sys.executable, "-m", "wizard", "service", "stop"], env=env, cwd=REPO, timeout=120
        )
        raise

    t0 = time.monotonic()
    rb = wizard(env, "rollback", applied, "--yes")
    print(f"[timing] rollback of the language pack: {time.monotonic() - t0:.1f}s")
    assert packs(python) == []
    assert overrides.read_bytes() == THEIRS
    assert (venv / "bin" / "jupyter-lab").exists()  # the venv itself stays: another apply made it
    with pytest.raises(requests.RequestException):
        requests.get(f"{url}/api", timeout=2)  # not running before that apply: stopped again
    assert "jupyterlab-language-pack-zh-cn" in rb
