"""Who is running a run: host, pid and the process start time, so a reused pid is never mistaken for it.

Status is derived, never trusted: a run recorded as `running` whose process is gone is `crashed`.
On another host the pid cannot be checked, so the run's heartbeat file decides.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

HEARTBEAT_EVERY_S = 5.0
HEARTBEAT_STALE_S = 60.0
LIVE = ("queued", "running")


def start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (Linux: field 22 of /proc/PID/stat), None where unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def identity() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "pid_start": start_time(pid)}


_HOST = socket.gethostname()  # asked once: `phys runs ls` derives the status of thousands of runs


def is_alive(record: dict[str, Any], heartbeat: Path | None = None) -> bool:
    pid, host = record.get("pid"), record.get("host")
    if host != _HOST or pid is None:
        if heartbeat is None:
            return False
        try:
            return time.time() - heartbeat.stat().st_mtime < HEARTBEAT_STALE_S
        except OSError:  # no heartbeat (yet, or its folder was just removed)
            return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = start_time(int(pid))
    if started is not None and record.get("pid_start") not in (None, started):
        return False  # the pid was reused by another process
    if started is not None and _is_zombie(int(pid)):
        return False
    return True


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def derive_status(record: dict[str, Any], heartbeat: Path | None = None) -> str:
    status = record.get("status", "unknown")
    if status in LIVE and not is_alive(record, heartbeat):
        return "crashed"
    return status
