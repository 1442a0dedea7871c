"""What the TUI shows, read from the ledger and the run folders: rows of the runs table, the view of one run,
the recipe list. Plain functions and readers of files and a clock, called from worker threads: no widgets,
no torch, nothing written.
"""

from __future__ import annotations

import datetime
import functools
import os
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from phys.machine import process
from phys.core import groups, runs
from phys.views.curves import Series, series
from phys.core.ledger import Ledger
from phys.views.format import human_duration
from phys.core.rundir import RunDir
from phys.spec import PARTS, Recipe

Clock = Callable[[], float]
FINISHED_STAGE = ("done", "cached")


@functools.lru_cache(maxsize=65536)
def parse_time(text: str | None) -> float | None:
    """The runner's local `YYYY-mm-ddTHH:MM:SS` -> epoch seconds (cached: the table asks every second)."""
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def human_age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@dataclass(frozen=True)
class RunRow:
    """One line of the runs table."""

    id: str
    recipe: str
    scale: str
    status: str
    progress: str
    verdict: str | None
    age: str
    duration: str
    group: bool = False
    """A run group's row (`--seeds`): its id is the group's, its status and verdict the group's."""

    @property
    def tag(self) -> str:
        """The id's random suffix: short, and with recipe, scale and age beside it, enough to tell runs apart."""
        return self.id.rsplit("-", 1)[-1]

    def matches(self, text: str) -> bool:
        """Every word of the filter appears in the id, recipe, scale, status or verdict."""
        hay = " ".join((self.id, self.recipe, self.scale, self.status, self.verdict or "")).lower()
        return all(word in hay for word in text.lower().split())


def progress_text(record: dict[str, Any], progress: dict[str, Any] | None) -> str:
    status = record["status"]
    if status in process.LIVE and progress and progress.get("total"):
        return f"{progress['stage']} {100 * progress['done'] // progress['total']}%"
    if status == "done":
        return "100%"
    stuck = [n for n, s in (record.get("stages") or {}).items() if s.get("status") not in FINISHED_STAGE]
    return f"at {stuck[0]}" if stuck else "—"


def run_row(root: Path, record: dict[str, Any], now: float) -> RunRow:
    """A ledger record (status already derived) -> its table row; reads progress.json of live runs only."""
    started, ended = parse_time(record.get("started")), parse_time(record.get("ended"))
    live = record["status"] in process.LIVE
    progress = RunDir(root, record["id"]).read("progress.json") if live else None
    duration = None if started is None else (now if live or ended is None else ended) - started
    return RunRow(
        id=record["id"], recipe=record.get("recipe", "?"), scale=record.get("scale", "?"), status=record["status"],
        progress=progress_text(record, progress), verdict=record.get("verdict"),
        age=human_age(now - (parse_time(record.get("created")) or now)), duration=human_duration(duration),
    )


def group_row(group_id: str, members: list[dict[str, Any]], now: float) -> RunRow:
    """A run group's one line: the group's status and verdict, how many seeds are done, from its first
    creation to its last end."""
    first = min(members, key=lambda r: r["id"])
    started = [t for t in (parse_time(r.get("started")) for r in members) if t is not None]
    ended = [t for t in (parse_time(r.get("ended")) for r in members) if t is not None]
    status = groups.status_of(members)
    live = status in process.LIVE
    duration = None if not started else (now if live or not ended else max(ended)) - min(started)
    done = sum(r["status"] == "done" for r in members)
    return RunRow(id=group_id, recipe=first.get("recipe", "?"), scale=first.get("scale", "?"), status=status,
                  progress=f"{done}/{len(members)} seeds", verdict=groups.judge_seeds(members)[0],
                  age=human_age(now - (parse_time(first.get("created")) or now)), duration=human_duration(duration),
                  group=True)


class RunsReader:
    """The runs table's data; rereads the ledger only when the file changed (2,000 runs parse in ~50 ms)."""

    def __init__(self, root: Path, clock: Clock = time.time) -> None:
        self.root = Path(root)
        self.clock = clock
        self._stamp: tuple[int, int, int] | None = None
        self._records: list[dict[str, Any]] = []

    def records(self) -> list[dict[str, Any]]:
        try:
            st = os.stat(self.root / "ledger.json")
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # every write replaces the file: a new inode
        except FileNotFoundError:
            stamp = None
        if stamp is None or stamp != self._stamp:
            self._records = Ledger(self.root).runs()  # PhysError when damaged or missing with run folders
            self._stamp = stamp
        # Status is derived on every read: a run whose process died turns `crashed` with no write at all.
        return sorted((runs.with_status(self.root, r) for r in self._records), key=lambda r: r["id"], reverse=True)

    def rows(self) -> list[RunRow]:
        """A row per run, newest first; a run group's runs as one row, where its newest run would be."""
        now = self.clock()
        records = self.records()
        members: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            if r.get("group"):
                members.setdefault(r["group"], []).append(r)
        rows, shown = [], set()
        for r in records:
            group = r.get("group")
            if group is None:
                rows.append(run_row(self.root, r, now))
            elif group not in shown:
                shown.add(group)
                rows.append(group_row(group, members[group], now))
        return rows


