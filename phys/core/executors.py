"""Where the stages of a run execute when they leave the runner's process: `Execution` (what the user
asked for, recorded in run.json), `Slot` (one place a stage can run: a GPU, a group of GPUs for DDP, a
share of the CPU, a Slurm job) and the two executors that start a stage there and watch it.

- `LocalExecutor`: a worker process per stage (`python -m phys.core.worker`) with `CUDA_VISIBLE_DEVICES` set
  to the slot's GPUs; a data-parallel stage on a slot of N GPUs (or `--ddp N` on CPU) runs under
  `torchrun` with N processes. `--per-device K` gives every GPU K slots: K small models share it.
- `SubmititExecutor`: a Slurm job per stage through submitit (`--executor slurm`); `submitit-local` runs
  the same code path with submitit's local executor (for tests, and for trying a setup on one machine).

A handle's outcome comes from the worker's `workers/<stage>.json`; a worker or job that ended without
writing one (killed, out of memory, node lost, time limit) is `crashed`, and the run can resume.
torch is not imported here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from phys.machine import cpu
from phys.errors import PhysError

if TYPE_CHECKING:
    from phys.core.plan import Plan

TORCHRUN_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT",
                "TORCHELASTIC_RUN_ID")


Executor = Literal["inline", "local", "slurm", "submitit-local"]
EXECUTORS: tuple[str, ...] = get_args(Executor)


@dataclass(frozen=True)
class Execution:
    """How a run's stages execute; `inline` (the default) computes them one by one in the runner. Every
    flag is validated here, once (`--executor`, `--devices`, …: the names in messages are the CLI's)."""

    executor: Executor = "inline"
    """inline: in the runner's process; local: worker processes; slurm: a job per stage (submitit);
    submitit-local: submitit's jobs on this machine (the Slurm path, tried locally)."""
    devices: str = ""
    """local: "cpu", "all", or GPU indices "0,1,3"; empty: all GPUs, else the CPU."""
    per_device: int = 1
    """local: stages sharing one device at a time."""
    ddp: int = 1
    """Processes (GPUs) per data-parallel training stage."""
    partition: str = ""
    """slurm: the partition."""
    gpus: int = 1
    """slurm: GPUs per job."""
    time_min: int = 60
    """slurm: time limit of a job."""
    jobs: int = 8
    """slurm: jobs in flight at once."""
    threads: int | None = None
    """CPU threads per computing process; None: its share of the cores (`phys.machine.cpu.Share`)."""

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise PhysError(f"unknown executor {self.executor!r}", hint="use local, slurm or submitit-local")
        if self.devices and self.executor != "local":
            raise PhysError(f"--devices is for local workers, not --executor {self.executor}",
                            hint="Slurm jobs get their GPUs from --gpus")
        if self.per_device != 1 and self.executor != "local":
            raise PhysError("--per-device is for local workers", hint="a Slurm job runs one stage; leave "
                            "--executor out (or use local) to share a device between stages")
        if self.ddp > 1 and self.executor == "inline":
            raise PhysError("--ddp needs worker processes, not --executor inline",
                            hint="leave --executor out, or use --executor local")
        if self.ddp < 1 or self.per_device < 1:
            raise PhysError("--ddp and --per-device must be at least 1", hint="e.g. --devices 0,1 --ddp 2")
        if self.gpus < 0 or self.time_min < 1 or self.jobs < 1:
            raise PhysError("--gpus must be >= 0, --time and --jobs >= 1", hint="e.g. --gpus 1 --time 120")
        if self.threads is not None and self.threads < 1:
            raise PhysError(f"--threads {self.threads} is not a thread count",
                            hint="e.g. --threads 1; leave it out for the process's share of the cores")

    @classmethod
    def for_flags(cls, executor: str | None, devices: str | None, per_device: int, ddp: int,
                  **slurm: Any) -> Execution:
        """The execution the CLI's flags ask for: no --executor means local workers when --devices,
        --ddp or --per-device ask for them, else inline."""
        if executor is None:
            executor = "local" if devices is not None or ddp > 1 or per_device > 1 else "inline"
        return cls(executor, devices or "", per_device, ddp, **slurm)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v != getattr(Execution(), k)} | {"executor": self.executor}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Execution:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in known})

    def describe(self) -> str:
        threads = f", {cpu.plural(self.threads, 'thread')} a process" if self.threads else ""
        if self.executor == "inline":
            return "in the runner's process" + threads
        if self.executor == "local":
            return (f"as local workers on {self.devices or 'cpu'}"
                    + (f", {self.per_device} per device" if self.per_device > 1 else "")
                    + (f", DDP over {self.ddp}" if self.ddp > 1 else "") + threads)
        if self.executor == "submitit-local":
            return "as submitit jobs on this machine" + (f", DDP over {self.ddp}" if self.ddp > 1 else "") + threads
        return ("as Slurm jobs" + (f" on partition {self.partition}" if self.partition else "")
                + f", {self.gpus} GPU(s), {self.time_min} min each" + (f", DDP over {self.ddp}" if self.ddp > 1 else "")
                + threads)


