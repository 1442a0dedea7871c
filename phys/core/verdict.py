"""Checks + measured metrics -> a verdict per check and overall: reproduced / not reproduced / inconclusive."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, Mapping, Sequence

from phys.spec import Check, Op, Role

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class CheckResult:
    name: str
    metric: str
    op: Op
    threshold: float
    measured: float | None
    """The check's quantity (`metric`, less or over the baseline, or reduced over arms); None: unmeasured."""
    paper: str
    role: Role
    passed: bool
    description: str = ""
    baseline: str | list[str] | None = None
    over_arms: Literal["max", "min"] | None = None
    ratio: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def reduce_over_arms(check: Check, metrics: Mapping[str, Any], arms: Sequence[str] | None) -> float | None:
    """max / min of `metric@arm` over `arms` (every arm in `metrics` when None); None if any is missing."""
    if arms is None:
        arms = [k.split("@", 1)[1] for k in metrics if k.startswith(check.metric + "@")]
    values = [_number(metrics.get(f"{check.metric}@{a}")) for a in arms]
    if not values or None in values:
        return None
    return max(values) if check.over_arms == "max" else min(values)


def judge(checks: Sequence[Check], metrics: Mapping[str, Any], arms: Sequence[str] | None = None,
          scale: str | None = None) -> tuple[str, list[CheckResult]]:
    """Judge every check; with `arms` (the arms a run ran), checks reading other arms are left out, and with
    `scale` (the run's), checks kept for other scales (`Check.scales`)."""
    results = []
    for c in checks:
        if arms is not None and not c.arms() <= set(arms):
            continue  # e.g. an arm the cpu scale does not run
        if scale is not None and c.scales and scale not in c.scales:
            continue  # a claim this scale cannot show (e.g. the paper's level, judged at gpu)
        measured = _number(metrics.get(c.metric)) if c.over_arms is None else reduce_over_arms(c, metrics, arms)
        if c.baseline is not None:
            bases = [_number(metrics.get(b)) for b in c.baselines()]
            base = None if None in bases else max(bases)
            if measured is None or base is None or (c.ratio and base <= 0):
                measured = None  # a ratio to nothing (or to a negative number) says nothing
            else:
                measured = measured / base if c.ratio else measured - base
        passed = measured is not None and c.passes(measured)
        baseline = c.baseline if isinstance(c.baseline, str) or c.baseline is None else list(c.baseline)
        results.append(CheckResult(c.name, c.metric, c.op, c.threshold, measured, c.paper, c.role, passed, c.description,
                                   baseline, c.over_arms, c.ratio))
    if any(r.role == "sanity" and not r.passed for r in results) or any(r.measured is None for r in results):
        return INCONCLUSIVE, results
    if not any(r.role == "claim" for r in results):
        return INCONCLUSIVE, results  # nothing judged (e.g. every claim is its gpu scale's): not a reproduction
    if all(r.passed for r in results):
        return REPRODUCED, results
    return NOT_REPRODUCED, results
