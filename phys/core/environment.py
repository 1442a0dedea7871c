"""Facts about where a run happens: git sha + dirty flag, package versions, host, devices.

torch is imported only by `resolve_device` / `default_scale`, which `phys run` needs anyway.
"""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

from phys.errors import PhysError

SOURCE_DIR = Path(__file__).resolve().parent.parent


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(SOURCE_DIR), *args], capture_output=True, text=True, timeout=5, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    sha = git("rev-parse", "HEAD")
    if sha is None:
        return {"sha": None, "dirty": None}
    return {"sha": sha, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("phys", "torch", "numpy", "tinydb", "typer", "textual"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def host() -> dict[str, Any]:
    import os

    return {"name": socket.gethostname(), "platform": platform.platform(), "cpus": os.cpu_count()}


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def default_scale() -> str:
    return "gpu" if cuda_available() else "cpu"


def resolve_device(device: str) -> str:
    """`auto` -> `cuda` if available else `cpu`; `cuda[:N]` must exist."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise PhysError(f"device {device!r} requested but CUDA is not available", hint="use --device cpu")
        suffix = device.split(":", 1)[1] if ":" in device else "0"
        if not suffix.isdigit():
            raise PhysError(f"unknown device {device!r}", hint="use cpu, cuda, cuda:N or auto")
        index = int(suffix)
        if index >= torch.cuda.device_count():
            raise PhysError(f"device {device!r} does not exist", hint=f"{torch.cuda.device_count()} GPU(s) visible")
        return device
    raise PhysError(f"unknown device {device!r}", hint="use cpu, cuda, cuda:N or auto")


