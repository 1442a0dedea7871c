"""Training throughput of one model shape on this machine: phys's own training step on uniform random tokens
for about `seconds` (warm-up excluded), from the median step. What `phys doctor` reports, and what `phys recipes check` turns into
a time estimate (`phys.core.budget`)."""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass

from phys.machine import cpu
from phys.science.config import TrainConfig


@dataclass(frozen=True)
class Throughput:
    tokens_per_s: float
    steps: int
    params: int
    precision: str
    """bf16 or fp32: what `precision=auto` chose here."""
    threads: int
    steal: float | None
    """The share of CPU time the host took meanwhile (a VM's steal), where /proc/stat tells."""


def measure(cfg: TrainConfig, vocab_size: int, device: str, seconds: float) -> Throughput:
    """Tokens/s of `cfg`'s model shape, batch and window on `device`, over about `seconds`."""
    import torch

    from phys.science.data.packing import RandomStream
    from phys.science.model.gpt import GPT, GPTConfig
    from phys.science.train import autocast_dtype, make_optimizer, train_step

    torch.manual_seed(0)
    if device == "cpu":
        cpu.tune_for_training()
    model = GPT(GPTConfig(vocab_size=vocab_size, **cfg.model_fields())).to(device)
    optimizer = make_optimizer(model, cfg, device)
    amp = autocast_dtype(cfg, device)
    stream = RandomStream(cfg.batch_size, cfg.block_size, vocab_size)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with cpu.Share() if device == "cpu" else contextlib.nullcontext():  # the probe takes its share, as a training
        for step in range(2):  # warm-up: first-call allocations
            train_step(model, optimizer, model.loss, stream, cfg, step, device, amp)
        sync()
        t0, step_times, times0 = time.perf_counter(), [], cpu.cpu_times()
        while time.perf_counter() - t0 < seconds or len(step_times) < 3:
            start = time.perf_counter()
            train_step(model, optimizer, model.loss, stream, cfg, len(step_times), device, amp)
            sync()
            step_times.append(time.perf_counter() - start)
    # The median step: a stall of the machine (seconds-long ones were seen on a 2-core VM, 90× a tiny model's
    # step) would otherwise set a shape's rate, kept in throughput.json, for good.
    step = statistics.median(step_times)
    return Throughput(cfg.batch_size * cfg.block_size / step, len(step_times), model.num_params(),
                      "bf16" if amp else "fp32", torch.get_num_threads(), cpu.steal_share(times0, cpu.cpu_times()))
