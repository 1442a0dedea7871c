"""`phys doctor`: what this machine gives phys — the torch build, CPU and GPUs, free disk, the ledger's
health, the executors at hand — and a short training-throughput probe on the default device.

Each finding is a `Finding(area, name, value, level)` with level ok / warn / fail; a `fail` makes the
command exit 1. The probe trains the cpu scale's model shape (4 layers x 128, 128-token windows, batch 32)
on random tokens with phys's own training step for about `seconds` seconds.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from phys.machine import cpu
from phys.core.ledger import Ledger

MIN_FREE_GB = 5.0
# The probe's tokens/s per thread on a 2-core machine of our kind, rounded down from the slower kind
# measured: fp32 on an Intel Xeon (Ice Lake) without native bf16, 8,987 tokens/s on 2 threads (4,242
# when the host took CPU time from the machine); bf16 on an AMD EPYC with native bf16, where training
# ran at about 31,000 tokens/s on 2 threads. Below SLOW of it the probe warns: the 922 tokens/s
# probe, called ok before, is a tenth of it.
PROBE_TOKENS_PER_CORE = {"bf16": 12_000, "fp32": 4_500}
SLOW = 0.5
STEAL_WARN = 0.05  # a share of CPU time stolen by a VM's host during the probe that makes its figure unreliable


@dataclass(frozen=True)
class Finding:
    area: str
    name: str
    value: str
    level: Literal["ok", "warn", "fail"] = "ok"
    """fail: phys cannot work here (exit 1); warn: it works, slower or with less."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def torch_findings() -> list[Finding]:
    import torch


    cuda = torch.version.cuda
    cores, live = cpu.available_cores(), cpu.live_processes(cpu.registry())
    fixed = cpu.fixed_threads()
    threads = (f"{fixed} threads per training (fixed by {cpu.THREADS_ENV} or OMP_NUM_THREADS)" if fixed else
               f"a training takes {cores} / (phys processes running) threads: {cpu.share_of(cores, live + 1)} if "
               f"one starts now ({live} running)")
    forced = os.environ.get(cpu.BF16_ENV, "").strip() in ("0", "1")
    bf16 = ("yes: precision=auto trains in bf16" if cpu.auto_bf16()
            else "yes, but slower than fp32 on an Intel CPU without AMX: precision=auto trains in fp32"
            if cpu.hardware_bf16() and not forced
            else "no: precision=auto trains in fp32" if forced
            else "no: precision=auto trains in fp32 (bf16 would be emulated, slower)")
    out = [Finding("torch", "version", torch.__version__),
           Finding("torch", "build", f"CUDA {cuda}" if cuda else "CPU only"),
           Finding("cpu", "cores", f"{cores} available to phys; {threads}"),
           Finding("cpu", "native bf16", bf16 + (f" (forced by {cpu.BF16_ENV})" if forced else "")),
           load_finding(cores)]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            try:
                p = torch.cuda.get_device_properties(i)
                free, total = torch.cuda.mem_get_info(i)
            except RuntimeError as exc:  # a GPU that is visible but unusable (busy, lost, driver mismatch)
                out.append(Finding("gpu", f"cuda:{i}", f"unusable: {exc}".splitlines()[0], "fail"))
                continue
            out.append(Finding("gpu", f"cuda:{i}", f"{p.name}, {total / 2**30:.0f} GiB ({free / 2**30:.0f} free), "
                                                   f"compute {p.major}.{p.minor}"))
        out.append(Finding("gpu", "bf16", "yes" if torch.cuda.is_bf16_supported() else "no",
                           "ok" if torch.cuda.is_bf16_supported() else "warn"))
    else:
        out.append(Finding("gpu", "cuda", "no GPU visible: runs default to the cpu scale",
                           "warn" if cuda else "ok"))
    out.append(Finding("executors", "torchrun (DDP)",
                       "available" if torch.distributed.is_available() else "torch.distributed missing",
                       "ok" if torch.distributed.is_available() else "warn"))
    return out


