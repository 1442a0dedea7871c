"""Run groups: one recipe run once per seed (`phys run recipe NAME --seeds 3`), and their verdict over seeds.

A group is derived, never stored on its own: each member run records its group's id (run.json, status.json
and the ledger), so `phys ledger rebuild` restores groups with the runs. The group's verdict follows one
rule (README, "Verdicts over seeds"): `reproduced n/n` when every seed's run is reproduced; `not reproduced
k/n` when a claim fails in more than half of all n seeds (a failure counts only in a seed that could judge:
one whose verdict is not inconclusive); `inconclusive k/n` when more than half of the seeds could not judge;
otherwise `mixed k/n`. k counts the seeds reproduced. It is given once every seed has a verdict.
"""

from __future__ import annotations

import re
import secrets
import statistics
import time
from pathlib import Path
from typing import Any, Sequence

from phys.core import runs
from phys.core.ledger import Ledger
from phys.core.verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from phys.errors import PhysError

GROUP_ID_RE = re.compile(r"^\d{8}-\d{6}-[a-z][a-z0-9_]*-[a-z]+-seeds-[0-9a-f]{4}$")
ENDED_BADLY = ("interrupted", "crashed", "failed", "cancelled")
"""A group holding a member that ended so shows the first of these its members have, in this order."""


def new_group_id(recipe: str, scale: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{recipe}-{scale}-seeds-{secrets.token_hex(2)}"


def parse_seeds(text: str) -> list[int]:
    """`3` -> [0, 1, 2]; `0,4,7` -> [0, 4, 7]; PhysError for anything else."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if not values or any(v < 0 for v in values):
        raise PhysError(f"--seeds {text!r} is not a count or a list of seeds", hint="e.g. --seeds 3 or --seeds 0,4,7")
    if len(parts) == 1 and "," not in text:
        return list(range(values[0])) if values[0] >= 2 else _too_few(text)
    if len(set(values)) != len(values):
        raise PhysError(f"--seeds {text!r} names a seed twice", hint="e.g. --seeds 0,4,7")
    return values if len(values) >= 2 else _too_few(text)


def _too_few(text: str) -> list[int]:
    raise PhysError(f"--seeds {text!r} is fewer than two seeds", hint="one seed is --seed N; a group is --seeds 3")


def resolve(runs_root: Path, text: str) -> str | None:
    """The group `text` names (its id, or a prefix that names one group and no run), else None: a run."""
    records = Ledger(runs_root).runs()
    ids = group_ids(records)
    if text in ids:
        return text
    matches = [g for g in ids if g.startswith(text)]
    if not matches or any(r["id"].startswith(text) for r in records):
        return None  # a run's id, its prefix, `last`, or nothing: `runs.resolve` says which
    if len(matches) > 1:
        raise PhysError(f"{text!r} matches {len(matches)} run groups", hint="give more of the id: "
                        + ", ".join(matches[:4]))
    return matches[0]


def members(runs_root: Path, group_id: str) -> list[dict[str, Any]]:
    """The group's runs (ledger records, status derived), in seed order."""
    found = [r for r in runs.list_runs(runs_root) if r.get("group") == group_id]
    if not found:
        raise PhysError(f"no run group {group_id!r}", hint="see `phys runs ls`")
    return sorted(found, key=lambda r: r["seed"])


def group_ids(records: Sequence[dict[str, Any]]) -> list[str]:
    """The groups of `records`, newest first."""
    return sorted({r["group"] for r in records if r.get("group")}, reverse=True)


def status_of(records: Sequence[dict[str, Any]]) -> str:
    statuses = [r["status"] for r in records]
    if any(s in ("running", "queued") for s in statuses):
        return "running" if "running" in statuses else "queued"
    for bad in ENDED_BADLY:
        if bad in statuses:
            return bad
    return "done"


def judge_seeds(records: Sequence[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """(the group's verdict, or None until every seed has one; per check: every seed's value and pass, their
    mean, min, max, how many seeds pass, and in how many seeds that could judge it failed)."""
    judged = {str(r["seed"]) for r in records if r.get("verdict") not in (None, INCONCLUSIVE)}
    by_name: dict[str, dict[str, Any]] = {}
    for r in records:
        for c in r.get("checks") or []:
            row = by_name.setdefault(c["name"], {k: c.get(k) for k in ("name", "metric", "role", "op", "threshold",
                                                                        "paper", "baseline", "over_arms", "ratio")}
                                     | {"values": {}, "passed": {}})
            row["values"][str(r["seed"])] = c["measured"]
            row["passed"][str(r["seed"])] = bool(c["passed"])
    checks = []
    for row in by_name.values():
        measured = [v for v in row["values"].values() if v is not None]
        # a failure counts where the seed could judge: measured, and the seed's sanity checks held
        fails = sum(s in judged and v is not None and not row["passed"][s] for s, v in row["values"].items())
        row.update(seeds=len(row["values"]), passes=sum(row["passed"].values()), fails=fails,
                   mean=statistics.fmean(measured) if measured else None,
                   min=min(measured) if measured else None, max=max(measured) if measured else None)
        checks.append(row)
    if any(r.get("verdict") is None for r in records):
        return None, checks
    n = len(records)
    k = sum(r["verdict"] == REPRODUCED for r in records)
    if k == n:
        return f"{REPRODUCED} {k}/{n}", checks
    if any(c["fails"] > n / 2 for c in checks if c["role"] == "claim"):
        return f"{NOT_REPRODUCED} {k}/{n}", checks
    if sum(r["verdict"] == INCONCLUSIVE for r in records) > n / 2:
        return f"{INCONCLUSIVE} {k}/{n}", checks
    return f"mixed {k}/{n}", checks


def lints_over(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lints of the seeds' runs, each once (a seed's data may measure another value: each value once)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        for lint in record.get("lints") or []:
            seen.setdefault((lint["code"], lint["stage"], lint["subject"], lint["value"]), lint)
    return list(seen.values())


def summary(runs_root: Path, group_id: str) -> dict[str, Any]:
    """Everything `phys runs show GROUP` prints: the seeds' runs, the group's status and verdict, per check."""
    records = members(runs_root, group_id)
    verdict, checks = judge_seeds(records)
    first = records[0]
    return {"id": group_id, "group": True, "recipe": first["recipe"], "scale": first["scale"],
            "overrides": first.get("overrides", []), "device": first.get("device"),
            "seeds": [r["seed"] for r in records], "status": status_of(records), "verdict": verdict,
            "runs": [{k: r.get(k) for k in ("id", "seed", "status", "verdict")} for r in records], "checks": checks,
            "lints": lints_over(records),
            "report": str(report) if (report := Path(runs_root) / "groups" / group_id / "report.md").exists() else None}
