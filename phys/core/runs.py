"""Reading runs: the ledger's records with their status derived, run-id resolution (`last`, prefixes)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from phys.machine import process
from phys.errors import PhysError
from phys.core.ledger import Ledger
from phys.core.rundir import RunDir

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def with_status(runs_root: Path, record: dict[str, Any]) -> dict[str, Any]:
    if record.get("status") not in process.LIVE:
        return record  # only a live status can be stale
    heartbeat = Path(os.path.join(runs_root, record["id"], "heartbeat"))
    return {**record, "status": process.derive_status(record, heartbeat)}


def list_runs(runs_root: Path) -> list[dict[str, Any]]:
    """Every run in the ledger, newest first, status derived."""
    records = Ledger(runs_root).runs()
    return sorted((with_status(runs_root, r) for r in records), key=lambda r: r["id"], reverse=True)


def resolve(runs_root: Path, text: str) -> str:
    """A full run id, a unique prefix of one, or `last` -> the run id; PhysError otherwise."""
    if not _SAFE.match(text) or ".." in text:
        raise PhysError(f"{text!r} is not a run id", hint="use an id from `phys runs ls`, a unique prefix, or `last`")
    ids = [r["id"] for r in Ledger(runs_root).runs()]
    if not ids:
        raise PhysError("there are no runs yet", hint="start one with `phys run recipe NAME`")
    if text == "last":
        return max(ids)  # ids start with the creation time
    if text in ids:
        return text
    matches = [i for i in ids if i.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PhysError(f"no run {text!r}", hint="see `phys runs ls`")
    raise PhysError(f"{text!r} matches {len(matches)} runs", hint="give more of the id: " + ", ".join(matches[:4]))


def get(runs_root: Path, run_id: str) -> dict[str, Any]:
    record = Ledger(runs_root).run(run_id)
    if record is None:
        raise PhysError(f"no run {run_id!r}", hint="see `phys runs ls`")
    return with_status(runs_root, record)


def stage_names(info: dict[str, Any]) -> list[str]:
    """The run's stages in plan order, from its run.json."""
    return [s["name"] for s in info.get("stages", [])]


def in_plan_order(stages: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """Stage records in plan order (the ledger sorts keys); any not in the plan last."""
    return {n: stages[n] for n in order if n in stages} | stages


def details(runs_root: Path, run_id: str) -> dict[str, Any]:
    """Everything `phys runs show` prints: the record, stages, checks, progress and where the files are."""
    record = get(runs_root, run_id)
    rd = RunDir(runs_root, run_id)
    order = stage_names(rd.read("run.json") or {})
    return {**record, "stages": in_plan_order(record.get("stages") or {}, order), "plan": order,
            "progress": rd.read("progress.json"), "stage_progress": rd.stage_progress(), "dir": str(rd.path),
            "report": str(rd.report) if rd.report.exists() else None}
