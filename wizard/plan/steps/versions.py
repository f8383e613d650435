"""pip version specs as people write them for JupyterLab ("4.2.5", ">=4.2", ">=4,<5"): checked
before anything runs, and compared with what an environment has."""

from __future__ import annotations

import re

from wizard.core.i18n import _

PACKAGE = "jupyterlab"

_VERSION = r"\d+(?:\.\d+)*(?:\.\*)?(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?"
_CLAUSE_RE = re.compile(rf"^\s*(===|==|~=|!=|<=|>=|<|>)?\s*({_VERSION})\s*$")


def requirement(spec: str) -> str:
    """'jupyterlab' plus the spec; a bare version means exactly that version."""
    spec = spec.strip()
    if not spec:
        return PACKAGE
    clauses = [c.strip() for c in spec.split(",")]
    if len(clauses) == 1 and not re.match(r"^[<>=!~]", clauses[0]):
        clauses = [f"=={clauses[0]}"]
    return PACKAGE + ",".join(clauses)


def spec_problem(spec: str) -> str | None:
    if not spec.strip():
        return None
    for clause in spec.split(","):
        if not _CLAUSE_RE.match(clause):
            return _(
                "{spec!r} is not a version spec (examples: 4.2.5, >=4.2, ~=4.2.0, >=4,<5)"
            ).format(spec=spec)
    return None


def version_key(version: str) -> tuple[tuple[int, ...], int]:
    m = re.match(r"(\d+(?:\.\d+)*)(.*)", version)
    if not m:
        return ((0,), 0)
    release = tuple(int(x) for x in m.group(1).split("."))
    release = release + (0,) * (6 - len(release))
    pre = 0 if re.match(r"\.?(a|b|rc|dev)", m.group(2)) else 1
    return (release, pre)


def satisfies(version: str, spec: str) -> bool:
    """Does an installed version meet the spec? (PEP 440's common cases, no packaging needed)."""
    for clause in requirement(spec)[len(PACKAGE) :].split(","):
        if not clause:
            continue
        m = _CLAUSE_RE.match(clause)
        if not m:
            return False
        op, want = m.group(1) or "==", m.group(2)
        if want.endswith(".*"):
            prefix = want[:-2].split(".")
            equal = version.split(".")[: len(prefix)] == prefix
            if (op == "==" and not equal) or (op == "!=" and equal):
                return False
            continue
        have, need = version_key(version), version_key(want)
        ok = {
            "==": have == need,
            "===": version == want,
            "!=": have != need,
            "<=": have <= need,
            ">=": have >= need,
            "<": have < need,
            ">": have > need,
            "~=": have >= need
            and have[0][: len(want.split(".")) - 1] == need[0][: len(want.split(".")) - 1],
        }[op]
        if not ok:
            return False
    return True