@dataclass(frozen=True)
class Slot:
    """One place a stage runs: `gpus` become its CUDA_VISIBLE_DEVICES. CPU slots split the cores by
    themselves: every worker takes its share of the live phys processes' (`phys.machine.cpu.Share`)."""

    label: str
    gpus: tuple[int, ...] = ()

    @property
    def device(self) -> str:
        return "cuda" if self.gpus else "cpu"


def parse_devices(devices: str, per_device: int, ddp: int, gpu_count: int) -> list[Slot]:
    """The local slots of `--devices` (`cpu`, `all`, or GPU indices `0,1`), `--per-device`, `--ddp`."""
    spec = devices.strip().lower() or "cpu"
    if spec == "cpu":
        return [Slot(f"cpu #{i + 1}" if per_device > 1 else "cpu") for i in range(per_device)]
    if spec == "all":
        if gpu_count == 0:
            raise PhysError("--devices all: no GPU is visible", hint="use --devices cpu")
        ids = list(range(gpu_count))
    else:
        try:
            ids = [int(part) for part in spec.split(",") if part.strip()]
        except ValueError:
            raise PhysError(f"--devices {devices!r} is not cpu, all, or GPU indices",
                            hint="e.g. --devices 0,1 or --devices all") from None
        if not ids or len(set(ids)) != len(ids):
            raise PhysError(f"--devices {devices!r} names no GPU or one twice", hint="e.g. --devices 0,1")
        missing = [i for i in ids if not 0 <= i < gpu_count]
        if missing:
            raise PhysError(f"GPU {missing[0]} does not exist ({gpu_count} visible)",
                            hint="see `phys doctor` for the devices of this machine")
    if len(ids) % ddp:
        raise PhysError(f"--ddp {ddp} does not divide the {len(ids)} GPU(s) of --devices",
                        hint="each data-parallel stage takes --ddp GPUs of its own")
    groups = [tuple(ids[i : i + ddp]) for i in range(0, len(ids), ddp)]
    return [Slot(f"gpu {','.join(map(str, g))}" + (f" #{k + 1}" if per_device > 1 else ""), g)
            for g in groups for k in range(per_device)]


def execution_device(execution: Execution, device: str) -> str:
    """The device type the run's stages use (it enters device-sensitive cache keys), checked against the
    executor; PhysError for a contradiction (e.g. GPUs requested with --device cpu)."""
    if execution.executor == "inline":
        from phys.core.environment import resolve_device

        return resolve_device(device)
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
    import shutil

    if execution.ddp > 1:
        for stage in plan.stages:
            batch = getattr(stage.config, "batch_size", None)
            if batch is not None and stage.data_parallel and batch % execution.ddp:
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


