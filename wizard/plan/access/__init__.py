"""Access: how the person reaches JupyterLab from their own computer.

One module per method (ssh_tunnel, direct, router_tunnel, reverse_proxy), each an object of
the AccessMethod protocol (base.py); the registry finds them by name and answers for the
chosen one. `from wizard.plan import access` gives the whole API:

    access.METHODS, access.get(name), access.all()
    access.validate / needs_password / jupyter_settings / prerequisites / plan_access /
    instructions
    access.classify, access.url_host, access.osc52 (shared.py)
"""

from __future__ import annotations

from wizard.plan.access.base import (
    AccessInfo,
    AccessMethod,
    AccessUrl,
    Binding,
    CheckContext,
    CheckResult,
    DoctorCheck,
    Tls,
)
from wizard.plan.access.registry import (
    METHODS,
    all,  # noqa: A004 - access.all(): the registry's vocabulary
    chosen,
    get,
    instructions,
    jupyter_settings,
    needs_password,
    plan_access,
    prerequisites,
    validate,
    with_binding,
)
from wizard.plan.access.shared import classify, osc52, url_host, uses_tls

__all__ = [
    "METHODS",
    "AccessInfo",
    "AccessMethod",
    "AccessUrl",
    "Binding",
    "CheckContext",
    "CheckResult",
    "DoctorCheck",
    "Tls",
    "all",
    "chosen",
    "classify",
    "get",
    "instructions",
    "jupyter_settings",
    "needs_password",
    "osc52",
    "plan_access",
    "prerequisites",
    "url_host",
    "uses_tls",
    "validate",
    "with_binding",
]
