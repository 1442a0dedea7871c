"""Several runs side by side: what differs in their configs, their metrics and their verdicts.

Shared by `phys runs compare` and the TUI's compare screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from phys.core import runs
from phys.errors import PhysError
from phys.core.rundir import RunDir
from phys.views.format import label


def flat_config(info: dict[str, Any]) -> dict[str, Any]:
    """run.json -> {"recipe": …, "scale": …, "seed": …, "device": …, "train.lr": …, …}."""
    out: dict[str, Any] = {k: info.get(k) for k in ("recipe", "scale", "seed", "device")}
    for stage in info.get("stages", []):
        for key, value in (stage.get("config") or {}).items():
            out[f"{stage['name']}.{key}"] = value
    return out


def compare(runs_root: Path, run_ids: Sequence[str]) -> dict[str, Any]:
    """`{"runs": [...], "config": {key: [v per run]}, "same": n, "metrics": {...}, "checks": {...}}`.

    `config` holds only the keys whose values differ (`same` counts the others); `metrics` and `checks`
    hold every key any of the runs has, None where a run lacks it.
    """
    if len(run_ids) < 2:
        raise PhysError("compare needs at least two runs", hint="e.g. `phys runs compare RUN1 RUN2`")
    records = [runs.get(runs_root, r) for r in run_ids]
    configs = [flat_config(RunDir(runs_root, r).info()) for r in run_ids]
    keys = list(dict.fromkeys(k for c in configs for k in c))
    differ = {k: [c.get(k) for c in configs] for k in keys if len({repr(c.get(k)) for c in configs}) > 1}
    metric_keys = sorted({k for r in records for k in (r.get("metrics") or {})})
    check_names = list(dict.fromkeys(label(c) for r in records for c in r.get("checks") or []))

    def check_of(record: dict[str, Any], metric: str) -> dict[str, Any] | None:
        return next((c for c in record.get("checks") or [] if label(c) == metric), None)

    return {
        "runs": [{k: r.get(k) for k in ("id", "recipe", "scale", "seed", "status", "verdict", "started", "ended")}
                 for r in records],
        "config": differ,
        "same": len(keys) - len(differ),
        "metrics": {k: [(r.get("metrics") or {}).get(k) for r in records] for k in metric_keys},
        "checks": {m: [check_of(r, m) for r in records] for m in check_names},
    }