def seed_lanes(execution: Execution, seeds: int, gpu_count: int | None = None) -> list[Execution]:
    """How a run group's seeds share the machine, as one execution per lane (seed i runs in lane i mod
    lanes; a lane's seeds run in turn): local workers on GPUs give each lane its own --ddp GPUs (one seed per
    GPU by default); Slurm gives each seed its own lane (a driver of jobs the cluster schedules); anything
    else, the CPU included, is one lane: two trainings at once would share the cores, not gain. gpu_count: the
    GPUs visible (None: ask torch)."""
    import dataclasses

    if execution.executor == "slurm":
        return [execution] * seeds
    if execution.executor != "local" or execution.devices.strip().lower() == "cpu":
        return [execution]
    slots = local_slots(execution, gpu_count)
    gpus = list(dict.fromkeys(slot.gpus for slot in slots))  # --per-device repeats a GPU group: once each
    if len(gpus) < 2 or seeds < 2:
        return [execution]
    return [dataclasses.replace(execution, devices=",".join(map(str, group))) for group in gpus[:seeds]]


def local_slots(execution: Execution, gpu_count: int | None = None) -> list[Slot]:
    """The slots of a local execution; no --devices means every GPU, or the CPU on a machine without one.
    gpu_count: the GPUs visible (None: ask torch)."""
    devices, gpus = execution.devices.strip().lower(), 0
    if devices != "cpu":
        if gpu_count is None:
            import torch

            gpu_count = torch.cuda.device_count()
        gpus = gpu_count
    if not devices:
        devices = "all" if gpus else "cpu"
    return parse_devices(devices, execution.per_device, execution.ddp, gpus)


class Handle(Protocol):
    """A stage started somewhere: `poll()` is None while it runs, then `done`, `cached`, `interrupted`,
    `failed` or `crashed`; `stop()` asks it to checkpoint and stop, `kill()` ends it now."""

    where: str
    job_id: str | None
    pid: int | None

    def poll(self) -> str | None: ...
    def stop(self) -> None: ...
    def kill(self) -> None: ...
    def error(self) -> str | None: ...


class _Outcome:
    """The outcome a worker recorded in `workers/<stage>.json` for this attempt (none: it crashed)."""

    def __init__(self, run_dir: Path, stage: str) -> None:
        from phys.core.worker import outcome_path

        self.path = outcome_path(run_dir, stage)
        self.attempt = uuid.uuid4().hex  # an older attempt (an orphan) may still write the same file
        self.record: dict[str, Any] | None = None

    def read(self, how_it_ended: str) -> str:
        import json

        try:
            record = json.loads(self.path.read_text())
        except (OSError, ValueError):
            record = None
        if record is None or record.get("attempt") != self.attempt:
            record = {"outcome": "crashed", "error": f"the worker ended without recording an outcome ({how_it_ended}; "
                                                     "killed, out of memory, a lost node, or see the run's log)"}
        self.record = record
        return record["outcome"]


