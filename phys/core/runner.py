"""Executes a run: stage-level cache hits, step-level resume, heartbeats, signals, status and verdict.

`create_run` validates everything and writes the run's folder and ledger record (status `queued`);
`execute` runs it in this process; `spawn` runs it detached in its own session (`python -m phys.core.runner`).
Stages compute in this process one by one (`inline`), or, with an executor (`phys.core.executors`), as worker
processes on local devices or Slurm jobs, several at once wherever their upstream stages are done: this
process is then the driver that schedules them onto free slots and records what they do.
`resume` re-executes a crashed or interrupted run in place: finished stages are store hits, and training
continues from its last checkpoint. Status is derived (`phys.core.process`), so a run killed with -9 shows as
`crashed` without anyone writing it.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Protocol, Sequence

from tinydb import Query

from phys.science import cpu
from phys.core import environment, process
from phys.stages.context import StageInterrupted
from phys.errors import PhysError
from phys.core.executors import EXECUTORS, Execution, Handle, LocalExecutor, Slot, SubmititExecutor, parse_devices, slurm_slots
from phys.core.ledger import Ledger
from phys.core.plan import Plan, make_plan
from phys.core.registry import load_recipe
from phys.views.report import write_report
from phys.core.rundir import RunDir, new_run_id
from phys.core.store import Store
from phys.core.verdict import judge
from phys.core.worker import compute_stage, is_data_parallel

RESUMABLE = ("crashed", "interrupted", "failed")


class UI(Protocol):
    """What a shell shows while a run executes (the CLI renders with rich; detached runs show nothing)."""

    def log(self, line: str) -> None: ...
    def stage(self, name: str, state: str, detail: str = "") -> None: ...
    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None: ...


class QuietUI:
    def log(self, line: str) -> None:
        pass

    def stage(self, name: str, state: str, detail: str = "") -> None:
        pass

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        pass


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def plan_for(info: dict[str, Any]) -> Plan:
    """The run's plan rebuilt from run.json; PhysError if the recipe changed since the run was created."""
    recipe = load_recipe(info["recipe"])
    plan = make_plan(recipe, info["scale"], info.get("overrides", []), info["seed"], info["device"], info.get("arms"))
    recorded = {s["name"]: s["key"] for s in info["stages"]}
    changed = [s.name for s in plan.stages if recorded.get(s.name) != s.key]
    if changed:
        raise PhysError(
            f"recipe {recipe.name} changed since run {info['id']} was created (stages {', '.join(changed)})",
            hint="start a new run instead of resuming this one",
        )
    return plan


def create_run(
    runs_root: Path, recipe_name: str, scale: str | None, overrides: Sequence[str], seed: int, device: str,
    arms: Sequence[str] | None = None, execution: Execution | None = None,
) -> str:
    """A new run folder and ledger record for `recipe_name` (not started); `arms` replaces the scale's arms."""
    recipe = load_recipe(recipe_name)
    ledger = Ledger(runs_root)
    ledger_state = ledger.state()
    if ledger_state in ("missing", "damaged"):
        ledger.runs()  # raises the PhysError that says so, with its hint: a new record would hide old runs
    scale = environment.default_scale() if scale is None else scale  # "" is a mistake, not the default
    execution = execution or Execution()
    device = execution_device(execution, device)
    plan = make_plan(recipe, scale, overrides, seed, device, arms)
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
    record = _base_record(info)
    rd.write_info(info)
    rd.write_status(record)
    ledger.upsert_run(record, allow_missing=ledger_state == "empty")
    return run_id


