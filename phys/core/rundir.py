"""A run's own folder `runs/<run-id>/`: run.json, status.json, log.txt, metrics.jsonl, report.md, stages/.

The run directory is the source of truth (the ledger is rebuilt from it). Run ids are validated before
they become paths, so an id can never name anything outside `runs/`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from phys.errors import PhysError

RUN_ID_RE = re.compile(r"^\d{8}-\d{6}-[a-z][a-z0-9_]*-[a-z]+-[0-9a-f]{4}$")


def new_run_id(recipe: str, scale: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{recipe}-{scale}-{secrets.token_hex(2)}"


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunDir:
    def __init__(self, runs_root: Path, run_id: str) -> None:
        if not RUN_ID_RE.match(run_id):
            raise PhysError(f"{run_id!r} is not a run id", hint="see `phys runs ls`")
        self.id = run_id
        self.path = Path(runs_root) / run_id
        self.run_json = self.path / "run.json"
        self.status_json = self.path / "status.json"
        self.log = self.path / "log.txt"
        self.metrics = self.path / "metrics.jsonl"
        self.progress = self.path / "progress.json"
        self.heartbeat = self.path / "heartbeat"
        self.report = self.path / "report.md"
        self.stages = self.path / "stages"

    def write_info(self, run_info: dict[str, Any]) -> None:
        """Fill a freshly made run folder: run.json, empty log and metrics, stages/."""
        self.stages.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.run_json, run_info)
        self.log.touch()
        self.metrics.touch()

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.path / name).read_text())
        except (OSError, ValueError):  # missing, unreadable (someone else's folder) or half-written
            return None

    def info(self) -> dict[str, Any]:
        info = self.read("run.json")
        if info is None:
            raise PhysError(f"run {self.id}: run.json is missing or damaged", hint="see `phys ledger check`")
        return info

    def write_status(self, status: dict[str, Any]) -> None:
        write_json_atomic(self.status_json, status)

    def write_progress(self, record: dict[str, Any]) -> None:
        """progress.json (the latest of any stage) and progress/<stage>.json (each stage's own: stages that
        run at once, on workers, each keep theirs)."""
        write_json_atomic(self.progress, record)
        folder = self.path / "progress"
        folder.mkdir(exist_ok=True)
        write_json_atomic(folder / f"{record['stage']}.json", record)

    def stage_progress(self) -> dict[str, dict[str, Any]]:
        """Each stage's latest progress record, by stage name."""
        folder = self.path / "progress"
        records = (self.read(f"progress/{p.name}") for p in sorted(folder.glob("*.json"))) if folder.is_dir() else ()
        return {r["stage"]: r for r in records if r and "stage" in r}

    def append_log(self, line: str) -> None:
        with open(self.log, "a") as f:
            f.write(line.rstrip("\n") + "\n")

    def _metrics_lock(self) -> Any:
        """Stages computed in parallel (worker processes) append to one metrics.jsonl; a resuming one trims it."""
        from filelock import FileLock

        return FileLock(str(self.path / ".metrics.lock"))

    def append_metrics(self, record: dict[str, Any]) -> None:
        with self._metrics_lock(), open(self.metrics, "a") as f:
            f.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics.exists():
            return []
        out = []
        for line in self.metrics.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a kill -9 mid-write
        return out

    def trim_metrics(self, stage: str, after_step: int) -> None:
        """Drop `stage` records past `after_step`, so a resumed curve continues without a repeated stretch."""
        with self._metrics_lock():
            kept = [r for r in self.read_metrics() if not (r.get("stage") == stage and r.get("step", 0) > after_step)]
            tmp = self.metrics.with_name(f".metrics.jsonl.{os.getpid()}.tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
            os.replace(tmp, self.metrics)

    def link_stage(self, name: str, store_path: Path) -> None:
        link = self.stages / name
        target = os.path.relpath(store_path, self.stages)
        if link.is_symlink() or link.exists():
            link.unlink()
        try:
            link.symlink_to(target, target_is_directory=True)
        except OSError:  # filesystems without symlinks: a recorded pointer
            link.with_suffix(".path").write_text(str(store_path))
