"""`phys ledger check` and `phys ledger rebuild`: the ledger against the run directories and the store.

The run directories are the source of truth: each holds run.json (what was asked) and status.json (what
happened). `check` lists what disagrees; `rebuild` writes a fresh ledger from the run directories.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from phys.errors import PhysError
from phys.core.ledger import Ledger
from phys.core.rundir import RUN_ID_RE, RunDir
from phys.core.store import Store


def run_dirs(runs_root: Path) -> list[RunDir]:
    root = Path(runs_root)
    if not root.is_dir():
        return []
    return [RunDir(root, p.name) for p in sorted(root.iterdir()) if p.is_dir() and RUN_ID_RE.match(p.name)]


def check(runs_root: Path) -> dict[str, Any]:
    """Problems found, by kind; an empty list everywhere means consistent."""
    ledger = Ledger(runs_root)
    store = Store(runs_root)
    problems: dict[str, list[str]] = {"ledger": [], "missing_dirs": [], "unindexed_dirs": [], "damaged_dirs": [],
                                      "missing_stages": [], "damaged_store": []}
    state = ledger.state()
    records: dict[str, dict[str, Any]] = {}
    if state in ("missing", "damaged"):
        problems["ledger"].append(f"{ledger.path} is {state}: run `phys ledger rebuild`")
    else:
        records = {r["id"]: r for r in ledger.runs()}
    dirs = {rd.id: rd for rd in run_dirs(runs_root)}
    for run_id in sorted(set(records) - set(dirs)):
        problems["missing_dirs"].append(f"{run_id}: in the ledger, but its folder is gone")
    for run_id, rd in sorted(dirs.items()):
        if rd.read("run.json") is None or rd.read("status.json") is None:
            problems["damaged_dirs"].append(f"{run_id}: run.json or status.json missing or damaged")
            continue
        if state in ("ok", "empty") and run_id not in records:
            problems["unindexed_dirs"].append(f"{run_id}: folder without a ledger record")
        status = rd.read("status.json") or {}
        for name, stage in (status.get("stages") or {}).items():
            if stage.get("status") in ("done", "cached") and not store.path(stage["key"]).exists():
                problems["missing_stages"].append(f"{run_id}: stage {name} ({stage['key']}) is gone from the store")
    for key in store.keys():
        why = store.verify(key, deep=True)
        if why:
            problems["damaged_store"].append(f"store/{key}: {why}")
    return {"ok": not any(problems.values()), "runs": len(dirs), "store_entries": len(store.keys()),
            "problems": problems}


def rebuild(runs_root: Path) -> dict[str, Any]:
    """A new ledger from the run directories; returns counts. Damaged run folders are skipped and listed."""
    runs, stages, skipped = [], [], []
    for rd in run_dirs(runs_root):
        info, status = rd.read("run.json"), rd.read("status.json")
        if info is None or status is None:
            skipped.append(rd.id)
            continue
        runs.append(status)
        for name, stage in (status.get("stages") or {}).items():
            stages.append({"run": rd.id, "name": name, **stage})
    if not runs and not skipped and not Path(runs_root).is_dir():
        raise PhysError(f"no runs folder at {runs_root}", hint="pass --runs-dir or set PHYS_RUNS_DIR")
    Ledger(runs_root).replace_all(runs, stages)
    return {"runs": len(runs), "stages": len(stages), "skipped": skipped}
