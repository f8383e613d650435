"""Translations of what a person reads: `_()`, `ngettext()`, and `N_()` for constants.

The catalogs are gettext's (`wizard/locale/<lang>/LC_MESSAGES/jupyter_setup_wizard.mo`, built
from the `.po` beside it by `pybabel compile`). English is the source language and the default.

Which language: `--lang` on the command line, else the choice remembered from the Welcome
screen (in the state dir), else the environment in gettext's order (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG: the first one set decides; `zh_CN.UTF-8`, `zh_CN:en` and `zh` all mean
Simplified Chinese), else English. `select()` applies that order once at start-up.

Module-level constants (field labels, titles, key descriptions) are marked with `N_()`, which
returns its argument unchanged so the extractor finds it; the code showing them passes them
through `_()` then, so the language chosen at start-up (or later, on Welcome) applies whatever
the import order. `_()` of a text that is no msgid (a translated one, a path) is that text.

Machine-readable output (JSON keys and codes, answers keys, exit codes) is never translated;
only the human `message`/`fix` texts are. Placeholders are named (`{port}`), formatted after
translation: `_("port {port} is busy").format(port=port)`.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gettext

DOMAIN = "jupyter_setup_wizard"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT = "en"
# code -> the name shown for it (in its own language)
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
REMEMBERED_FILE = "language"

# None in English, the source language: no catalog is loaded (nor gettext imported) for it.
_translations: gettext.NullTranslations | None = None
_language = DEFAULT


def _(message: str) -> str:
    """`message` in the current language (itself when there is no translation)."""
    if not message or _translations is None:
        return message
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Chinese has one form)."""
    if _translations is None:
        return singular if n == 1 else plural  # as gettext's NullTranslations
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for extraction; translated where it is shown, with `_()`."""
    return message


def language() -> str:
    """The current language's code ("en", "zh_CN")."""
    return _language


def is_chinese() -> bool:
    return _language == "zh_CN"


def normalize(code: str | None) -> str | None:
    """A supported language code for `code` ("zh_CN.UTF-8" -> "zh_CN"), "en" for English and
    the C locale, None for an unsupported one (e.g. "de_DE", "zh_TW": Traditional Chinese)."""
    if not code:
        return None
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_")
    if not base:
        return None
    if base in ("C", "POSIX") or base.lower() == "en" or base.lower().startswith("en_"):
        return "en"
    lower = base.lower()
    if lower in ("zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn", "zh_hans_sg"):
        return "zh_CN"
    return None


def from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The language the environment asks for, in gettext's order: the first of LANGUAGE,
    LC_ALL, LC_MESSAGES, LANG that is set decides; its `:`-separated list is read left to
    right, the first supported entry wins. None when it names nothing we have."""
    env = os.environ if env is None else env
    for var in ENV_VARS:
        value = env.get(var, "")
        if value:
            for entry in value.split(":"):
                found = normalize(entry)
                if found:
                    return found
            return None
    return None


def remembered_path() -> Path:
    from wizard.core.paths import state_dir

    return state_dir() / REMEMBERED_FILE


def remembered(path: Path | None = None) -> str | None:
    """The language chosen on Welcome earlier, if the file is one only root or we could have
    written (as root, another user's planted file is ignored, not trusted)."""
    from wizard.core.paths import UnsafeStateDir, checked

    path = path or remembered_path()
    try:
        checked(path.parent)
        st = os.lstat(path)
    except (OSError, UnsafeStateDir):
        return None
    if (
        not stat.S_ISREG(st.st_mode)
        or st.st_uid not in (0, os.geteuid())
        or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        return None
    from wizard.core.fileops import read_file  # only when there is a file: most starts have none

    try:
        data = read_file(path, limit=64)
    except (OSError, ValueError):
        return None
    if data is None:
        return None
    return normalize(data.decode("ascii", errors="replace").strip())


def remember(code: str, path: Path | None = None) -> None:
    """Keep the Welcome choice for the next start (the state dir, checked; mode 0644)."""
    from wizard.core.fileops import atomic_write
    from wizard.core.paths import private_dir, state_dir_mode

    found = normalize(code)
    if found is None:
        raise ValueError(f"unsupported language: {code!r}")
    path = path or remembered_path()
    private_dir(path.parent, state_dir_mode())
    atomic_write(path, (found + "\n").encode(), 0o644, None)


def choose(
    cli: str | None = None,
    env: Mapping[str, str] | None = None,
    saved: str | None = None,
) -> str:
    """The language to use: `--lang`, else the remembered choice, else the environment, else
    English."""
    for candidate in (normalize(cli), normalize(saved), from_env(env)):
        if candidate:
            return candidate
    return DEFAULT


def set_language(code: str | None) -> str:
    """Switch every `_()` to `code` (unsupported or None: English); returns the code used."""
    global _translations, _language
    found = normalize(code) or DEFAULT
    if found == DEFAULT:
        _translations = None
    else:
        import gettext

        _translations = gettext.translation(
            DOMAIN, str(LOCALE_DIR), languages=[found], fallback=True
        )
    _language = found
    return found


def select(cli: str | None = None, *, use_remembered: bool = True) -> str:
    """At start-up: choose (see `choose`) and switch to it; returns the code."""
    saved = remembered() if use_remembered and not cli else None
    return set_language(choose(cli, saved=saved))


def lang_from_argv(argv: list[str]) -> str | None:
    """`--lang X` / `--lang=X` anywhere in argv (read before the parser is built, so its help
    texts are in that language too)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


# -- width in terminal cells (a Chinese character takes two) ----------------------------------


def cells(text: str) -> int:
    """How many terminal cells `text` takes: East Asian wide and fullwidth characters two,
    combining marks and zero-width characters none (as rich.cells.cell_len counts)."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\ufeff":
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` cells (str.ljust counts characters, not cells)."""
    return text + " " * max(0, width - cells(text))


# Closing punctuation never starts a line (it stays on the line before, a cell or two over).
NO_LINE_START = "）)」』】》，。、；：！？,.;:!?"


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells: broken at spaces, and between two wide
    characters (Chinese has no spaces between words); textwrap counts characters instead."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isspace():
            if word:
                tokens.append(word)
            word = ""
            tokens.append(" ")
        elif cells(ch) == 2:
            if word and cells(word[-1]) != 2:
                tokens.append(word)
                word = ""
            word += ch
            tokens.append(word)
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token == " ":
            if line and not line.endswith(" "):
                line += " "
            continue
        if line and cells(line + token) > width and token[0] not in NO_LINE_START:
            lines.append(line.rstrip())
            line = ""
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines
