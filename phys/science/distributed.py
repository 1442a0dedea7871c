"""Data-parallel training across processes started by `torchrun`: who this process is, and the few
collectives `phys.science.train.train` needs.

One training stage spread over W processes trains exactly what one process would on the same global
batch: every rank reads the whole batch of a step (a pure function of seed and step), trains on its rows
`[r·B/W, (r+1)·B/W)`, and weights its loss by its share of the batch's targets, so DDP's gradient average
is the gradient of the global mean loss. Rank 0 alone writes checkpoints, metrics, progress and the
stage's outputs; the other ranks end with `FollowerDone` when training is over.

torch is imported by the functions that need it: `world()` reads the environment only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class FollowerDone(Exception):
    """Raised on ranks > 0 when training is over: the rest of the stage runs on rank 0 only."""


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def leader(self) -> bool:
        return self.rank == 0


def world() -> World:
    """This process's place in a torchrun job (RANK / WORLD_SIZE / LOCAL_RANK); one process otherwise."""
    return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                 int(os.environ.get("LOCAL_RANK", 0)))


def setup(device: str) -> str:
    """Join the process group (NCCL on CUDA, gloo on CPU) if there is one; the device this rank trains on."""
    import torch
    import torch.distributed as dist

    w = world()
    if w.size == 1:
        return device
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.set_device(w.local_rank)
        device = f"cuda:{w.local_rank}"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return device


def teardown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_sum(value: float, device: str) -> float:
    """The sum of `value` over all ranks (the value itself in one process)."""
    if world().size == 1:
        return value
    import torch
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item())


def any_rank(flag: bool, device: str) -> bool:
    """True on every rank if `flag` is true on any (e.g. one rank was asked to stop)."""
    return all_sum(float(flag), device) > 0


def barrier() -> None:
    if world().size > 1:
        import torch.distributed as dist

        dist.barrier()


def wrap(module: Any, device: str) -> Any:
    """`module` in DistributedDataParallel when there are several ranks, else unchanged."""
    if world().size == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[world().local_rank] if device.startswith("cuda") else None)
