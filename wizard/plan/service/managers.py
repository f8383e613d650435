"""The registry of service managers: one module each, found here by the answers' name.

Adding a manager = a module implementing base.ServiceManager, one line in _MANAGERS, its tests.
"""

from __future__ import annotations

from wizard.core.answers import ServiceAnswers
from wizard.core.i18n import _
from wizard.plan.service.background import BackgroundManager
from wizard.plan.service.base import ServiceError, ServiceManager
from wizard.plan.service.none import NoManager
from wizard.plan.service.systemd import SystemUnit, UserUnit

_MANAGERS: tuple[type[ServiceManager], ...] = (SystemUnit, UserUnit, BackgroundManager, NoManager)
REGISTRY: dict[str, type[ServiceManager]] = {m.kind: m for m in _MANAGERS}
MANAGERS = tuple(REGISTRY)  # the names, in the order people are offered them


def controller_for(kind: str, name: str, *, config_dir: str = "") -> ServiceManager:
    """The manager `kind` controlling the service `name` (config_dir: where its config lives)."""
    try:
        cls = REGISTRY[kind]
    except KeyError:
        raise ServiceError(
            _("service.manager: unknown manager {kind!r}").format(kind=kind)
        ) from None
    return cls(name, config_dir=config_dir)  # type: ignore[call-arg]


def controller(service: ServiceAnswers, *, config_dir: str = "") -> ServiceManager:
    """The controller for the configured manager."""
    return controller_for(service.manager, service.name, config_dir=config_dir)


def current_controller() -> ServiceManager:
    """The controller of the last successful apply's service."""
    from wizard.core.record import load_current

    answers = load_current()
    if answers is None:
        raise ServiceError(_("nothing has been set up yet: run the wizard or `apply` first"))
    return controller(answers.service, config_dir=answers.jupyter.config_dir)
