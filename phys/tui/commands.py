"""The TUI's actions that start processes: it runs the same `phys` commands a user would type, in their own
process session, so a launched run outlives the TUI and the SSH connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from phys.errors import PhysError


def phys(root: Path, *args: str, timeout: float = 120) -> dict:
    """Run `phys --runs-dir ROOT ARGS… --json`; its JSON, or a PhysError carrying the CLI's own message."""
    cmd = [sys.executable, "-m", "phys", "--runs-dir", str(root), *args, "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")} | {"NO_COLOR": "1"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              start_new_session=True, env=env)
    except subprocess.TimeoutExpired:
        raise PhysError(f"`phys {' '.join(args)}` did not answer within {timeout:.0f} s",
                        hint="see `phys runs ls`: the run may have started anyway") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        message = next((ln[len("error: "):] for ln in lines if ln.startswith("error: ")), None)
        hint = next((ln[len("hint: "):] for ln in lines if ln.startswith("hint: ")), None)
        if message is None:  # not one of ours (a usage error, a crash): show all of it
            message = f"`phys {' '.join(args)}` exited {proc.returncode}: " + " ".join(lines)[-500:]
        raise PhysError(message, hint=hint)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise PhysError(f"`phys {' '.join(args)}` printed no JSON", hint=proc.stderr.strip()[-300:] or None) from None


def launch(root: Path, recipe: str, scale: str, overrides: list[str], seed: int, device: str) -> str:
    """`phys run recipe … --detach`: returns the new run's id."""
    args = ["run", "recipe", recipe, "--scale", scale, "--seed", str(seed), "--device", device, "--detach"]
    for item in overrides:
        args += ["--set", item]
    return phys(root, *args)["id"]


def resume(root: Path, run_id: str) -> str:
    return phys(root, "runs", "resume", run_id, "--detach")["id"]
