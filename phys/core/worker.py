"""Computes one stage of a run: the code shared by the runner's own process, a worker process on a local
device, every rank of a `torchrun` job (DDP), and a Slurm job (submitit).

    python -m phys.core.worker RUNS_ROOT RUN_ID STAGE --device cuda --where "gpu 1"
    python -m torch.distributed.run --standalone --nproc-per-node 2 -m phys.core.worker RUNS_ROOT RUN_ID STAGE …

A worker writes the stage into the store (rank 0 commits it), its lines into the run's log.txt, its curves
into metrics.jsonl and its progress into progress.json, and its outcome (`done`, `cached`, `interrupted`,
`failed` with the error) into `workers/<stage>.json` for the driver. It never touches the ledger: the
driver that started it records what happened.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from phys.core.plan import Plan, declared_metrics, plan_for, undeclared
from phys.core.reporting import FileReporter, Quiet, Reporter
from phys.core.rundir import RunDir, write_json_atomic
from phys.core.store import Store
from phys.errors import PhysError, StageInterrupted
from phys.machine import cpu
from phys.science import distributed
from phys.stages.context import StageContext


ATTEMPT_ENV = "PHYS_WORKER_ATTEMPT"


def compute_stage(store: Store, run_id: str, plan: Plan, name: str, device: str, where: str,
                  report: Reporter, should_stop: Callable[[], bool]) -> tuple[dict[str, Any], float]:
    """Run the adapter of stage `name` into the store's partial folder and commit it (rank 0 only);
    returns (the stage's result, seconds). Raises StageInterrupted if stopped (progress is checkpointed)."""
    stage = plan.stage(name)
    out = store.begin(stage.key) if distributed.world().leader else store.partial(stage.key)
    distributed.barrier()  # the other ranks write into `out` only once rank 0 made it
    ctx = StageContext(
        name=name, config=stage.config, seed=stage.seed, out=out,
        inputs={k: store.path(s.key) for k, s in plan.upstream(name).items()},
        device=device, log=lambda line: report.say(f"{name}: {line}"),
        metrics=lambda **values: report.metrics({"stage": name, **values, "t": time.time()}),
        trim_metrics=lambda step: report.trim_metrics(name, step),
        progress=lambda done, total, **info: report.progress(name, done, total, info),
        should_stop=should_stop,
    )
    t0 = time.time()
    # on CPU, this process's threads: its share of the cores among live phys processes
    with cpu.Share() if device == "cpu" else contextlib.nullcontext():
        assert stage.function is not None, "a plan's stages carry their adapters"
        result = stage.function(ctx) or {}
    seconds = round(time.time() - t0, 2)
    declared = declared_metrics(plan, name)
    if declared is not None and (extra := undeclared(result, declared)):  # the adapter and its declaration drifted
        report.say(f"{name}: warning: metrics its adapter does not declare (`produces`): {', '.join(sorted(extra))}")
    meta = {"stage": name, "run": stage.run, "version": stage.version, "seed": stage.seed,
            "config": stage.config_dict(), "deps": {d: plan.stage(d).key for d in stage.deps},
            "result": result, "made_by": run_id, "device": device, "where": where, "seconds": seconds}
    store.commit(stage.key, meta)
    return result, seconds


def outcome_path(run_dir: Path, stage: str) -> Path:
    """Where the worker computing `stage` records how it ended, for the driver (`executors._Outcome`)."""
    return Path(run_dir) / "workers" / f"{stage}.json"


def run_stage(runs_root: Path, run_id: str, stage: str, device: str, where: str,
              stop: threading.Event | None = None, attempt: str = "") -> str:
    """Compute `stage` of `run_id` here (under torchrun: this rank's part); returns and records the outcome:
    `done`, `cached` (another run computed it meanwhile), `interrupted` or `failed`. `attempt` names this
    try in the outcome file, so the driver never takes an older try's outcome (an orphan's) for it."""
    stop = stop or threading.Event()
    rd = RunDir(runs_root, run_id)
    world = distributed.world()
    report: Reporter = FileReporter(rd) if world.leader else Quiet()  # rank 0 reports for all
    outcome: dict[str, Any] = {"stage": stage, "where": where, "attempt": attempt}
    lock = None
    try:
        plan = plan_for(rd.info())
        key = plan.stage(stage).key
        device = distributed.setup(device)
        store = Store(runs_root)
        # The store lock: one computation of a stage at a time, across runs and jobs. Rank 0 takes it; the
        # ranks meet every second meanwhile, so none waits in a collective long enough to time out.
        lock = store.lock(key) if world.leader else None
        while not distributed.any_rank(lock is not None and _acquire(lock, stop), device):
            if distributed.any_rank(stop.is_set(), device):
                raise StageInterrupted("stopped while waiting for another run computing the same stage")
        if distributed.any_rank(world.leader and store.has(key), device):
            outcome["outcome"] = "cached"
        else:
            report.say(f"{stage}: computing on {where}"
                       + (f" ({world.size} processes, data-parallel)" if world.size > 1 else ""))
            result, seconds = compute_stage(store, run_id, plan, stage, device, where, report, stop.is_set)
            outcome.update(outcome="done", seconds=seconds, result=result)
    except distributed.FollowerDone:
        return "done"
    except (StageInterrupted, KeyboardInterrupt):
        outcome["outcome"] = "interrupted"
    except PhysError as exc:
        outcome.update(outcome="failed", error=str(exc), user_error=True)
    except BaseException as exc:  # noqa: BLE001 - recorded for the driver, with the traceback in log.txt
        rd.append_log(traceback.format_exc())
        outcome.update(outcome="failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        if lock is not None and lock.is_locked:
            lock.release()
        distributed.teardown()
    if world.leader:
        outcome_path(rd.path, stage).parent.mkdir(exist_ok=True)
        write_json_atomic(outcome_path(rd.path, stage), outcome)
    return outcome["outcome"]


def _acquire(lock: Any, stop: threading.Event) -> bool:
    if stop.is_set():
        return False
    try:
        lock.acquire(timeout=1.0)
        return True
    except TimeoutError:
        return False


def slurm_job(runs_root: str, run_id: str, stage: str, device: str, where: str, attempt: str) -> str:
    """The function a Slurm job runs (submitit): the stage, on the job's GPUs. scancel (SIGTERM) and the
    time limit's warning (submitit's SIGUSR2) checkpoint it and end it `interrupted`. With several tasks,
    submitit's environment becomes torchrun's."""
    import submitit
    from submitit.core.job_environment import JobEnvironment
    from submitit.helpers import TorchDistributedEnvironment

    env = submitit.JobEnvironment()
    if env.num_tasks > 1:
        TorchDistributedEnvironment().export()
    stop = _stop_on_signals(extra=(JobEnvironment._usr_sig(),))
    return run_stage(Path(runs_root), run_id, stage, device, f"{where} {env.job_id}", stop, attempt)


def _stop_on_signals(extra: tuple[int, ...] = ()) -> threading.Event:
    """SIGTERM / SIGINT (and `extra`) set the stop flag: the stage checkpoints at its next step. The same
    signal again stops at once."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        def handler(signum: int, frame: Any) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT, *extra):
            signal.signal(sig, handler)
    return stop


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phys.core.worker", description="Compute one stage of a run.")
    parser.add_argument("runs_root", type=Path)
    parser.add_argument("run_id")
    parser.add_argument("stage")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--where", default="cpu")
    args = parser.parse_args(argv)
    outcome = run_stage(args.runs_root, args.run_id, args.stage, args.device, args.where, _stop_on_signals(),
                        os.environ.get(ATTEMPT_ENV, ""))
    return {"done": 0, "cached": 0, "interrupted": 3}.get(outcome, 1)


if __name__ == "__main__":
    raise SystemExit(main())
