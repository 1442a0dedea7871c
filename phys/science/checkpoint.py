"""Atomic training checkpoints: temp file + fsync + rename, the last two kept, loaded with weights_only.

A checkpoint holds the model, the optimizer, the step (which fixes the learning-rate schedule and the data
position, both pure functions of it) and every RNG state, so a resumed run continues bit-exactly on CPU.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

_NAME = re.compile(r"^ckpt-(\d{8})\.pt$")


def save_file(path: Path, obj: Any) -> None:
    """torch.save into a temp file, fsync, rename over `path`, fsync the folder: never half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save(folder: Path, step: int, state: dict[str, Any], keep: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ckpt-{step:08d}.pt"
    save_file(path, state)
    for old in checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def load_latest(folder: Path, map_location: str | torch.device = "cpu") -> dict[str, Any] | None:
    """The newest readable checkpoint (a damaged newest one falls back to the one before), or None."""
    for path in reversed(checkpoints(folder)):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except (RuntimeError, EOFError, OSError, ValueError):
            continue
    return None


def rng_state(device: str) -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if device.startswith("cuda"):
        state["cuda"] = torch.cuda.get_rng_state(torch.device(device))
    return state


def set_rng_state(state: dict[str, Any], device: str) -> None:
    torch.set_rng_state(state["torch"])
    if device.startswith("cuda") and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], torch.device(device))
