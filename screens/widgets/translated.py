"""The key descriptions the footer shows, in the current language.

Bindings are class constants (made at import, before the language may be chosen); their
descriptions are msgids marked with N_() and translated here, each time the footer asks.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from textual.binding import ActiveBinding

from wizard.core.i18n import _


def translated(bindings: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    out = {}
    for key, active in bindings.items():
        binding = active.binding
        description = _(binding.description)
        tooltip = _(active.tooltip)
        if description == binding.description and tooltip == active.tooltip:
            out[key] = active  # English, or no text: nothing to copy (the footer asks often)
            continue
        if description != binding.description:
            binding = dataclasses.replace(binding, description=description)
        out[key] = active._replace(binding=binding, tooltip=tooltip)
    return out


if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[Any]
else:
    _Base = object  # a plain mixin: a Screen base here would repeat Screen's CSS (opaque modals)


class TranslatedBindings(_Base):
    """Mixed in before a Screen class: its footer's descriptions follow the language."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return translated(super().active_bindings)