def execution_device(execution: Execution, device: str) -> str:
    """The device type the run's stages use (it enters device-sensitive cache keys), checked against the
    executor; PhysError for a contradiction (e.g. GPUs requested with --device cpu)."""
    if execution.executor not in EXECUTORS:
        raise PhysError(f"unknown executor {execution.executor!r}", hint="use local, slurm or submitit-local")
    if execution.executor == "inline":
        return environment.resolve_device(device)
    if execution.executor == "local":
        slots = local_slots(execution)
        kind = slots[0].device
        if device not in ("auto", kind) and not (kind == "cuda" and device.startswith("cuda")):
            raise PhysError(f"--device {device} contradicts --devices {execution.devices or 'cpu'}",
                            hint="leave --device out: --devices decides where stages run")
        return kind
    kind = "cuda" if execution.executor == "slurm" and execution.gpus else "cpu"
    if device not in ("auto", kind):
        raise PhysError(f"--device {device} contradicts --gpus {execution.gpus}",
                        hint="leave --device out: the jobs' GPUs decide")
    return kind


def check_execution(execution: Execution, plan: Plan) -> Execution:
    """`execution` with its devices resolved, after the checks that need the plan: a data-parallel stage's
    batch must split over --ddp, and Slurm needs submitit; PhysError otherwise (before anything is written)."""
    import dataclasses
    import importlib.util

    if execution.ddp > 1:
        for stage in plan.stages:
            batch = getattr(stage.config, "batch_size", None)
            if batch is not None and is_data_parallel(stage.run) and batch % execution.ddp:
                raise PhysError(f"{stage.name}.batch_size={batch} does not split over --ddp {execution.ddp}",
                                hint=f"use --set {stage.name}.batch_size=N with N divisible by {execution.ddp}")
    if execution.executor in ("slurm", "submitit-local") and importlib.util.find_spec("submitit") is None:
        raise PhysError(f"--executor {execution.executor} needs submitit", hint="pip install 'phys[cluster]'")
    if execution.executor == "slurm" and shutil.which("sbatch") is None:
        raise PhysError("--executor slurm: no `sbatch` on this machine",
                        hint="run phys on a Slurm login node, or use --executor submitit-local to try the path here")
    if execution.executor == "local" and not execution.devices.strip():
        devices = "cpu" if local_slots(execution)[0].device == "cpu" else "all"
        execution = dataclasses.replace(execution, devices=devices)
    return execution


def local_slots(execution: Execution) -> list[Slot]:
    """The slots of a local execution; no --devices means every GPU, or the CPU on a machine without one."""
    devices, gpus = execution.devices.strip().lower(), 0
    if devices != "cpu":
        import torch

        gpus = torch.cuda.device_count()
    if not devices:
        devices = "all" if gpus else "cpu"
    return parse_devices(devices, execution.per_device, execution.ddp, gpus)


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


def _base_record(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": info["id"], "recipe": info["recipe"], "scale": info["scale"], "seed": info["seed"],
        "overrides": info["overrides"], "device": info["device"], "created": info["created"],
        "status": "queued", "verdict": None, "checks": [], "metrics": {}, "stages": {},
        "started": None, "ended": None, "error": None, **process.identity(),
    }


