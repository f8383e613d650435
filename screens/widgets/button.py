"""Textual's Button, with only the default CSS of the looks the wizard's buttons have.

Textual parses a widget's DEFAULT_CSS when the first one is mounted. Button's (7 KB: flat and
compact buttons, the success and error variants, each with its hover and active states) was
the biggest piece of the welcome screen's CSS before its first paint (about 6 ms, a third of
all its CSS). This Button brings the rules of the default, primary and warning variants,
copied unchanged (ANSI themes' included), and leaves Textual's text out: what a button looks
like is the same. tests/functional/test_button_css.py checks that each rule here is one of
Textual's, and that those left out are only for looks no wizard button has.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from textual.widgets import Button as TextualButton

if TYPE_CHECKING:
    from textual.css.types import CSSLocation

TEXTUAL_CSS = (inspect.getfile(TextualButton), "Button.DEFAULT_CSS")


class Button(TextualButton):
    """A Button (its class name is Button, so "Button" selectors and scoping are unchanged)."""

    DEFAULT_CSS = """
    Button:ansi.-style-flat, Button:ansi.-style-default {
        border: tall $border-blurred;
        background: ansi_default;

        &:disabled {
            text-opacity: 1;
            text-style: bold dim;
            border: tall $border-blurred !important;
            background: ansi_default !important;
            pointer: not-allowed;
            &:hover {
                background: ansi_default;
            }
        }

        &:hover {
            background: $ansi-background;
            border: tall $border;
        }

        &.-active {
            background: $ansi-background !important;
            border: blank $background !important;
            tint: transparent;
        }

        &.-primary {
            color: $primary;
            border: tall $primary;
            background: ansi_default;
            &:hover {
                background: $ansi-background;
            }
        }
        &.-warning {
            color: $warning;
            border: tall $warning;
            background: ansi_default;
            &:hover {
                background: $ansi-background;
            }
        }
    }

    Button {
        width: auto;
        min-width: 16;
        height:auto;
        line-pad: 1;
        text-align: center;
        content-align: center middle;
        pointer: pointer;

        &.-style-default {
            text-style: bold;
            color: $button-foreground;
            background: $surface;
            border: none;
            border-top: tall $surface-lighten-1;
            border-bottom: tall $surface-darken-1;

            &:disabled {
                text-opacity: 0.6;
                pointer: not-allowed;
            }

            &:focus {
                text-style: $button-focus-text-style;
                background-tint: $foreground 5%;
            }
            &:hover {
                border-top: tall $surface;
                background: $surface-darken-1;
            }

            &.-active {
                background: $surface;
                border-bottom: tall $surface-lighten-1;
                border-top: tall $surface-darken-1;
                tint: $background 30%;
            }

            &.-primary {
                color: $button-color-foreground;
                background: $primary;
                border-top: tall $primary-lighten-3;
                border-bottom: tall $primary-darken-3;

                &:hover {
                    background: $primary-darken-2;
                    border-top: tall $primary;
                }

                &.-active {
                    background: $primary;
                    border-bottom: tall $primary-lighten-3;
                    border-top: tall $primary-darken-3;
                }
            }

            &.-warning{
                color: $button-color-foreground;
                background: $warning;
                border-top: tall $warning-lighten-2;
                border-bottom: tall $warning-darken-3;

                &:hover {
                    background: $warning-darken-2;
                    border-top: tall $warning;
                }

                &.-active {
                    background: $warning;
                    border-bottom: tall $warning-lighten-2;
                    border-top: tall $warning-darken-2;
                }
            }
        }
    }
    """

    def _get_default_css(self) -> list[tuple[CSSLocation, str, int, str]]:
        # Textual's own Button CSS is left out: the rules above are those of it that apply.
        return [css for css in super()._get_default_css() if css[0] != TEXTUAL_CSS]
