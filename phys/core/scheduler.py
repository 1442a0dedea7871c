"""The scheduler of a run executed by workers (`--executor local | slurm | submitit-local`): each stage goes
to a free slot once its upstream stages are done, cached stages are linked at once, and the workers' log
lines and progress are forwarded to the UI."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from phys.core.executors import Execution, Handle, LocalExecutor, Slot, SubmititExecutor, local_slots, slurm_slots
from phys.core.launch import now
from phys.core.plan import Plan
from phys.errors import PhysError, StageInterrupted

if TYPE_CHECKING:
    from phys.core.runner import RunExecution


class StageCrashed(Exception):
    """A worker or job ended without an outcome (killed, out of memory, node or job lost)."""


class Scheduler:
    """Runs a plan's stages through an executor: each stage goes to a free slot once its upstream stages
    are done; stages already in the store are linked at once. Records every start and end in the ledger
    (slot, job id, pid), forwards the workers' log lines and progress to the UI, and on a stop or a failure
    stops the other workers (they checkpoint) before it returns."""

    POLL_S = 0.2
    STOP_GRACE_S = 120.0  # after a stop, how long workers get to checkpoint before they are killed

    def __init__(self, ex: RunExecution, plan: Plan, execution: Execution) -> None:
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
                self.results[name] = ex.cache_hit(name, stage.key)
                continue
            if not free:
                continue
            slot = free.pop(0)
            nproc = self.execution.ddp if self.execution.ddp > 1 and stage.data_parallel else 1
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
        if outcome == "cached" and ex.store.has(stage.key):
            self.results[name] = ex.cache_hit(name, stage.key, "computed meanwhile by another run", ended=now())
            return None
        if outcome == "done" and ex.store.has(stage.key):
            manifest = ex.store.manifest(stage.key) or {}
            ex.rd.link_stage(name, ex.store.path(stage.key))
            seconds = manifest.get("seconds")
            ex.set_stage(name, status="done", seconds=seconds, ended=now())
            ex.ui.stage(name, "done", f"{seconds:.1f}s on {handle.where}" if seconds is not None else "")
            ex.say(f"{name}: done on {handle.where}" + (f" in {seconds:.1f}s" if seconds is not None else ""))
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