def spawn(runs_root: Path, run_id: str) -> int:
    """Execute the run in a new process session that survives the terminal; returns its pid."""
    rd = RunDir(runs_root, run_id)
    with open(rd.log, "a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "phys.core.runner", str(runs_root), run_id],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    # The child records its own identity when it starts; until then the record names the child's pid.
    Ledger(runs_root).update_run(run_id, pid=proc.pid, pid_start=process.start_time(proc.pid))
    return proc.pid


def prepare_resume(runs_root: Path, run_id: str) -> None:
    """Check that the run can resume and claim it (status `queued`, this process) in one transaction."""
    rd = RunDir(runs_root, run_id)
    plan_for(rd.info())  # the recipe must still produce the recorded stage keys
    ledger = Ledger(runs_root)
    with ledger.transaction() as db:
        runs = db.table("runs")
        record = runs.get(Query().id == run_id)
        if record is None:
            raise PhysError(f"run {run_id} is not in the ledger", hint="see `phys ledger check`")
        status = process.derive_status(dict(record), rd.heartbeat)
        if status not in RESUMABLE:
            raise PhysError(f"run {run_id} is {status}; only {', '.join(RESUMABLE)} runs can be resumed",
                            hint="start a new run with `phys run recipe NAME`")
        claimed = {**dict(record), "status": "queued", **process.identity()}
        runs.upsert(claimed, Query().id == run_id)
    rd.write_status(claimed)


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
    if status in process.LIVE:
        if record.get("host") != socket.gethostname():
            raise PhysError(f"run {run_id} runs on host {record.get('host')}", hint="cancel it there")
        try:
            os.kill(int(record["pid"]), signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + wait_s
        while time.time() < deadline and process.is_alive(record, rd.heartbeat):
            time.sleep(0.2)
        if process.is_alive(record, rd.heartbeat):
            raise PhysError(f"run {run_id} did not stop within {wait_s:.0f} s",
                            hint="it stops at its next step; check with `phys runs show`")
    with ledger.transaction() as db:
        runs = db.table("runs")
        current = dict(runs.get(Query().id == run_id) or record)
        if current.get("status") == "done":
            raise PhysError(f"run {run_id} finished before it could be cancelled", hint="nothing to cancel")
        current.update(status="cancelled", ended=now())
        runs.upsert(current, Query().id == run_id)
    rd.write_status(current)


class LedgerWriter:
    """Writes a run's record and stage documents to the ledger from a thread of its own.

    The ledger is one JSON file, rewritten whole by each transaction: with thousands of runs that takes
    longer than a cached stage should (about 0.1 s per 1,000 runs on 2 cores). So a stage change costs the
    run a status.json write only (the run folder is the source of truth); this thread writes the latest
    record and the stages changed since its last write in one transaction, `DELAY_S` after the first
    change (a run's cached stages, a second apart or less, make one write; the encoder holds the GIL, so
    writing at once would slow the run's thread after all). `flush()` writes at once and returns once all
    recorded so far is in the ledger (the run's start and end are flushed).
    """

    DELAY_S = 1.0

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._cv = threading.Condition()
        self._record: dict[str, Any] | None = None
        self._dirty: set[str] = set()
        self._asked = self._written = 0
        self._urgent = False
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="ledger-writer", daemon=True)
        self._thread.start()

    def touch(self, record: dict[str, Any], stage: str | None = None) -> None:
        snapshot = copy.deepcopy(record)  # the run goes on changing its record while this one is written
        with self._cv:
            self._record = snapshot
            if stage is not None:
                self._dirty.add(stage)
            self._asked += 1
            self._cv.notify_all()

    def flush(self) -> None:
        with self._cv:
            target = self._asked
            self._urgent = True
            self._cv.notify_all()
            while self._written < target and self._error is None and self._thread.is_alive():
                self._cv.wait(0.5)
            self._urgent = False
            if self._error is not None:
                error, self._error = self._error, None
                raise error

    def close(self) -> None:
        self.flush()
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while self._written == self._asked and not self._closed:
                    self._cv.wait()
                if self._closed and self._written == self._asked:
                    return
                deadline = time.monotonic() + self.DELAY_S
                while not (self._urgent or self._closed) and time.monotonic() < deadline:
                    self._cv.wait(deadline - time.monotonic())
                self._urgent = False
                record, dirty, asked = self._record, self._dirty, self._asked
                self._dirty = set()
            error: BaseException | None = None
            try:
                assert record is not None
                self.ledger.record_stages(record, {name: record["stages"][name] for name in dirty})
            except BaseException as exc:  # noqa: BLE001 - re-raised in the run's thread by flush()
                error = exc
            with self._cv:
                self._error = error  # a later write that succeeds supersedes an earlier failure
                if error is not None:
                    self._dirty |= dirty  # written again with the next change
                self._written = asked
                self._cv.notify_all()


class _Execution:
    """One execution of a run in this process (a first start or a resume)."""

    def __init__(self, runs_root: Path, run_id: str, ui: UI) -> None:
        self.root = Path(runs_root)
        self.rd = RunDir(self.root, run_id)
        self.ledger = Ledger(self.root)
        self.store = Store(self.root)
        self.ui = ui
        self.info = self.rd.info()
        record = self.ledger.run(run_id) or self.rd.read("status.json") or _base_record(self.info)
        self.record: dict[str, Any] = dict(record)
        self.stop = threading.Event()  # the user asked to stop (SIGINT / SIGTERM)
        self.ended = threading.Event()  # this execution is over (stops the heartbeat)
        self._last_progress = 0.0
        self.tail_log = False
        self.ledger_writer = LedgerWriter(self.ledger)

    # ---- recording ---------------------------------------------------------------------------------------
    def save(self) -> None:
        """status.json and the ledger, both written before this returns."""
        self.rd.write_status(self.record)
        self.ledger_writer.touch(self.record)
        self.ledger_writer.flush()

    def say(self, line: str) -> None:
        self.rd.append_log(f"[{time.strftime('%H:%M:%S')}] {line}")
        if not self.tail_log:  # else the scheduler shows log.txt's new lines, the workers' and these
            self.ui.log(line)

    def set_stage(self, name: str, **fields: Any) -> None:
        self.record["stages"][name] = {**self.record["stages"].get(name, {}), **fields}
        self.rd.write_status(self.record)
        self.ledger_writer.touch(self.record, name)  # the ledger follows off the critical path

    # ---- the run -----------------------------------------------------------------------------------------
    def run(self) -> str:
        try:
            plan = plan_for(self.info)
        except PhysError as exc:
            self._fail(str(exc), tb=None)
            self.ledger_writer.close()
            raise
        self.record.update(status="running", started=self.record.get("started") or now(), ended=None, error=None,
                           **process.identity())
        self.save()
        self.say(f"run {self.rd.id}: {plan.recipe.name} at scale {plan.scale}, seed {plan.seed}, "
                 f"device {self.info['device']}")
        execution = Execution.from_dict(self.info.get("execution"))
        if execution.threads:
            os.environ[cpu.THREADS_ENV] = str(execution.threads)  # this process's stages, and its workers'
        if self.info["device"] == "cpu" and (warning := cpu.load_warning()):
            self.say(f"warning: {warning}")
        heartbeat = threading.Thread(target=self._heartbeat, daemon=True)
        heartbeat.start()
        old_handlers = self._install_signals()
        try:
            if execution.executor == "inline":
                per_stage = {}
                for stage in plan.stages:
                    if self.stop.is_set():
                        raise StageInterrupted(f"stopped before stage {stage.name}")
                    per_stage[stage.name] = self._run_stage(plan, stage.name)
            else:
                per_stage = _Scheduler(self, plan, execution).run()
            results: dict[str, Any] = {}
            for stage in plan.stages:
                result = per_stage[stage.name]
                # An arm's results are named `metric@arm`, so the arms of a recipe never overwrite each other.
                results.update({f"{k}@{stage.arm}": v for k, v in result.items()} if stage.arm else result)
            return self._finish(plan, results)
        except (StageInterrupted, KeyboardInterrupt):
            self.record.update(status="interrupted", ended=now())
            self.save()
            self.say(f"interrupted: progress is checkpointed; continue with `phys runs resume {self.rd.id}`")
            return "interrupted"
        except StageCrashed as exc:
            self._fail(str(exc), tb=None, status="crashed")
            raise PhysError(str(exc), hint=f"continue it with `phys runs resume {self.rd.id}`") from None
        except PhysError as exc:
            self._fail(str(exc), tb=None)
            raise
        except BaseException as exc:
            self._fail(f"{type(exc).__name__}: {exc}", tb=traceback.format_exc())
            raise
        finally:
            self.ended.set()
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)
            try:
                self.ledger_writer.close()
            except Exception:  # noqa: BLE001 - the run's own outcome (return value or exception) comes first
                self.rd.append_log(f"the ledger could not be written:\n{traceback.format_exc()}")
                self.ui.log("the ledger could not be written (see log.txt); `phys ledger rebuild` restores it")

    def _fail(self, error: str, tb: str | None, status: str = "failed") -> None:
        self.record.update(status=status, ended=now(), error=error)
        self.save()
        if tb:
            self.rd.append_log(tb)
        self.say(f"failed: {error}")

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: Any) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt  # a second signal: stop now, without waiting for the next step
            self.stop.set()
            self.say(f"received {signal.Signals(signum).name}: saving a checkpoint and stopping")

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _heartbeat(self) -> None:
        self.rd.heartbeat.touch()
        while not self.ended.wait(process.HEARTBEAT_EVERY_S):
            self.rd.heartbeat.touch()

    def _run_stage(self, plan: Plan, name: str) -> dict[str, Any]:
        stage = plan.stage(name)
        lock = self.store.lock(stage.key)
        waited = False
        while True:
            try:
                lock.acquire(timeout=1.0)
                break
            except TimeoutError:
                if self.stop.is_set():
                    raise StageInterrupted from None
                if not waited:
                    self.say(f"{name}: waiting for another run that is computing the same stage ({stage.key})")
                    self.set_stage(name, key=stage.key, status="waiting")
                    waited = True
        try:
            if self.store.has(stage.key):
                self.rd.link_stage(name, self.store.path(stage.key))
                self.set_stage(name, key=stage.key, status="cached", cached=True)
                self.ui.stage(name, "cached", stage.key)
                self.say(f"{name}: cache hit ({stage.key})")
                return dict((self.store.manifest(stage.key) or {}).get("result", {}))
            return self._compute(plan, name)
        finally:
            lock.release()

    def _compute(self, plan: Plan, name: str) -> dict[str, Any]:
        stage = plan.stage(name)
        resuming = self.store.partial(stage.key).exists()
        self.set_stage(name, key=stage.key, status="running", cached=False, started=now())
        self.ui.stage(name, "running", stage.key)
        self.say(f"{name}: {'resuming' if resuming else 'computing'} ({stage.key})")
        try:
            result, seconds = compute_stage(self.store, self.rd.id, plan, name, self.info["device"],
                                            "this process", self, self.stop.is_set)
        except (StageInterrupted, KeyboardInterrupt):
            self.set_stage(name, status="interrupted")
            raise
        except BaseException:
            self.set_stage(name, status="failed")
            raise
        self.rd.link_stage(name, self.store.path(stage.key))
        self.set_stage(name, status="done", seconds=seconds, ended=now())
        self.ui.stage(name, "done", f"{seconds:.1f}s")
        self.say(f"{name}: done in {seconds:.1f}s")
        return result

    # ---- phys.core.worker.Reporter: where an inline stage reports ----------------------------------------------
    def metrics(self, values: dict[str, Any]) -> None:
        self.rd.append_metrics(values)

    def trim_metrics(self, stage: str, step: int) -> None:
        self.rd.trim_metrics(stage, step)

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        self._progress(stage, done, total, info)

    def _progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        self.ui.progress(stage, done, total, info)
        t = time.time()
        if t - self._last_progress >= 1.0 or done >= total:
            self._last_progress = t
            self.rd.write_progress({"stage": stage, "done": done, "total": total, **info, "t": t})

    def _finish(self, plan: Plan, metrics: dict[str, Any]) -> str:
        verdict, checks = judge(plan.recipe.checks, metrics, arms=plan.arms)
        check_dicts = [c.to_dict() for c in checks]
        self.record.update(status="done", ended=now(), verdict=verdict, checks=check_dicts,
                           metrics={k: v for k, v in metrics.items() if isinstance(v, (int, float, str))})
        self.save()
        self.say(f"verdict: {verdict}")
        self._write_report()
        return verdict

    def _write_report(self) -> None:
        """report.md and figures; a figure that fails must not turn a finished run into a failed one."""
        try:
            write_report(self.root, self.rd.id)
        except Exception:  # noqa: BLE001 - the traceback goes to log.txt, the markdown is still written
            self.rd.append_log(traceback.format_exc())
            self.say("report: figures failed (traceback above); wrote report.md without them")
            write_report(self.root, self.rd.id, figures=False)
            return
        self.say(f"report: {self.rd.report}")


