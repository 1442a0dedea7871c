"""Curves of a run: the step-indexed records of `metrics.jsonl` as named series `stage.metric`.

Shared by `phys runs plot`, the TUI's plots and the report's figures, so all three show the same numbers.
"""

from __future__ import annotations

import fnmatch
import math
from typing import Any, Iterable, Sequence

from phys.errors import PhysError

Series = dict[str, list[tuple[float, float]]]
_NOT_CURVES = {"stage", "step", "t"}


def series(records: Iterable[dict[str, Any]]) -> Series:
    """`{"train.loss": [(step, value), …], …}` from metrics records; records without a step are skipped."""
    out: Series = {}
    for r in records:
        step = r.get("step") if isinstance(r, dict) else None
        if not isinstance(step, (int, float)) or not math.isfinite(step):
            continue
        stage = r.get("stage", "run")
        for key, value in r.items():
            if key in _NOT_CURVES or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if not math.isfinite(value):
                continue  # a diverged loss (inf / nan) cannot be drawn; the log and metrics.jsonl keep it
            out.setdefault(f"{stage}.{key}", []).append((float(step), float(value)))
    return out


def panels(curves: Series) -> list[tuple[str, Series]]:
    """Curves grouped for display: all losses together, all accuracies (`*_acc`) together, then each other
    curve on its own — the TUI's curve views and the report's panels."""
    losses = {k: v for k, v in curves.items() if k.endswith(".loss")}
    accs = {k: v for k, v in curves.items() if k.endswith("_acc")}
    out = [(title, group) for title, group in (("loss", losses), ("accuracy", accs)) if group]
    return out + [(k, {k: v}) for k, v in curves.items() if k not in losses and k not in accs]


def pick(curves: Series, wanted: Sequence[str] = ()) -> Series:
    """The curves named by `wanted` (`train.loss`, just `loss`, or a pattern like `*_acc`); by default every
    `*.loss` curve.

    An unknown name is a PhysError listing the curves there are.
    """
    if not wanted:
        losses = {k: v for k, v in curves.items() if k.endswith(".loss")}
        return losses or dict(list(curves.items())[:1])
    chosen: Series = {}
    for name in wanted:
        matches = [k for k in curves if k == name or k.split(".", 1)[1] == name
                   or fnmatch.fnmatchcase(k, name) or fnmatch.fnmatchcase(k.split(".", 1)[1], name)]
        if not matches:
            raise PhysError(f"no curve {name!r} in this run",
                            hint="curves: " + (", ".join(sorted(curves)) or "none yet (nothing logged a step)"))
        chosen.update({k: curves[k] for k in matches})
    return chosen


def plot_points(plot: Any, metrics: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(arm, x, y) for every arm whose metrics have both `plot.x@arm` and `plot.y@arm` (a `phys.spec.Plot`);
    on log axes, only points with x, y > 0."""
    points = []
    for key, x in metrics.items():
        name, _, arm = key.partition("@")
        y = metrics.get(f"{plot.y}@{arm}")
        if name == plot.x and arm and all(isinstance(v, (int, float)) and math.isfinite(v) for v in (x, y)):
            if not plot.log or (x > 0 and y > 0):
                points.append((arm, float(x), float(y)))
    return sorted(points, key=lambda p: p[1])
