"""Checks + measured metrics -> a verdict per check and overall: reproduced / not reproduced / inconclusive."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from phys.spec import Check

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class CheckResult:
    name: str
    metric: str
    op: str
    threshold: float
    measured: float | None
    paper: str
    role: str
    passed: bool
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(checks: Sequence[Check], metrics: Mapping[str, Any]) -> tuple[str, list[CheckResult]]:
    results = []
    for c in checks:
        value = metrics.get(c.metric)
        measured = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
        passed = measured is not None and c.passes(measured)
        results.append(CheckResult(c.name, c.metric, c.op, c.threshold, measured, c.paper, c.role, passed, c.description))
    if any(r.role == "sanity" and not r.passed for r in results) or any(r.measured is None for r in results):
        return INCONCLUSIVE, results
    if all(r.passed for r in results):
        return REPRODUCED, results
    return NOT_REPRODUCED, results
