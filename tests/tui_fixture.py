"""A deterministic runs folder for the TUI tests: a finished, a running, a crashed and a failed run with fixed
ids and times, seen through a frozen clock. The running run is this test process (alive for the test's life);
the crashed one names a process that does not exist. Nothing here starts a training."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from phys.machine import process
from phys.core.ledger import Ledger
from phys.recipes.reversal_curse import RECIPE
from phys.core.rundir import RunDir, write_json_atomic
from phys.core.verdict import judge

NOW_TEXT = "2026-11-29T12:00:00"
NOW = time.mktime(time.strptime(NOW_TEXT, "%Y-%m-%dT%H:%M:%S"))

FINISHED = "20261129-101500-reversal_curse-cpu-aaaa"
RUNNING = "20261129-115000-reversal_curse-cpu-bbbb"
CRASHED = "20261129-093000-reversal_curse-smoke-cccc"
FAILED = "20261128-180000-reversal_curse-smoke-dddd"
STAGES = ("data", "train", "evaluate")


def frozen_clock() -> float:
    return NOW


def _at(offset_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(NOW + offset_s))


def _write(root: Path, run_id: str, scale: str, seed: int, created: float, record: dict, curve_steps: int = 0,
           lr: float = 5e-3) -> None:
    rd = RunDir(root, run_id)
    rd.path.mkdir(parents=True)
    info = {
        "id": run_id, "recipe": "reversal_curse", "part": "3.2", "claim": RECIPE.claim, "scale": scale, "seed": seed,
        "overrides": [], "device": "cpu", "created": _at(created),
        "stages": [{"name": s, "run": f"phys.stages.{s}:run", "version": 1, "key": f"{s}{seed:012d}"[:16], "seed": seed,
                    "deps": [], "config": {"lr": lr} if s == "train" else {}} for s in STAGES],
    }
    rd.write_info(info)
    full = {"id": run_id, "recipe": "reversal_curse", "scale": scale, "seed": seed, "overrides": [], "device": "cpu",
            "created": info["created"], "verdict": None, "checks": [], "metrics": {}, "stages": {}, "error": None,
            "host": os.uname().nodename, "pid": None, "pid_start": None, **record}
    rd.write_status(full)
    with open(rd.metrics, "w") as f:
        for step in range(10, curve_steps + 1, 10):
            loss = 1.0 + 5.0 * math.exp(-step / 300)
            f.write(json.dumps({"stage": "train", "step": step, "loss": round(loss, 5), "lr": lr, "t": 0}) + "\n")
    rd.append_log(f"[{info['created'][11:]}] run {run_id}: reversal_curse at scale {scale}, seed {seed}, device cpu")
    Ledger(root).upsert_run(full, allow_missing=True)


def build(root: Path) -> Path:
    """Write the four runs under `root` (created if needed); returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    done = {n: {"key": f"{n}{0:012d}"[:16], "status": "done", "cached": False, "seconds": s}
            for n, s in zip(STAGES, (2.1, 290.4, 8.7))}
    metrics = {"forward_test_acc": 0.958, "inverse_test_acc": 0.0, "forward_train_acc": 0.998,
               "inverse_train_acc": 0.832, "final_loss": 1.02}
    verdict, checks = judge(RECIPE.checks, metrics)
    _write(root, FINISHED, "cpu", 0, -6300, {
        "status": "done", "verdict": verdict, "checks": [c.to_dict() for c in checks], "metrics": metrics,
        "stages": done, "started": _at(-6299), "ended": _at(-5990)}, curve_steps=1400)
    me = process.identity()
    _write(root, RUNNING, "cpu", 1, -600, {
        "status": "running", "started": _at(-598), "ended": None, **me,
        "stages": {"data": {**done["data"], "status": "cached", "cached": True, "seconds": None},
                   "train": {"key": "train000000000001", "status": "running", "cached": False, "where": "gpu 1",
                             "pid": 4_194_302}}},
        curve_steps=700, lr=2e-3)
    write_json_atomic(RunDir(root, RUNNING).progress, {"stage": "train", "done": 700, "total": 1400, "loss": 1.5,
                                                      "tokens_per_s": 18000, "t": NOW})
    RunDir(root, RUNNING).heartbeat.touch()
    _write(root, CRASHED, "smoke", 2, -9000, {
        "status": "running", "started": _at(-8999), "ended": None, "pid": 4_194_303, "pid_start": "0",
        "stages": {"data": done["data"], "train": {"key": "train000000000002", "status": "running"}}},
        curve_steps=20)
    _write(root, FAILED, "smoke", 3, -64800, {
        "status": "failed", "started": _at(-64799), "ended": _at(-64790),
        "error": "bad value for train.block_size: 16 is shorter than the longest document (58 tokens)",
        "stages": {"data": done["data"], "train": {"key": "train000000000003", "status": "failed"}}})
    return root


def build_many(root: Path, n: int) -> list[str]:
    """`n` finished runs written straight into the ledger (no run folders needed for the table); ids newest first."""
    ids, records = [], []
    for i in range(n):
        run_id = time.strftime("%Y%m%d-%H%M%S", time.localtime(NOW - 60 * (n - i))) + f"-reversal_curse-cpu-{i:04x}"
        ids.append(run_id)
        records.append({"id": run_id, "recipe": "reversal_curse", "scale": "cpu", "seed": i, "overrides": [],
                        "device": "cpu", "created": _at(-60 * (n - i)), "started": _at(-60 * (n - i)),
                        "ended": _at(-60 * (n - i) + 30), "status": "done", "verdict": "reproduced", "checks": [],
                        "metrics": {}, "stages": {}, "error": None, "host": "elsewhere", "pid": None})
    Ledger(root).replace_all(records, [])
    return ids[::-1]
