"""Reusable widgets of the wizard: the step list, labelled fields, choice lists, dialogs.

(TickBox lives in screens.widgets.tick, imported by the screens that use it: not at startup.)
"""

from __future__ import annotations

from screens.widgets.choice import ChoiceList
from screens.widgets.dialogs import ConfirmScreen, HelpScreen
from screens.widgets.field import Field
from screens.widgets.step_list import StepList

__all__ = ["ChoiceList", "ConfirmScreen", "Field", "HelpScreen", "StepList"]
