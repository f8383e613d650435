"""The wizard's Button (screens/widgets/button.py) carries a part of Textual's Button CSS: each
of its rules must be one of Textual's, and what it leaves out only looks no wizard button has
(flat, compact, the success and error variants). A Textual upgrade that changes a button's
looks fails here, until the copy is taken again."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.app import App, ComposeResult
from textual.css.stylesheet import Stylesheet
from textual.widgets import Button as TextualButton

from screens.widgets.button import TEXTUAL_CSS, Button

SCREENS = Path(__file__).parents[2] / "screens"
LEFT_OUT = ("-style-flat", "-textual-compact", "-success", "-error")
VARIANTS = {"default", "primary", "warning"}


def _rules(css: str) -> set[str]:
    sheet = Stylesheet(variables=App().get_css_variables())
    sheet.add_source(css, read_from=("test", "Button.DEFAULT_CSS"), is_default_css=True,
                     scope="Button")  # fmt: skip
    sheet.parse()
    return {rule.css for rule in sheet.rules}


def test_each_rule_is_one_of_textuals() -> None:
    ours, textuals = _rules(Button.DEFAULT_CSS), _rules(TextualButton.DEFAULT_CSS)
    assert ours and ours <= textuals
    assert [r for r in textuals - ours if not any(looks in r for looks in LEFT_OUT)] == []


def test_wizard_buttons_have_only_the_looks_kept() -> None:
    """Every Button(...) in screens/ is one of the kept variants, never flat or compact."""
    calls = 0
    for path in SCREENS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Button":
                calls += 1
                words = {k.arg: k.value for k in node.keywords}
                assert "flat" not in words and "compact" not in words, path
                variant = words.get("variant")
                assert variant is None or ast.literal_eval(variant) in VARIANTS, path
    assert calls >= 5  # welcome (3), the confirmation (2)


async def test_textuals_button_css_is_not_loaded() -> None:
    class Buttons(App[None]):
        def compose(self) -> ComposeResult:
            yield Button("a", variant="primary")

    app = Buttons()
    async with app.run_test():
        sources = app.stylesheet.source
        assert TEXTUAL_CSS not in sources
        assert any(css == Button.DEFAULT_CSS for css, *_ in sources.values())
