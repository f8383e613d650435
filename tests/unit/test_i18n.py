"""The translations: the catalogs (complete, placeholders kept, .mo current) and which
language a run picks (--lang, the remembered Welcome choice, the environment, English)."""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from wizard.core import i18n

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "wizard" / "locale"
POT = LOCALE / f"{i18n.DOMAIN}.pot"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")

BRACE = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}(?!\})")
PERCENT = re.compile(r"%(?:\(([A-Za-z_][A-Za-z0-9_]*)\))?[-#0 +]*\d*(?:\.\d+)?[sdrifx%]")
# Rich/Textual markup tags ([b], [/], [bold red], [$accent], [@click=...], [link=...])
MARKUP = re.compile(
    r"\[/?(?:b|i|u|s|bold|italic|underline|strike|dim|reverse|blink|link|on|not|red|green|"
    r"yellow|blue|magenta|cyan|white|black)(?:[\s=][^\[\]]*)?\]|\[/?[$@#][^\[\]]*\]|\[/\]"
)


def _po():  # type: ignore[no-untyped-def]
    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def _entries() -> Iterator[tuple[str, str]]:
    """(msgid, msgstr) of every form of every message (plurals: each msgid form against each
    msgstr form)."""
    for m in _po():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strs = m.string if isinstance(m.string, tuple) else (m.string,)
        for s in strs:
            yield ids[-1], s
            if len(ids) > 1:
                yield ids[0], s


def test_every_msgid_of_the_template_has_a_chinese_translation() -> None:
    with POT.open("rb") as f:
        pot = read_po(f)
    po = _po()
    missing = []
    for m in pot:
        if not m.id:
            continue
        t = po.get(m.id)
        strings = t.string if t is not None and isinstance(t.string, tuple) else (t and t.string,)
        if t is None or not all(strings):
            missing.append(m.id)
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_no_fuzzy_or_obsolete_entries() -> None:
    po = _po()
    assert [m.id for m in po if m.id and m.fuzzy] == []
    assert list(po.obsolete) == []


def test_placeholders_and_markup_are_the_same_in_msgid_and_msgstr() -> None:
    bad = []
    for msgid, msgstr in _entries():
        if not msgstr:
            continue
        for pattern in (BRACE, PERCENT, MARKUP):
            if sorted(pattern.findall(msgid)) != sorted(pattern.findall(msgstr)):
                bad.append((pattern.pattern[:12], msgid, msgstr))
    assert bad == []


def test_placeholders_are_named_so_translators_can_reorder_them() -> None:
    positional = [
        msgid
        for msgid, _s in _entries()
        if re.search(r"(?<!\{)\{\}(?!\})|\{\d+\}", msgid) or re.search(r"%[sd]", msgid)
    ]
    assert positional == []


def test_the_template_holds_every_string_of_the_source() -> None:
    """`pybabel extract` run again finds nothing new (and nothing gone): the .pot is current."""
    with POT.open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    method_map = [("wizard/**.py", "python"), ("screens/**.py", "python")]
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        found.add(message)
    assert sorted(map(str, found - pot)) == [], "run pybabel extract (README: Translations)"
    assert sorted(map(str, pot - found)) == [], "run pybabel extract (README: Translations)"


def test_the_shipped_mo_is_compiled_from_the_po() -> None:
    """A .po changed without `pybabel compile` fails here."""
    with MO.open("rb") as f:
        mo = read_mo(f)

    def key(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    compiled = {key(m.id): key(m.string) for m in mo if m.id}
    wanted = {key(m.id): key(m.string) for m in _po() if m.id and not m.fuzzy}
    wanted = {k: v for k, v in wanted.items() if v and (not isinstance(v, tuple) or all(v))}
    assert compiled == wanted, "run pybabel compile (README: Translations)"


def test_the_mo_loads_with_gettext() -> None:
    t = gettext.translation(i18n.DOMAIN, str(LOCALE), languages=["zh_CN"])
    assert t.info()["plural-forms"].startswith("nplurals=1")


# -- which language ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh_CN.utf8@pinyin", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh_TW.UTF-8", None),  # Traditional Chinese: not ours
        ("en_US.UTF-8", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("de_DE", None),
        ("", None),
    ],
)
def test_normalize(code: str, expected: str | None) -> None:
    assert i18n.normalize(code) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh_CN"),  # first supported entry
        ({"LANGUAGE": "", "LC_ALL": "zh_CN.UTF-8", "LANG": "en_US"}, "zh_CN"),  # empty: skipped
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN", "LANG": "zh_CN"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANG": "de_DE.UTF-8"}, None),
        # The first variable set decides, as in gettext: a later one is not looked at.
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "zh_CN.UTF-8"}, None),
        ({"LANGUAGE": "en:zh_CN", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_the_environment_in_gettexts_order(env: dict[str, str], expected: str | None) -> None:
    assert i18n.from_env(env) == expected


def test_choose_lang_then_remembered_then_env_then_english() -> None:
    zh = {"LANG": "zh_CN.UTF-8"}
    assert i18n.choose("zh_CN", env={}, saved="en") == "zh_CN"
    assert i18n.choose("en", env=zh, saved="zh_CN") == "en"
    assert i18n.choose(None, env=zh, saved="en") == "en"
    assert i18n.choose(None, env={"LANG": "en_US"}, saved="zh_CN") == "zh_CN"
    assert i18n.choose(None, env=zh, saved=None) == "zh_CN"
    assert i18n.choose(None, env={"LANG": "de_DE"}, saved=None) == "en"
    assert i18n.choose(None, env={}, saved=None) == "en"


def test_lang_from_argv() -> None:
    assert i18n.lang_from_argv(["status", "--lang", "zh_CN", "--json"]) == "zh_CN"
    assert i18n.lang_from_argv(["--lang=zh_CN", "doctor"]) == "zh_CN"
    assert i18n.lang_from_argv(["apply", "x.toml"]) is None
    assert i18n.lang_from_argv(["apply", "--", "--lang", "zh_CN"]) is None


def test_set_language_switches_every_translation() -> None:
    i18n.set_language("zh_CN")
    assert i18n.language() == "zh_CN"
    assert i18n._("Welcome") != "Welcome"
    i18n.set_language("de")
    assert i18n.language() == "en"
    assert i18n._("Welcome") == "Welcome"


def test_the_marker_returns_its_text_and_translates_where_shown() -> None:
    label = i18n.N_("Welcome")
    assert label == "Welcome"
    i18n.set_language("zh_CN")
    assert i18n._(label) != label
    assert i18n._("/some/path that is no msgid") == "/some/path that is no msgid"


def test_the_choice_is_remembered_in_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = i18n.remembered_path()
    assert i18n.remembered(path) is None
    i18n.remember("zh_CN", path)
    assert i18n.remembered(path) == "zh_CN"
    assert path.stat().st_mode & 0o777 == 0o644
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert i18n.select() == "zh_CN"
    assert i18n.select("en") == "en"
    i18n.remember("en", path)
    assert i18n.select() == "en"
    with pytest.raises(ValueError):
        i18n.remember("klingon", path)


def test_a_remembered_file_others_can_write_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = i18n.remembered_path()
    i18n.remember("zh_CN", path)
    os.chmod(path, 0o666)
    assert i18n.remembered(path) is None
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o777)  # a state dir others could plant a file in
    assert i18n.remembered(path) is None
    os.chmod(path.parent, 0o700)
    link = path.with_name("elsewhere")
    path.rename(link)
    path.symlink_to(link)
    assert i18n.remembered(path) is None  # never through a link


# -- width in terminal cells ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "port", "端口", "JupyterLab 未在运行", "（留空：你自己）", "e\u0301", "✓ ✗ ⚠ …"]
)
def test_cells_count_as_the_terminal_does(text: str) -> None:
    from rich.cells import cell_len

    assert i18n.cells(text) == cell_len(text)


def test_pad_aligns_by_cells() -> None:
    rows = [i18n.pad(name, 12) + "|" for name in ("Config", "配置", "可访问", "JupyterLab")]
    assert {i18n.cells(r) for r in rows} == {13}
    assert i18n.pad("much longer than twelve", 12) == "much longer than twelve"


def test_wrap_cells_keeps_lines_within_the_width() -> None:
    import textwrap

    english = "print one snapshot as JSON and exit, and some more words here"
    assert i18n.wrap_cells(english, 20) == textwrap.wrap(english, 20)
    chinese = "从标准输入读取反向代理的 basic-auth 密码（两者都有时，在 Jupyter 密码的下一行）"
    lines = i18n.wrap_cells(chinese, 30)
    assert "".join(lines).replace(" ", "") == chinese.replace(" ", "")
    assert all(i18n.cells(line) <= 32 for line in lines)  # closing punctuation may overhang
    assert not any(line[0] in i18n.NO_LINE_START for line in lines)
