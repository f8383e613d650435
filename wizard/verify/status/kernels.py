"""The kernels of the setup of record: the kernelspecs its JupyterLab offers (read from disk by
the server's own path rules, so status needs neither a password nor a token), each with whether
it can start for the service's user; a broken one is a finding with its fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.core.i18n import _
from wizard.verify.status.model import Finding, KernelInfo

if TYPE_CHECKING:
    from wizard.core.answers import Answers


def kernels_of(answers: Answers | None) -> tuple[list[KernelInfo], list[Finding]]:
    if answers is None or not answers.jupyter.python:
        return [], []
    # Here, not at the top: the planning modules are not needed when nothing is configured.
    from wizard.plan.steps.kernels import broken, runs, served_kernels
    from wizard.probe.person import person

    kf = served_kernels(answers, person())
    infos: list[KernelInfo] = []
    findings: list[Finding] = []
    for spec in kf.seen():
        why = broken(spec, kf)
        info = KernelInfo(spec.name, spec.display_name, runs(spec, kf), str(spec.dir), spec.ours,
                          str(why) if why else None)  # fmt: skip
        infos.append(info)
        if why is not None:
            findings.append(
                Finding(
                    "kernel_broken",
                    "warning",
                    _("kernel {name}: {message}").format(name=spec.name, message=why.cause),
                    why.fix,
                    "kernels",
                )
            )
    return infos, findings
