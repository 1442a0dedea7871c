"""Executes a run in this process: stage-level cache hits, step-level resume, heartbeats, signals, status
and verdict.

`execute` runs (or resumes) a run created by `phys.core.launch.create_run`; a detached run is this module
as a program (`python -m phys.core.runner RUNS_ROOT RUN_ID`, started by `launch.spawn`). Stages compute in
this process one by one (`inline`), or, with an executor (`phys.core.executors`), as worker processes on
local devices or Slurm jobs, several at once wherever their upstream stages are done: this process is then
the driver whose `phys.core.scheduler` puts them onto free slots and records what they do. A resumed run
re-executes in place: finished stages are store hits, and training continues from its last checkpoint.
Status is derived (`phys.machine.process`), so a run killed with -9 shows as `crashed` without anyone
writing it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Sequence

from phys.core.executors import Execution
from phys.core.launch import base_record, now
from phys.core.ledger import Ledger
from phys.core.plan import Plan, plan_for
from phys.core.recording import LedgerWriter
from phys.core.report import write_group_report, write_report
from phys.core.reporting import UI, FileReporter, Quiet
from phys.core.rundir import RunDir
from phys.core.scheduler import Scheduler, StageCrashed
from phys.core.store import Store
from phys.core.verdict import judge
from phys.core.worker import compute_stage
from phys.errors import PhysError, StageInterrupted
from phys.machine import cpu, process
from phys.views.format import group_lints


class RunExecution:
    """One execution of a run in this process (a first start or a resume)."""

    def __init__(self, runs_root: Path, run_id: str, ui: UI) -> None:
        self.root = Path(runs_root)
        self.rd = RunDir(self.root, run_id)
        self.ledger = Ledger(self.root)
        self.store = Store(self.root)
        self.ui = ui
        self.info = self.rd.info()
        record = self.ledger.run(run_id) or self.rd.read("status.json") or base_record(self.info)
        self.record: dict[str, Any] = dict(record)
        self.stop = threading.Event()  # the user asked to stop (SIGINT / SIGTERM)
        self.ended = threading.Event()  # this execution is over (stops the heartbeat)
        self.files = FileReporter(self.rd)  # the stages' curves and progress, as a worker writes them
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
                per_stage = Scheduler(self, plan, execution).run()
            results: dict[str, Any] = {}
            for stage in plan.stages:
                result = per_stage[stage.name]
                # An arm's results are named `metric@arm`, so the arms of a recipe never overwrite each other.
                results.update({f"{k}@{stage.arm}": v for k, v in result.items()} if stage.arm else result)
            return self._finish(plan, results)
        except (StageInterrupted, KeyboardInterrupt):
            if self.cancel_requested():  # `phys runs cancel` of a group's seed: the group goes on without it
                self.record.update(status="cancelled", ended=now())
                self.save()
                self.say("cancelled: progress is checkpointed")
                return "cancelled"
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

    def cancel_requested(self) -> bool:
        """`phys runs cancel` asked this run (a group's seed) to stop: the stop is the run's, not the group's."""
        return bool((self.ledger.run(self.rd.id) or {}).get("cancel_requested"))

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
                return self.cache_hit(name, stage.key)
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

    def cache_hit(self, name: str, key: str, reason: str = "cache hit", **fields: Any) -> dict[str, Any]:
        """Stage `name` is in the store: link it into the run folder, record it (with `fields`), and return its
        result."""
        self.rd.link_stage(name, self.store.path(key))
        self.set_stage(name, key=key, status="cached", cached=True, **fields)
        self.ui.stage(name, "cached", key)
        self.say(f"{name}: {reason} ({key})")
        return dict((self.store.manifest(key) or {}).get("result", {}))

    # ---- phys.core.reporting.Reporter: where an inline stage reports --------------------------------------
    def metrics(self, values: dict[str, Any]) -> None:
        self.files.metrics(values)

    def trim_metrics(self, stage: str, step: int) -> None:
        self.files.trim_metrics(stage, step)

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        self.ui.progress(stage, done, total, info)
        self.files.progress(stage, done, total, info)

    def _finish(self, plan: Plan, metrics: dict[str, Any]) -> str:
        verdict, checks = judge(plan.recipe.checks, metrics, arms=plan.arms, scale=plan.scale)
        check_dicts = [c.to_dict() for c in checks]
        lints = self._lints(plan)
        self.record.update(status="done", ended=now(), verdict=verdict, checks=check_dicts, lints=lints,
                           metrics={k: v for k, v in metrics.items() if isinstance(v, (int, float, str))})
        self.save()
        self.say(f"verdict: {verdict}")
        self._write_report()
        if self.info.get("group"):
            self._write_group_report(self.info["group"])
        return verdict

    def _lints(self, plan: Plan) -> list[dict[str, Any]]:
        """The lints of the run's design, from its stored stages (`phys.core.lint`); one line each in the log.
        A lint that cannot be measured must not turn a finished run into a failed one."""
        from phys.core.folders import Folders
        from phys.core.lint import lint_plan

        try:
            with Folders(self.root, preview=False) as folders:
                lints = [x.to_dict() for x in lint_plan(plan, folders, self.info["device"])]
        except Exception:  # noqa: BLE001 - the traceback goes to log.txt; the run keeps its verdict
            self.rd.append_log(traceback.format_exc())
            self.say("lints could not be measured (traceback above)")
            return []
        for g in group_lints(lints):
            self.say(f"lint {g['code']}: {g['message']}" + (" (explained)" if g["explained"] else " (not explained by the recipe)"))
        return lints

    def _write_group_report(self, group: str) -> None:
        """The group's report once its last seed has a verdict (whichever run finishes last writes it)."""
        from phys.core.groups import summary

        try:
            record = summary(self.root, group)
            if record["verdict"] is not None:
                written = write_group_report(self.root, group, group=record)
                self.say(f"group {group}: {record['verdict']}; report: {written['report']}")
        except Exception:  # noqa: BLE001 - the run's own outcome is recorded; the group report can be redone
            self.rd.append_log(traceback.format_exc())
            self.say(f"group report failed (traceback above); `phys report {group}` writes it again")

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
    return RunExecution(runs_root, run_id, ui or Quiet()).run()


def execute_all(runs_root: Path, run_ids: Sequence[str], ui: UI | None = None) -> str | None:
    """Execute runs one after another (a group's seeds): `interrupted` at the first one stopped (also by a
    signal that came while it wrote its report; the rest stay queued and, once this process is gone,
    resumable), else `failed` if any failed (its record says how; the others still ran), else None. A seed
    cancelled while it waited for its turn is skipped; one cancelled while it ran stops alone."""
    failed = False
    for run_id in run_ids:
        if (Ledger(runs_root).run(run_id) or {}).get("status") == "cancelled":
            continue
        execution = RunExecution(runs_root, run_id, ui or Quiet())
        try:
            outcome = execution.run()
        except Exception as exc:  # noqa: BLE001 - recorded as the run's error; the other seeds go on
            print(f"error: run {run_id}: {exc}", file=sys.stderr)
            failed = True
            continue
        if outcome == "cancelled" or (execution.stop.is_set() and execution.cancel_requested()):
            continue  # this seed was cancelled (or finished as the cancel came): the others go on
        if outcome == "interrupted" or execution.stop.is_set():
            return "interrupted"
    return "failed" if failed else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of detached runs: `python -m phys.core.runner RUNS_ROOT RUN_ID [RUN_ID …]` (in turn)."""
    args = list(sys.argv[1:] if argv is None else argv)
    runs_root, run_ids = Path(args[0]), args[1:]
    if len(run_ids) == 1:
        try:
            execute(runs_root, run_ids[0])
        except PhysError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    return {"interrupted": 3, "failed": 1}.get(execute_all(runs_root, run_ids) or "", 0)


if __name__ == "__main__":
    raise SystemExit(main())
