"""Where a run's lines, curves and progress go while it executes.

`UI` is what a shell shows (the CLI renders it with rich); `Reporter` is where a computing stage reports
(`phys.core.worker.compute_stage`). `FileReporter` writes a stage's reports into the run folder, with the
progress file rewritten at most once a second; `Quiet` reports nothing: the UI of a detached run and the
reporter of DDP ranks > 0 (rank 0 reports for all).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from phys.core.rundir import RunDir

PROGRESS_EVERY_S = 1.0
"""progress.json is rewritten at most this often (and at a stage's last step): readers poll it."""


class UI(Protocol):
    """What a shell shows while a run executes."""

    def log(self, line: str) -> None: ...
    def stage(self, name: str, state: str, detail: str = "") -> None: ...
    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None: ...


class Reporter(Protocol):
    """Where a computing stage's lines, curves and progress go."""

    def say(self, line: str) -> None: ...
    def metrics(self, values: dict[str, Any]) -> None: ...
    def trim_metrics(self, stage: str, step: int) -> None: ...
    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None: ...


class Quiet:
    """Shows and reports nothing (a `UI` and a `Reporter`)."""

    def log(self, line: str) -> None:
        pass

    def stage(self, name: str, state: str, detail: str = "") -> None:
        pass

    def say(self, line: str) -> None:
        pass

    def metrics(self, values: dict[str, Any]) -> None:
        pass

    def trim_metrics(self, stage: str, step: int) -> None:
        pass

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        pass


class FileReporter:
    """A stage's reports, straight into the run folder (appends are whole lines; metrics take a lock)."""

    def __init__(self, rd: RunDir) -> None:
        self.rd = rd
        self._last = 0.0

    def say(self, line: str) -> None:
        self.rd.append_log(f"[{time.strftime('%H:%M:%S')}] {line}")

    def metrics(self, values: dict[str, Any]) -> None:
        self.rd.append_metrics(values)

    def trim_metrics(self, stage: str, step: int) -> None:
        self.rd.trim_metrics(stage, step)

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        t = time.time()
        if t - self._last >= PROGRESS_EVERY_S or done >= total:
            self._last = t
            self.rd.write_progress({"stage": stage, "done": done, "total": total, **info, "t": t})
