"""The training loop: AdamW, linear warmup + cosine, gradient clipping, bf16 autocast where it helps,
atomic checkpoints and exact resume, on one process or data-parallel over several (`phys.science.distributed`).

Science code: it takes a config, documents, a folder and callbacks (`TrainHooks`), and knows nothing of
the ledger. Everything that decides the numbers — the batch at a step, the learning rate at a step, the
RNG — is a function of (seed, step) or lives in the checkpoint, so a run killed at any point and resumed
ends with the same weights as one never interrupted (bit-exact on CPU).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Protocol

import torch

from phys.science import checkpoint, distributed
from phys.machine import cpu
from phys.errors import StageInterrupted
from phys.errors import PhysError
from phys.science.data.packing import Docs, PackedStream
from phys.science.data.tokenizer import Tokenizer
from phys.science.model.gpt import GPT, GPTConfig
from phys.science.config import OptimConfig, TrainConfig


class TrainHooks(Protocol):
    def log(self, line: str) -> None: ...
    def metrics(self, **values: Any) -> None: ...
    def trim_metrics(self, step: int) -> None: ...
    def progress(self, done: int, total: int, **info: Any) -> None: ...
    def should_stop(self) -> bool: ...


PROGRESS_EVERY_S = 2.0


class _StepClock:
    """When to report progress (the first step, then every PROGRESS_EVERY_S seconds, and the last) and the
    time left: the mean wall time per step since the first step (probes and checkpoints included, as the
    user waits for them; the first step's one-off allocations left out). A window of recent steps instead
    jumped by a minute whenever a probe fell into it."""

    def __init__(self, start: int) -> None:
        self.start = (start, time.perf_counter())  # (steps done, time) before the first step
        self.first: tuple[int, float] | None = None  # ... and after it
        self.now = self.start
        self.last = 0.0
        self.rate: float | None = None  # tokens/s of the last logged window

    def due(self, done: int, total: int) -> bool:
        self.now = (done, time.perf_counter())
        if self.first is None:
            self.first, self.last = self.now, self.now[1]
            return True
        if done == total or self.now[1] - self.last >= PROGRESS_EVERY_S:
            self.last = self.now[1]
            return True
        return False

    def info(self, done: int, total: int, loss: float, batch_tokens: int) -> dict[str, Any]:
        past_first = self.first is not None and self.now[0] > self.first[0]
        (d0, t0), (d1, t1) = (self.first if past_first else self.start), self.now
        step_s = (t1 - t0) / max(1, d1 - d0)
        rate = self.rate if self.rate is not None else batch_tokens / max(step_s, 1e-9)
        info: dict[str, Any] = {} if math.isnan(loss) else {"loss": round(loss, 4)}
        return {**info, "tokens_per_s": round(rate), "eta_s": round(step_s * (total - done))}


def lr_at(cfg: OptimConfig, step: int) -> float:
    warmup = int(cfg.steps * cfg.warmup_frac)
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, cfg.steps - warmup)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def autocast_dtype(cfg: OptimConfig, device: str) -> torch.dtype | None:
    if cfg.precision == "fp32":
        return None
    if cfg.precision == "bf16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if cpu.auto_bf16() else None  # emulated bf16 is slower than fp32 (phys.machine.cpu)


def model_config(cfg: TrainConfig, vocab_size: int) -> GPTConfig:
    return GPTConfig(vocab_size=vocab_size, **cfg.model_fields())


def make_optimizer(model: GPT, cfg: TrainConfig, device: str) -> torch.optim.AdamW:
    trainable = [p for p in model.parameters() if p.requires_grad]  # LoRA: the adapters only
    decay = [p for p in trainable if p.dim() >= 2]
    no_decay = [p for p in trainable if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused: one kernel for the whole update, on CUDA and (torch >= 2.4) on CPU
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, fused=True)


def load_model(folder: Path, device: str = "cpu") -> GPT:
    """The trained model a `train` stage left in `folder` (model.json + model.pt)."""
    config = GPTConfig.load(json.loads((folder / "model.json").read_text()))
    model = GPT(config)
    model.load_state_dict(torch.load(folder / "model.pt", map_location=device, weights_only=True))
    return model.to(device).eval()


class LossOf(torch.nn.Module):
    """`model.loss` as a module's forward: DistributedDataParallel syncs the gradients of `forward` only."""

    def __init__(self, model: GPT) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.model.loss(x, y, mask)


def train_step(model: GPT, optimizer: torch.optim.Optimizer, loss_fn: Any, stream: PackedStream,
               cfg: TrainConfig, step: int, device: str, amp: torch.dtype | None,
               shard: tuple[int, int] = (0, 1)) -> tuple[torch.Tensor, int]:
    """One optimizer step on the batch of `step` at the learning rate of `step`; returns (loss, tokens).

    shard = (rank, world size): this process trains on its slice of the batch's rows, and its loss is
    weighted by its share of the batch's targets, so the gradient DDP averages over ranks is that of the
    whole batch's mean loss. The loss returned is this rank's term of that mean (summed over ranks: the
    batch's loss) as a 0-d tensor, so no step waits for the device; tokens are this rank's.
    """
    x, y, mask = stream.batch(step)  # (B, T) each
    rank, size = shard
    weight = 1.0
    if size > 1:
        rows = slice(rank * len(x) // size, (rank + 1) * len(x) // size)
        weight = float(mask[rows].sum()) / max(1, int(mask.sum()))  # this rank's share of the targets
        x, y, mask = x[rows], y[rows], mask[rows]
    x, y, mask = (torch.from_numpy(a).to(device, non_blocking=True) for a in (x, y, mask))
    for group in optimizer.param_groups:
        group["lr"] = lr_at(cfg, step)
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    with torch.autocast(device_type, dtype=amp or torch.float32, enabled=amp is not None):
        loss = loss_fn(x, y, mask)  # mean over this rank's targets
    if size > 1:
        (loss * (weight * size)).backward()  # DDP divides the summed gradients by `size`
        # rows without targets: their mean loss is NaN, their term of the batch's loss is 0
        loss = loss.detach() * weight if weight else torch.zeros_like(loss.detach())
    else:
        loss.backward()
    if cfg.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach(), x.numel()


def train(cfg: OptimConfig, docs: Docs | Callable[[int], Docs], tokenizer: Tokenizer, out: Path, seed: int, device: str,
          hooks: TrainHooks, probe: Callable[[GPT], dict[str, float]] | None = None, model: GPT | None = None,
          rates: dict[int, float] | None = None, export: Callable[[GPT], GPT] | None = None,
          pure_groups: bool = False) -> dict[str, Any]:
    """Train and save model.pt; `probe(model)` (if given) is logged every `cfg.eval_every` steps as curves.

    `docs`: the training documents, or `docs(e)` giving those of epoch e (data generated online).
    `cfg`: a `TrainConfig`, or any `OptimConfig` (a `FinetuneConfig`) with `model` given. A fresh
    GPT of `cfg`'s shape is trained unless `model` is given (finetuning starts from a pretrained one).
    `rates`: document group -> share of its documents in each epoch; `pure_groups`: one group per window
    (`PackedStream`).
    `export(model)`: the model saved as model.pt at the end (e.g. LoRA adapters merged into a plain GPT).

    Under torchrun every rank calls this with the same arguments (`phys.science.distributed`); rank 0 writes
    everything (the caller gives the other ranks silent hooks: `phys.core.worker`), the other ranks raise
    `FollowerDone` once training is over.
    """
    world = distributed.world()
    device = distributed.setup(device)
    if world.size > 1 and cfg.batch_size % world.size:
        raise PhysError(f"batch_size {cfg.batch_size} does not split over {world.size} processes",
                        hint=f"use a batch size divisible by {world.size}, or another --ddp")
    torch.manual_seed(seed)
    if device == "cpu":
        cpu.tune_for_training()  # flushed denormals, an allocator that keeps its pages (phys.machine.cpu)
    model = (model if model is not None else GPT(model_config(cfg, len(tokenizer)))).to(device)
    optimizer = make_optimizer(model, cfg, device)
    block_size = model.config.block_size
    stream = PackedStream(docs, block_size, cfg.batch_size, seed, tokenizer.eos_id, tokenizer.pad_id,
                          rates=rates or {}, pure_groups=pure_groups)
    ckpt_dir = out / "checkpoints"
    if (out / "result.json").exists() and (out / "model.pt").exists():
        if not world.leader:
            raise distributed.FollowerDone
        hooks.log("training had already finished; its result is reused")
        return json.loads((out / "result.json").read_text())
    start, window_loss, window_n = 0, 0.0, 0
    state = checkpoint.load_latest(ckpt_dir, map_location=device)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        checkpoint.set_rng_state(state["rng"], device)
        start = int(state["step"])
        # the checkpoint holds the whole batch's loss sum (all ranks'): rank 0 carries it on
        window_loss, window_n = float(state["window_loss"]) if world.leader else 0.0, int(state["window_n"])
        hooks.trim_metrics(start)
        hooks.log(f"resumed from the checkpoint at step {start}")
    amp = autocast_dtype(cfg, device)
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    compiled = cfg.compile == "on" or (cfg.compile == "auto" and device_type == "cuda")
    loss_fn = model.loss if world.size == 1 else distributed.wrap(LossOf(model), device)
    loss_fn = torch.compile(loss_fn) if compiled else loss_fn
    hooks.log(f"model {model.num_params() / 1e6:.2f}M params ({model.num_params(True) / 1e6:.2f}M non-embedding), "
              f"vocab {len(tokenizer)}, {stream.windows_per_epoch()} windows/epoch, precision "
              f"{'bf16' if amp else 'fp32'}{', compiled' if compiled else ''}"
              f"{', ' + cpu.plural(torch.get_num_threads(), 'thread') if device == 'cpu' else ''}"
              f"{f', data-parallel over {world.size} processes' if world.size > 1 else ''}")

    def save(step: int) -> None:  # every rank calls it at the same step; rank 0 writes
        loss_sum = distributed.all_sum(float(window_loss), device)  # the loss average being accumulated
        if world.leader:
            checkpoint.save(ckpt_dir, step, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                "rng": checkpoint.rng_state(device), "config": asdict(cfg),
                "window_loss": loss_sum, "window_n": window_n,
            })

    def stop_asked() -> bool:
        # every rank stops at the same step, so all checkpoint together: one tiny all-reduce per step
        return distributed.any_rank(hooks.should_stop(), device)

    model.train()
    t0, tokens = time.perf_counter(), 0
    loss_value = float("nan")
    clock = _StepClock(start)
    for step in range(start, cfg.steps):
        if stop_asked():
            save(step)
            raise StageInterrupted(f"stopped at step {step}")
        threads = cpu.rebalance() if device == "cpu" else None
        if threads is not None:
            hooks.log(f"{cpu.plural(threads, 'thread')} from now on: this process's share of {cpu.available_cores()} cores "
                      "among the phys processes running on this machine")
        loss, n_tokens = train_step(model, optimizer, loss_fn, stream, cfg, step, device, amp,
                                    (world.rank, world.size))
        window_loss = window_loss + loss.double()  # stays on the device: no step waits for it
        window_n += 1
        tokens += n_tokens * world.size
        done = step + 1
        if done % cfg.log_every == 0 or done == cfg.steps:
            elapsed = time.perf_counter() - t0
            loss_value = distributed.all_sum(float(window_loss), device) / window_n
            tok_s = tokens / elapsed
            hooks.metrics(step=done, loss=round(loss_value, 5), lr=lr_at(cfg, step), tokens_per_s=round(tok_s),
                          epoch=round(stream.epochs_at(step), 3))
            clock.rate = tok_s
            window_loss, window_n, t0, tokens = 0.0, 0, time.perf_counter(), 0
        if probe is not None and world.leader and cfg.eval_every and (done % cfg.eval_every == 0 or done == cfg.steps):
            t_probe = time.perf_counter()
            hooks.metrics(step=done, **probe(model))  # no randomness: a resumed run logs the same values
            t0 += time.perf_counter() - t_probe  # tokens/s counts training only
        if clock.due(done, cfg.steps):  # the first step, then every PROGRESS_EVERY_S, and the last
            hooks.progress(done, cfg.steps, **clock.info(done, cfg.steps, loss_value, n_tokens * world.size))
        if done % cfg.ckpt_every == 0 and done < cfg.steps:
            save(done)
    result = {
        "final_loss": loss_value,
        "params": model.num_params(),
        "params_non_embedding": model.num_params(non_embedding=True),
        "epochs": round(stream.epochs_at(cfg.steps - 1), 2),
        "train_tokens": cfg.steps * cfg.batch_size * block_size,
    }
    if not world.leader:
        raise distributed.FollowerDone
    # model.pt, then result.json (the "finished" marker), then the checkpoints go: a kill at any point
    # leaves either a resumable checkpoint or a finished model.
    final = export(model) if export is not None else model
    checkpoint.save_file(out / "model.pt", final.state_dict())
    (out / "model.json").write_text(json.dumps(asdict(final.config), indent=1))
    (out / "result.json").write_text(json.dumps(result, indent=1))
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    return result