# Resolved in the runner, called in the child between fork and exec (where only async-signal-safe work belongs).
try:
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent() -> None:
    """SIGTERM the worker when the runner dies (PR_SET_PDEATHSIG), so no orphan keeps training."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)


class LocalHandle:
    def __init__(self, proc: subprocess.Popen, where: str, outcome: _Outcome) -> None:
        self.proc, self.where, self.outcome = proc, where, outcome
        self.pid: int | None = proc.pid
        self.job_id: str | None = None
        self._result: str | None = None

    def poll(self) -> str | None:
        if self._result is None and self.proc.poll() is not None:
            self._result = self.outcome.read(f"exit status {self.proc.returncode}")
        return self._result

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker leads its own group: torchrun and its ranks

    def error(self) -> str | None:
        return (self.outcome.record or {}).get("error")


class LocalExecutor:
    def __init__(self, runs_root: Path, run_id: str, log: Path) -> None:
        self.root, self.run_id, self.log = Path(runs_root), run_id, log

    def start(self, stage: str, slot: Slot, nproc: int) -> LocalHandle:
        worker = ["-m", "phys.core.worker", str(self.root), self.run_id, stage, "--device", slot.device,
                  "--where", slot.label]
        if nproc > 1:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
                   *worker]
        else:
            cmd = [sys.executable, *worker]
        # a driver itself started by torchrun must not pass its rank on
        env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
        if nproc > 1 and "OMP_NUM_THREADS" not in env:
            env[cpu.NOT_USER_OMP_ENV] = "1"  # torchrun's OMP_NUM_THREADS=1 must not fix the ranks' threads
        if slot.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, slot.gpus))
        outcome = _Outcome(self.root / self.run_id, stage)
        from phys.core.worker import ATTEMPT_ENV

        env[ATTEMPT_ENV] = outcome.attempt
        try:
            with open(self.log, "a") as log:
                # its own session: a Ctrl-C in the terminal reaches the runner, which stops the workers once
                proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise PhysError(f"could not start a worker for stage {stage}: {exc}", hint="see `phys doctor`") from None
        return LocalHandle(proc, slot.label, outcome)


class SubmititHandle:
    def __init__(self, job: Any, where: str, outcome: _Outcome) -> None:
        self.job, self.where, self.outcome = job, where, outcome
        self.job_id: str | None = str(job.job_id)
        self.pid: int | None = None
        self._result: str | None = None

    def poll(self) -> str | None:
        if self._result is None and self.job.done():
            self._result = self.outcome.read(f"job state {self.job.state}")
        return self._result

    def stop(self) -> None:
        if not self.job.done():
            self.job.cancel(check=False)

    def kill(self) -> None:
        self.stop()  # scancel: Slurm kills the job after its grace period

    def error(self) -> str | None:
        return (self.outcome.record or {}).get("error")


class SubmititExecutor:
    """One Slurm job per stage (submitit); `cluster="local"` is submitit's local executor."""

    def __init__(self, runs_root: Path, run_id: str, execution: Execution, cluster: str) -> None:
        try:
            import submitit
        except ImportError:
            raise PhysError(f"--executor {execution.executor} needs submitit",
                            hint="pip install submitit (or pip install 'phys[cluster]')") from None
        self.root, self.run_id, self.execution = Path(runs_root), run_id, execution
        self.folder = self.root / run_id / "jobs"
        self.executor = submitit.AutoExecutor(folder=str(self.folder), cluster=cluster)
        self.cluster = cluster

    def start(self, stage: str, slot: Slot, nproc: int) -> SubmititHandle:
        e = self.execution
        params: dict[str, Any] = {"timeout_min": e.time_min, "name": f"phys-{stage}", "tasks_per_node": nproc}
        if self.cluster == "slurm":
            params.update(slurm_partition=e.partition or None, gpus_per_node=max(e.gpus, nproc if e.gpus else 0),
                          slurm_signal_delay_s=120)
        self.executor.update_parameters(**{k: v for k, v in params.items() if v is not None})
        device = "cuda" if (self.cluster == "slurm" and e.gpus) else "cpu"
        outcome = _Outcome(self.root / self.run_id, stage)
        from phys.core.worker import slurm_job

        try:
            job = self.executor.submit(slurm_job, str(self.root), self.run_id, stage, device, slot.label,
                                       outcome.attempt)
        except Exception as exc:  # noqa: BLE001 - submitit's FailedJobSubmission, sbatch missing, …
            raise PhysError(f"could not submit stage {stage}: {type(exc).__name__}: {exc}",
                            hint="check the partition and `sbatch` on this machine (`phys doctor`)") from None
        return SubmititHandle(job, f"{slot.label} {job.job_id}", outcome)


def slurm_slots(execution: Execution) -> list[Slot]:
    kind = "slurm" if execution.executor == "slurm" else "local job"
    return [Slot(kind) for _ in range(max(1, execution.jobs))]
