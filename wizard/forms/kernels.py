"""Kernels: which environments the service's JupyterLab offers as kernels.

The one place the front-ends read wizard.plan.steps.kernels: one row per environment found
(its Python, whether it has ipykernel, whether the server already offers a kernel for it),
the kernelspecs the server has (broken ones flagged, each removable), and ipykernel's install.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wizard.core.answers import Answers
from wizard.core.errors import Problem
from wizard.core.i18n import N_, _
from wizard.forms.fields import FieldSpec
from wizard.plan.steps import kernels
from wizard.probe.environments import Environment
from wizard.probe.facts import Facts
from wizard.probe.kernelspecs import KernelFacts

TITLE = N_("Kernels: the environments you compute in")
INTRO = N_(
    "Tick the environments JupyterLab should offer as kernels. They are registered for the "
    "user JupyterLab runs as, each running its own interpreter."
)
ENVIRONMENTS = FieldSpec(
    "environments", N_("Environments to offer as kernels"), question=N_("Offer these as kernels")
)
INSTALL_IPYKERNEL = FieldSpec(
    "install_ipykernel",
    N_("Install ipykernel where it is missing (with pip)"),
    question=N_("Install ipykernel into the ticked environments that lack it?"),
)
REMOVE = FieldSpec("remove", N_("Kernels to remove"), question=N_("Remove these kernels"))
NONE_FOUND = N_("No Python environments found (yet).")


@dataclass(frozen=True)
class Row:
    value: str  # the interpreter (environments) or the kernel name (remove)
    label: str
    detail: str  # a second line: what it is, what the server has of it
    ticked: bool
    broken: bool = False  # a kernelspec that cannot start


def kernel_facts(answers: Answers, facts: Facts | None) -> KernelFacts | None:
    """Where the service's JupyterLab looks, for these answers (None until probed)."""
    if facts is None:
        return None
    return kernels.kernel_facts(answers, facts)


def env_rows(envs: Sequence[Environment], answers: Answers, kf: KernelFacts | None) -> list[Row]:
    chosen = answers.kernels.environments
    rows = []
    seen: set[str] = set()
    for env in envs:
        seen.add(env.python)
        ipk = "ipykernel" if env.ipykernel_version else _("no ipykernel")
        offered = kernels.offered_by(env.python, kf) if kf else None
        kernel = _("kernel {name}").format(name=offered.name) if offered else _("no kernel yet")
        detail = _("Python {version}, {kind}, {ipykernel}, {kernel}").format(
            version=env.python_version, kind=env.kind, ipykernel=ipk, kernel=kernel
        )
        rows.append(Row(env.python, env.python, detail, env.python in chosen))
    # chosen before, not found this time: still listed, so unticking it is possible
    rows += [Row(p, p, _("chosen before, not found now"), True) for p in chosen if p not in seen]
    return rows


def remove_rows(answers: Answers, kf: KernelFacts | None) -> list[Row]:
    """Every kernelspec the server offers that is not the wizard's own (those follow the
    ticks above), broken ones flagged."""
    if kf is None:
        return []
    rows = []
    for spec in kf.seen():
        if spec.ours and spec.dir.parent == kf.kernels_dir:
            continue
        why = kernels.broken(spec, kf)
        detail = _("BROKEN: {why}").format(why=why.cause) if why else str(spec.dir)
        label = _("remove {name} ({display_name})").format(
            name=spec.name, display_name=spec.display_name
        )
        rows.append(Row(spec.name, label, detail, spec.name in answers.kernels.remove, bool(why)))
    return rows


def collect(answers: Answers, environments: list[str], install: bool, remove: list[str]) -> Answers:
    return answers.replace(
        "kernels", environments=environments, install_ipykernel=install, remove=remove
    )


def validate(answers: Answers, facts: Facts) -> list[Problem]:
    from wizard.core.errors import InputError
    from wizard.plan.planner import resolve

    try:
        r = resolve(answers, facts)
    except InputError as exc:  # the install step's to fix; not this one's
        return [p for p in exc.problems if p.field.startswith("kernels")]
    return kernels.validate(r.answers, r.facts)
