"""Creating, spawning, resuming and cancelling runs: everything that happens to a run before or beside its
execution (`phys.core.runner`).

`create_run` validates everything (recipe, scale, overrides, arms, executor flags) and writes the run's
folder and ledger record (status `queued`) before anything computes; `spawn` executes it detached in its
own session (`python -m phys.core.runner`); `prepare_resume` claims a crashed or interrupted run for
another execution; `cancel` stops one and marks it `cancelled`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from phys.core import environment
from phys.core.executors import Execution, check_execution, execution_device, seed_lanes
from phys.core.groups import new_group_id
from phys.core.ledger import Ledger
from phys.core.plan import check_metrics, make_plan, plan_for
from phys.core.registry import load_recipe
from phys.core.rundir import RunDir, new_run_id
from phys.errors import PhysError
from phys.machine import process

RESUMABLE = ("crashed", "interrupted", "failed")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def create_run(
    runs_root: Path, recipe_name: str, scale: str | None, overrides: Sequence[str], seed: int, device: str,
    arms: Sequence[str] | None = None, execution: Execution | None = None, group: str | None = None,
) -> str:
    """A new run folder and ledger record for `recipe_name` (not started); `arms` replaces the scale's arms;
    `group`: the run group it belongs to (`create_group`)."""
    recipe = load_recipe(recipe_name)
    ledger = Ledger(runs_root)
    ledger_state = ledger.state()
    if ledger_state in ("missing", "damaged"):
        ledger.runs()  # raises the PhysError that says so, with its hint: a new record would hide old runs
    scale = environment.default_scale() if scale is None else scale  # "" is a mistake, not the default
    execution = execution or Execution()
    device = execution_device(execution, device)
    plan = make_plan(recipe, scale, overrides, seed, device, arms)
    check_metrics(plan)
    execution = check_execution(execution, plan)
    rd = _new_run_dir(runs_root, recipe.name, scale)
    run_id = rd.id
    info = {
        "id": run_id,
        "recipe": recipe.name,
        "part": recipe.part,
        "claim": recipe.claim,
        "scale": scale,
        "seed": seed,
        **({"group": group} if group else {}),
        "overrides": list(overrides),
        **({"arms": list(plan.arms)} if arms is not None else {}),
        "device": device,
        **({"execution": execution.to_dict()} if execution != Execution() else {}),
        "created": now(),
        "stages": [
            {"name": s.name, "run": s.run, "version": s.version, "key": s.key, "seed": s.seed,
             "deps": list(s.deps), "config": s.config_dict(), **({"arm": s.arm, "role": s.role} if s.arm else {})}
            for s in plan.stages
        ],
        "git": environment.git_state(),
        "versions": environment.versions(),
        "host": environment.host(),
    }
    record = base_record(info)
    rd.write_info(info)
    rd.write_status(record)
    ledger.upsert_run(record, allow_missing=ledger_state == "empty")
    return run_id


def create_group(
    runs_root: Path, recipe_name: str, scale: str | None, overrides: Sequence[str], seeds: Sequence[int],
    device: str, arms: Sequence[str] | None = None, execution: Execution | None = None,
) -> tuple[str, list[str]]:
    """A run group: one run of `recipe_name` per seed, all validated before the first is written; returns the
    group's id and its runs' ids, in seed order. With local GPUs (`--devices 0,1`) each seed gets its lane's
    GPUs (`seed_lanes`): the lanes run at once, the seeds of one lane in turn."""
    scale = environment.default_scale() if scale is None else scale
    recipe = load_recipe(recipe_name)
    execution = execution or Execution()
    check_metrics(make_plan(recipe, scale, overrides, seeds[0], execution_device(execution, device), arms))
    group, lanes = new_group_id(recipe.name, scale), seed_lanes(execution, len(seeds))
    return group, [create_run(runs_root, recipe_name, scale, overrides, seed, device, arms, lanes[i % len(lanes)],
                              group) for i, seed in enumerate(seeds)]


def lanes(runs_root: Path, run_ids: Sequence[str]) -> list[list[str]]:
    """A group's runs by the lane they execute in (`phys.core.executors.seed_lanes`, read back from each run's
    recorded execution): the runs on one set of local GPUs in turn, each Slurm run alone, all else in one."""
    by_lane: dict[str, list[str]] = {}
    for run_id in run_ids:
        execution = Execution.from_dict(RunDir(runs_root, run_id).info().get("execution"))
        if execution.executor == "slurm":
            lane = run_id
        elif execution.executor == "local" and execution.devices not in ("", "cpu"):
            lane = f"gpu {execution.devices}"
        else:
            lane = "in turn"
        by_lane.setdefault(lane, []).append(run_id)
    return list(by_lane.values())


def resumable(runs_root: Path, run_ids: Sequence[str]) -> list[str]:
    """Claim every run of `run_ids` that can resume (`prepare_resume`), skipping those done or cancelled;
    PhysError if none can."""
    claimed, ended = [], []
    for run_id in run_ids:
        status = process.derive_status(Ledger(runs_root).run(run_id) or {}, RunDir(runs_root, run_id).heartbeat)
        if status in ("done", "cancelled"):
            ended.append(f"{run_id} {status}")
            continue
        prepare_resume(runs_root, run_id)
        claimed.append(run_id)
    if not claimed:
        raise PhysError(f"every run of the group has ended ({', '.join(ended)})", hint="nothing to resume")
    return claimed


def _new_run_dir(runs_root: Path, recipe: str, scale: str) -> RunDir:
    """A fresh run folder; the exclusive mkdir makes two runs started in the same second distinct."""
    Path(runs_root).mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        rd = RunDir(runs_root, new_run_id(recipe, scale))
        try:
            rd.path.mkdir()
        except FileExistsError:
            continue
        return rd
    raise RuntimeError("could not allocate a run id")


def base_record(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": info["id"], "recipe": info["recipe"], "scale": info["scale"], "seed": info["seed"],
        **({"group": info["group"]} if info.get("group") else {}), "overrides": info["overrides"], "device": info["device"], "created": info["created"],
        "status": "queued", "verdict": None, "checks": [], "lints": [], "metrics": {}, "stages": {},
        "started": None, "ended": None, "error": None, **process.identity(),
    }


def spawn(runs_root: Path, *run_ids: str) -> int:
    """Execute the runs, one after another, in a new process session that survives the terminal; returns its
    pid. (A group's seeds in one lane run in turn: two trainings at once on one device would share it.)"""
    return start(runs_root, *run_ids).pid


def start(runs_root: Path, *run_ids: str) -> subprocess.Popen:
    """`spawn`, returning the process (a caller that waits for it reaps it)."""
    rd = RunDir(runs_root, run_ids[0])
    with open(rd.log, "a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "phys.core.runner", str(runs_root), *run_ids],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    # Each run records its own identity when it starts; until then its record names this process's pid.
    for run_id in run_ids:
        Ledger(runs_root).update_run(run_id, pid=proc.pid, pid_start=process.start_time(proc.pid))
    return proc


def prepare_resume(runs_root: Path, run_id: str) -> None:
    """Check that the run can resume and claim it (status `queued`, this process) in one transaction."""
    rd = RunDir(runs_root, run_id)
    plan_for(rd.info())  # the recipe must still produce the recorded stage keys

    def claim(record: dict[str, Any] | None) -> dict[str, Any]:
        if record is None:
            raise PhysError(f"run {run_id} is not in the ledger", hint="see `phys ledger check`")
        status = process.derive_status(record, rd.heartbeat)
        if status not in RESUMABLE:
            raise PhysError(f"run {run_id} is {status}; only {', '.join(RESUMABLE)} runs can be resumed",
                            hint="start a new run with `phys run recipe NAME`")
        kept = {k: v for k, v in record.items() if k != "cancel_requested"}  # a cancel that lost a race
        return {**kept, "status": "queued", **process.identity()}

    rd.write_status(Ledger(runs_root).change_run(run_id, claim))


def cancel(runs_root: Path, run_id: str, wait_s: float = 60.0) -> None:
    """SIGTERM the run (it checkpoints and stops), wait for it to exit, then mark it `cancelled`."""
    ledger = Ledger(runs_root)
    record = ledger.run(run_id)
    if record is None:
        raise PhysError(f"run {run_id} is not in the ledger", hint="see `phys runs ls`")
    rd = RunDir(runs_root, run_id)
    status = process.derive_status(record, rd.heartbeat)
    if status in ("done", "cancelled"):
        raise PhysError(f"run {run_id} is already {status}", hint="nothing to cancel")
    # A group's seeds share one process. A seed waiting its turn is marked, not signalled (the group's process
    # skips it); the running one is asked to stop (`cancel_requested`, then SIGTERM): it checkpoints, marks
    # itself cancelled, and the group's process goes on with the next seed. Cancelling one seed never stops
    # another.
    if status in process.LIVE and not (status == "queued" and record.get("group")):
        if record.get("host") != socket.gethostname():
            raise PhysError(f"run {run_id} runs on host {record.get('host')}", hint="cancel it there")
        in_group = bool(record.get("group"))
        if in_group:
            ledger.update_run(run_id, cancel_requested=True)
        try:
            os.kill(int(record["pid"]), signal.SIGTERM)
        except ProcessLookupError:
            pass

        def running() -> bool:  # a group's process outlives its seed: the seed's own status says it stopped
            if in_group and (ledger.run(run_id) or {}).get("status") not in process.LIVE:
                return False
            return process.is_alive(record, rd.heartbeat)

        deadline = time.time() + wait_s
        while time.time() < deadline and running():
            time.sleep(0.2)
        if running():
            raise PhysError(f"run {run_id} did not stop within {wait_s:.0f} s",
                            hint="it stops at its next step; check with `phys runs show`")

    def mark(current: dict[str, Any] | None) -> dict[str, Any]:
        current = current or record
        if current.get("status") == "done":
            raise PhysError(f"run {run_id} finished before it could be cancelled", hint="nothing to cancel")
        return {**current, "status": "cancelled", "ended": now()}

    rd.write_status(ledger.change_run(run_id, mark))
