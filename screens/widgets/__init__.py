"""Reusable widgets of the wizard: the step list, labelled fields, choice lists, dialogs.

Each loads when first asked for (`from screens.widgets import Field` imports the field module
then): the welcome screen, painted first, needs only the step list and the dialogs.
(TickBox lives in screens.widgets.tick, imported by the screens that use it: not at startup.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screens.widgets.choice import ChoiceList
    from screens.widgets.dialogs import ConfirmScreen, HelpScreen
    from screens.widgets.field import Field
    from screens.widgets.step_list import StepList

__all__ = ["ChoiceList", "ConfirmScreen", "Field", "HelpScreen", "StepList"]

_MODULES = {
    "ChoiceList": "choice",
    "ConfirmScreen": "dialogs",
    "HelpScreen": "dialogs",
    "Field": "field",
    "StepList": "step_list",
}


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