def load_finding(cores: int) -> Finding:
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return Finding("cpu", "load", "unknown on this system")
    warning = cpu.load_warning(cores)
    return Finding("cpu", "load", warning or f"{load:.1f} over the last minute, on {cores} cores",
                   "warn" if warning else "ok")


def executor_findings() -> list[Finding]:
    submitit = importlib.util.find_spec("submitit") is not None
    sbatch = shutil.which("sbatch")
    return [Finding("executors", "submitit", "installed" if submitit else "not installed: pip install submitit "
                                                                           "for --executor slurm",
                    "ok" if submitit else "warn"),
            Finding("executors", "slurm", f"sbatch at {sbatch}" if sbatch else "no sbatch on PATH")]


def disk_findings(runs_root: Path) -> list[Finding]:
    probe = Path(runs_root)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_gb = usage.free / 2**30
    return [Finding("disk", "free", f"{free_gb:.1f} GiB of {usage.total / 2**30:.0f} GiB at {probe}",
                    "ok" if free_gb >= MIN_FREE_GB else "warn")]


def ledger_findings(runs_root: Path) -> list[Finding]:
    ledger = Ledger(runs_root)
    state = ledger.state()
    if state == "empty":
        return [Finding("ledger", "state", f"no runs yet in {runs_root}")]
    if state in ("missing", "damaged"):
        return [Finding("ledger", "state", f"{state}: run `phys ledger rebuild`", "fail")]
    from phys.core.runs import list_runs

    runs = list_runs(runs_root)
    statuses: dict[str, int] = {}
    for record in runs:
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    return [Finding("ledger", "state", f"ok: {len(runs)} runs ({summary}); full audit: `phys ledger check`")]


def throughput_probe(seconds: float, device: str, runs_root: Path | None = None) -> Finding:
    """Tokens/s of phys's training step at the cpu scale's model shape, over about `seconds`; remembered in
    an existing runs folder for `phys recipes check`'s time estimates (`phys.core.budget`)."""
    from phys.core.budget import DEFAULT_VOCAB, remember
    from phys.science.throughput import measure
    from phys.stages.train import TrainConfig

    cfg = TrainConfig(steps=10**6)
    m = measure(cfg, DEFAULT_VOCAB, device, seconds)
    if runs_root is not None and Path(runs_root).is_dir():
        remember(runs_root, cfg, DEFAULT_VOCAB, device, m.tokens_per_s)
    rate, steal, precision = m.tokens_per_s, m.steal, m.precision
    value = (f"{rate:,.0f} tokens/s ({m.params / 1e6:.1f}M-param model, {precision}, {m.steps} steps"
             f"{', ' + cpu.plural(m.threads, 'thread') if device == 'cpu' else ''})")
    if device != "cpu":
        return Finding("throughput", f"training on {device}", value)
    if steal is not None and steal >= STEAL_WARN:
        return Finding("throughput", "training on cpu", f"{value}: the host took {steal:.0%} of this machine's "
                       "CPU time meanwhile (steal): timings here are slower and vary", "warn")
    if precision == "bf16" and not cpu.hardware_bf16():
        return Finding("throughput", "training on cpu", f"{value}; bf16 forced by {cpu.BF16_ENV} on a CPU "
                       "without it (emulated): not judged")
    expected = PROBE_TOKENS_PER_CORE[precision] * min(m.threads, cpu.available_cores())
    if rate < SLOW * expected:
        why = cpu.load_warning() or "the machine is not loaded: a slower or throttled CPU"
        return Finding("throughput", "training on cpu", f"{value}: slow, {rate / expected:.2f}x the {expected:,} "
                       f"tokens/s of an idle machine of our kind at this thread count; {why}", "warn")
    return Finding("throughput", "training on cpu", value)


def diagnose(runs_root: Path, probe_seconds: float) -> list[Finding]:
    findings = [*torch_findings(), *executor_findings(), *disk_findings(runs_root), *ledger_findings(runs_root)]
    if probe_seconds > 0:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            findings.append(throughput_probe(probe_seconds, device, runs_root))
        except RuntimeError as exc:  # e.g. out of GPU memory on a shared machine
            findings.append(Finding("throughput", f"training on {device}", f"failed: {exc}".splitlines()[0], "fail"))
    return findings
