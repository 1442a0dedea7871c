"""Executes a run: stage-level cache hits, step-level resume, heartbeats, signals, status and verdict.

`create_run` validates everything and writes the run's folder and ledger record (status `queued`);
`execute` runs it in this process; `spawn` runs it detached in its own session (`python -m phys.runner`).
`resume` re-executes a crashed or interrupted run in place: finished stages are store hits, and training
continues from its last checkpoint. Status is derived (`phys.process`), so a run killed with -9 shows as
`crashed` without anyone writing it.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from tinydb import Query

from phys import environment, process
from phys.context import StageContext, StageInterrupted
from phys.errors import PhysError
from phys.ledger import Ledger
from phys.plan import Plan, make_plan
from phys.registry import load_recipe
from phys.report import write_report
from phys.rundir import RunDir, new_run_id, write_json_atomic
from phys.store import Store
from phys.verdict import judge

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
    arms: Sequence[str] | None = None,
) -> str:
    """A new run folder and ledger record for `recipe_name` (not started); `arms` replaces the scale's arms."""
    recipe = load_recipe(recipe_name)
    ledger = Ledger(runs_root)
    ledger_state = ledger.state()
    if ledger_state in ("missing", "damaged"):
        ledger.runs()  # raises the PhysError that says so, with its hint: a new record would hide old runs
    scale = scale or environment.default_scale()
    device = environment.resolve_device(device)
    plan = make_plan(recipe, scale, overrides, seed, device, arms)
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
            [sys.executable, "-m", "phys.runner", str(runs_root), run_id],
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

    # ---- recording ---------------------------------------------------------------------------------------
    def save(self) -> None:
        self.rd.write_status(self.record)
        self.ledger.upsert_run(self.record)

    def say(self, line: str) -> None:
        self.rd.append_log(f"[{time.strftime('%H:%M:%S')}] {line}")
        self.ui.log(line)

    def set_stage(self, name: str, **fields: Any) -> None:
        self.record["stages"][name] = {**self.record["stages"].get(name, {}), **fields}
        self.rd.write_status(self.record)
        self.ledger.record_stage(self.record, name, self.record["stages"][name])

    # ---- the run -----------------------------------------------------------------------------------------
    def run(self) -> str:
        try:
            plan = plan_for(self.info)
        except PhysError as exc:
            self._fail(str(exc), tb=None)
            raise
        self.record.update(status="running", started=self.record.get("started") or now(), ended=None, error=None,
                           **process.identity())
        self.save()
        self.say(f"run {self.rd.id}: {plan.recipe.name} at scale {plan.scale}, seed {plan.seed}, "
                 f"device {self.info['device']}")
        heartbeat = threading.Thread(target=self._heartbeat, daemon=True)
        heartbeat.start()
        old_handlers = self._install_signals()
        try:
            results: dict[str, Any] = {}
            for stage in plan.stages:
                if self.stop.is_set():
                    raise StageInterrupted(f"stopped before stage {stage.name}")
                result = self._run_stage(plan, stage.name)
                # An arm's results are named `metric@arm`, so the arms of a recipe never overwrite each other.
                results.update({f"{k}@{stage.arm}": v for k, v in result.items()} if stage.arm else result)
            return self._finish(plan, results)
        except (StageInterrupted, KeyboardInterrupt):
            self.record.update(status="interrupted", ended=now())
            self.save()
            self.say(f"interrupted: progress is checkpointed; continue with `phys runs resume {self.rd.id}`")
            return "interrupted"
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

    def _fail(self, error: str, tb: str | None) -> None:
        self.record.update(status="failed", ended=now(), error=error)
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
        out = self.store.begin(stage.key)
        self.set_stage(name, key=stage.key, status="running", cached=False, started=now())
        self.ui.stage(name, "running", stage.key)
        self.say(f"{name}: {'resuming' if resuming else 'computing'} ({stage.key})")
        module_name, func_name = stage.run.split(":")
        func: Callable[[StageContext], dict[str, Any] | None] = getattr(importlib.import_module(module_name), func_name)
        ctx = StageContext(
            name=name, config=stage.config, seed=stage.seed, out=out,
            inputs={(plan.stage(d).role or d): self.store.path(plan.stage(d).key) for d in stage.deps},
            device=self.info["device"], log=lambda line: self.say(f"{name}: {line}"),
            metrics=lambda **values: self.rd.append_metrics({"stage": name, **values, "t": time.time()}),
            trim_metrics=lambda step: self.rd.trim_metrics(name, step),
            progress=lambda done, total, **info: self._progress(name, done, total, info),
            should_stop=self.stop.is_set,
        )
        t0 = time.time()
        try:
            result = func(ctx) or {}
        except (StageInterrupted, KeyboardInterrupt):
            self.set_stage(name, status="interrupted")
            raise
        except BaseException:
            self.set_stage(name, status="failed")
            raise
        seconds = round(time.time() - t0, 2)
        meta = {"stage": name, "run": stage.run, "version": stage.version, "seed": stage.seed,
                "config": stage.config_dict(), "deps": {d: plan.stage(d).key for d in stage.deps},
                "result": result, "made_by": self.rd.id, "device": self.info["device"], "seconds": seconds}
        path = self.store.commit(stage.key, meta)
        self.rd.link_stage(name, path)
        self.set_stage(name, status="done", seconds=seconds, ended=now())
        self.ui.stage(name, "done", f"{seconds:.1f}s")
        self.say(f"{name}: done in {seconds:.1f}s")
        return result

    def _progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        self.ui.progress(stage, done, total, info)
        t = time.time()
        if t - self._last_progress >= 1.0 or done >= total:
            self._last_progress = t
            write_json_atomic(self.rd.progress, {"stage": stage, "done": done, "total": total, **info, "t": t})

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


def execute(runs_root: Path, run_id: str, ui: UI | None = None) -> str:
    """Run (or resume) `run_id` in this process; returns the verdict, or `interrupted`."""
    return _Execution(runs_root, run_id, ui or QuietUI()).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of detached runs: `python -m phys.runner RUNS_ROOT RUN_ID`."""
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
