"""Reusable widgets of the wizard: the step list, labelled fields, choice lists, dialogs."""

from __future__ import annotations

from screens.widgets.choice import ChoiceList
from screens.widgets.dialogs import ConfirmScreen, HelpScreen
from screens.widgets.field import Field
from screens.widgets.step_list import StepList
from screens.widgets.tick import TickBox

__all__ = ["ChoiceList", "ConfirmScreen", "Field", "HelpScreen", "StepList", "TickBox"]