class StageCrashed(Exception):
    """A worker or job ended without an outcome (killed, out of memory, node or job lost)."""


class _Scheduler:
    """Runs a plan's stages through an executor: each stage goes to a free slot once its upstream stages
    are done; stages already in the store are linked at once. Records every start and end in the ledger
    (slot, job id, pid), forwards the workers' log lines and progress to the UI, and on a stop or a failure
    stops the other workers (they checkpoint) before it returns."""

    POLL_S = 0.2
    STOP_GRACE_S = 120.0  # after a stop, how long workers get to checkpoint before they are killed

    def __init__(self, ex: _Execution, plan: Plan, execution: Execution) -> None:
        self.ex, self.plan, self.execution = ex, plan, execution
        if execution.executor == "local":
            self.slots = local_slots(execution)
            self.executor: Any = LocalExecutor(ex.root, ex.rd.id, ex.rd.log)
        else:
            self.slots = slurm_slots(execution)
            cluster = "slurm" if execution.executor == "slurm" else "local"
            self.executor = SubmititExecutor(ex.root, ex.rd.id, execution, cluster)
        self.results: dict[str, dict[str, Any]] = {}
        self.running: dict[str, tuple[Handle, Slot]] = {}
        self._log_offset = ex.rd.log.stat().st_size if ex.rd.log.exists() else 0
        self._progress_t = 0.0

    def run(self) -> dict[str, dict[str, Any]]:
        ex = self.ex
        ex.tail_log = True
        ex.say(f"stages run {self.execution.describe()}: up to {len(self.slots)} at once")
        free, pending = list(self.slots), [s.name for s in self.plan.stages]
        failure: tuple[str, str] | None = None  # (outcome, message)
        stopping: float | None = None  # when the workers were asked to stop
        try:
            while pending or self.running:
                if (ex.stop.is_set() or failure) and stopping is None:
                    stopping = time.monotonic()
                    for handle, _ in self.running.values():
                        handle.stop()
                elif stopping is not None and time.monotonic() - stopping > self.STOP_GRACE_S:
                    for handle, _ in self.running.values():
                        handle.kill()
                    stopping = float("inf")  # once
                if stopping is None:
                    self._start_ready(pending, free)
                for name, (handle, slot) in list(self.running.items()):
                    outcome = handle.poll()
                    if outcome is not None:
                        del self.running[name]
                        free.append(slot)
                        problem = self._ended(name, handle, outcome)
                        if problem and (failure is None or failure[0] == "interrupted"):
                            failure = problem
                self._forward()
                if stopping is not None and not self.running:
                    break
                if not pending and not self.running:
                    break
                time.sleep(self.POLL_S)
        finally:
            for handle, _ in self.running.values():  # a second Ctrl-C, or a bug in the loop
                handle.stop()
            self._forward()
            ex.tail_log = False
        if failure is None and ex.stop.is_set():
            failure = ("interrupted", "stopped")
        if failure is not None:
            outcome, message = failure
            if outcome == "interrupted":
                raise StageInterrupted(message)
            if outcome == "crashed":
                raise StageCrashed(message)
            raise PhysError(message, hint=f"see `phys runs logs {ex.rd.id}`")
        return self.results

    def _ready(self, name: str) -> bool:
        return all(d in self.results for d in self.plan.stage(name).deps)

    def _start_ready(self, pending: list[str], free: list[Slot]) -> None:
        ex = self.ex
        for name in list(pending):
            if not self._ready(name):
                continue
            stage = self.plan.stage(name)
            if ex.store.has(stage.key):
                pending.remove(name)
                ex.rd.link_stage(name, ex.store.path(stage.key))
                ex.set_stage(name, key=stage.key, status="cached", cached=True)
                ex.ui.stage(name, "cached", stage.key)
                ex.say(f"{name}: cache hit ({stage.key})")
                self.results[name] = dict((ex.store.manifest(stage.key) or {}).get("result", {}))
                continue
            if not free:
                continue
            slot = free.pop(0)
            nproc = self.execution.ddp if self.execution.ddp > 1 and is_data_parallel(stage.run) else 1
            handle = self.executor.start(name, slot, nproc)
            pending.remove(name)
            self.running[name] = (handle, slot)
            ids = {k: v for k, v in (("job", handle.job_id), ("pid", handle.pid)) if v is not None}
            where = handle.where + (f" x{nproc} ddp" if nproc > 1 else "")
            ex.set_stage(name, key=stage.key, status="running", cached=False, started=now(), where=where,
                         **({"processes": nproc} if nproc > 1 else {}), **ids)
            ex.ui.stage(name, "running", where)
            ex.say(f"{name}: started on {where} ({stage.key})")

    def _ended(self, name: str, handle: Handle, outcome: str) -> tuple[str, str] | None:
        """Record how stage `name` ended; (outcome, message) if the run cannot go on."""
        ex, stage = self.ex, self.plan.stage(name)
        if outcome in ("done", "cached") and ex.store.has(stage.key):
            manifest = ex.store.manifest(stage.key) or {}
            ex.rd.link_stage(name, ex.store.path(stage.key))
            if outcome == "done":
                seconds = manifest.get("seconds")
                ex.set_stage(name, status="done", seconds=seconds, ended=now())
                ex.ui.stage(name, "done", f"{seconds:.1f}s on {handle.where}" if seconds is not None else "")
                ex.say(f"{name}: done on {handle.where}" + (f" in {seconds:.1f}s" if seconds is not None else ""))
            else:
                ex.set_stage(name, status="cached", cached=True, ended=now())
                ex.ui.stage(name, "cached", stage.key)
                ex.say(f"{name}: computed meanwhile by another run ({stage.key})")
            self.results[name] = dict(manifest.get("result", {}))
            return None
        if outcome == "interrupted":
            ex.set_stage(name, status="interrupted")
            return ("interrupted", f"stage {name} stopped")
        if outcome in ("done", "cached"):
            outcome = "crashed"  # it said done, but its output is not in the store
        ex.set_stage(name, status=outcome, ended=now())
        error = handle.error() or "no error recorded"
        return (outcome if outcome == "crashed" else "failed",
                f"stage {name} {outcome} on {handle.where}: {error}")

    def _forward(self) -> None:
        """New lines of log.txt (the workers' and the driver's) and the latest progress, to the UI."""
        ex = self.ex
        try:
            with open(ex.rd.log, "rb") as f:
                f.seek(self._log_offset)
                chunk = f.read()
        except OSError:
            chunk = b""
        if chunk:
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._log_offset += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                ex.ui.log(line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line)
        progress = ex.rd.read("progress.json")
        if progress and progress.get("t", 0) > self._progress_t and progress.get("stage") in self.running:
            self._progress_t = progress["t"]
            info = {k: v for k, v in progress.items() if k not in ("stage", "done", "total", "t")}
            ex.ui.progress(progress["stage"], progress["done"], progress["total"], info)


def execute(runs_root: Path, run_id: str, ui: UI | None = None) -> str:
    """Run (or resume) `run_id` in this process; returns the verdict, or `interrupted`."""
    return _Execution(runs_root, run_id, ui or QuietUI()).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of detached runs: `python -m phys.core.runner RUNS_ROOT RUN_ID`."""
    args = list(sys.argv[1:] if argv is None else argv)
    runs_root, run_id = Path(args[0]), args[1]
    try:
        execute(runs_root, run_id)
    except PhysError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
