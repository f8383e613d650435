"""none: no service; the person starts jupyter-lab themselves (the wizard writes the config)."""

from __future__ import annotations

import pwd
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.plan.service.base import Installation, Launch, ServiceError, ServiceState

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.probe.facts import Facts


class NoManager:
    """manager = "none": the person starts jupyter-lab themselves."""

    kind: ClassVar[str] = "none"
    label: ClassVar[str] = N_("None: I start jupyter-lab myself")
    needs_reload: ClassVar[bool] = False
    needs_root: ClassVar[bool] = False
    supports_boot: ClassVar[bool] = False
    may_run_as_other_user: ClassVar[bool] = False
    manager = kind

    def __init__(self, name: str, *, config_dir: str = "") -> None:
        self.name = name
        self.config_dir = config_dir

    def state(self) -> ServiceState:
        return ServiceState("none", self.name, False, None, None, None, None, None, None, None)

    def _refuse(self) -> None:
        raise ServiceError(
            _(
                'no service is set up (service.manager = "none"): start jupyter-lab yourself, or choose systemd-system, systemd-user or background'
            )
        )

    def start(self) -> None:
        self._refuse()

    def stop(self) -> None:
        self._refuse()

    def restart(self) -> None:
        self._refuse()

    def enable(self) -> None:
        self._refuse()

    def disable(self) -> None:
        self._refuse()

    @property
    def title(self) -> str:
        return self.name

    def reload(self) -> None:
        """Nothing defines the service."""

    def reset_failed(self) -> None:
        """Nothing to reset."""

    def journal(self, lines: int = 50) -> str:
        return ""

    def command_line(self, verb: str) -> str:
        return f"(none) {verb} {self.name}\n"

    def try_restart_argv(self) -> list[str] | None:
        return None

    def defines(self, path: Path) -> bool:
        return False

    def validate(self, answers: Answers, facts: Facts, user: pwd.struct_passwd) -> list[Problem]:
        return []

    def install(self, launch: Launch, facts: Facts) -> Installation:
        raise ServiceError(_("manager none installs nothing"))  # the step never asks it