@dataclass
class RunView:
    """Everything the run screen shows, loaded in one go by a worker."""

    record: dict[str, Any]
    curves: Series
    new_log: list[str]
    """Log lines written since the previous load (the first load: the tail of the log)."""
    artifacts: list[tuple[str, int]]


class RunReader:
    """One run's files, read incrementally: metrics.jsonl from where the last read stopped."""

    LOG_LINES = 400

    def __init__(self, root: Path, run_id: str) -> None:
        self.root = Path(root)
        self.rd = RunDir(root, run_id)
        self._offset = 0
        self._metrics: list[dict[str, Any]] = []
        self._log_offset: int | None = None
        self._metrics_ino: int | None = None

    def metrics(self) -> list[dict[str, Any]]:
        import json

        try:
            st = self.rd.metrics.stat()
        except FileNotFoundError:
            return self._metrics
        if st.st_size < self._offset or st.st_ino != self._metrics_ino:  # a resume rewrote it: start over
            self._offset, self._metrics, self._metrics_ino = 0, [], st.st_ino
        with open(self.rd.metrics, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # only whole lines: the writer may be mid-line
        for line in chunk[:end].splitlines():
            try:
                self._metrics.append(json.loads(line))
            except ValueError:
                continue
        self._offset += end
        return self._metrics

    def new_log(self) -> list[str]:
        """Whole lines appended to log.txt since the last call; the first call starts at the last ~64 KB."""
        try:
            with open(self.rd.log, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                first = self._log_offset is None or size < self._log_offset
                start = max(0, size - 64_000) if first else self._log_offset
                f.seek(start)
                chunk = f.read()
        except FileNotFoundError:
            return []
        if first and start > 0:
            cut = chunk.find(b"\n") + 1  # drop the partial first line of the tail
            chunk, start = chunk[cut:], start + cut
        end = chunk.rfind(b"\n") + 1
        self._log_offset = start + end
        lines = chunk[:end].decode("utf-8", errors="replace").splitlines()
        return lines[-self.LOG_LINES:] if first else lines

    def artifacts(self) -> list[tuple[str, int]]:
        """Files of the run folder and of its stages' store folders, relative to the run folder, with sizes."""
        out: list[tuple[str, int]] = []
        if not self.rd.path.is_dir():
            return out
        for path in sorted(self.rd.path.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.name != "heartbeat":
                out.append((str(path.relative_to(self.rd.path)), path.stat().st_size))
        for link in sorted(self.rd.stages.iterdir()) if self.rd.stages.is_dir() else []:
            if link.is_dir():
                for path in sorted(link.iterdir()):
                    if path.is_file():
                        out.append((f"stages/{link.name}/{path.name}", path.stat().st_size))
        return out

    def load(self) -> RunView:
        record = runs.details(self.root, self.rd.id)  # its "plan": every stage, pending ones included
        return RunView(record=record, curves=series(self.metrics()), new_log=self.new_log(),
                       artifacts=self.artifacts())


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def parts(recipes: list[Recipe]) -> list[tuple[str, list[Recipe]]]:
    """Recipes grouped by paper part, parts in paper order: [("Part 3.2 — Knowledge manipulation", [...]), …]."""
    by_part: dict[str, list[Recipe]] = {}
    for r in sorted(recipes, key=lambda r: (r.part, r.name)):
        by_part.setdefault(r.part, []).append(r)
    return [(f"Part {p} — {PARTS.get(p, '')}".rstrip(" —"), rs) for p, rs in by_part.items()]


def measured_times(records: list[dict[str, Any]], recipe: str) -> dict[str, float]:
    """scale -> median wall seconds of this recipe's finished runs in this ledger."""
    by_scale: dict[str, list[float]] = {}
    for r in records:
        start, end = parse_time(r.get("started")), parse_time(r.get("ended"))
        if r.get("recipe") == recipe and r.get("status") == "done" and start is not None and end is not None:
            by_scale.setdefault(r["scale"], []).append(end - start)
    return {s: statistics.median(v) for s, v in by_scale.items()}


def last_verdict(records: list[dict[str, Any]], recipe: str) -> dict[str, Any] | None:
    done = [r for r in records if r.get("recipe") == recipe and r.get("verdict")]
    return max(done, key=lambda r: r["id"]) if done else None


def guess_scale() -> str:
    """The launch form's default scale without importing torch: `gpu` where an NVIDIA driver is present."""
    return "gpu" if shutil.which("nvidia-smi") or Path("/proc/driver/nvidia").exists() else "cpu"
