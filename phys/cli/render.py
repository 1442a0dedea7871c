"""Rich rendering shared by the commands: tables on stdout (or JSON with --json), messages and the live
run view on stderr."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from phys.views.report import progress_info

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

STATUS_STYLE = {"done": "green", "running": "cyan", "queued": "cyan", "crashed": "red", "failed": "red",
                "interrupted": "yellow", "cancelled": "dim"}
VERDICT_STYLE = {"reproduced": "bold green", "not reproduced": "bold red", "inconclusive": "yellow"}


def styled(text: str | None, styles: dict[str, str]) -> str:
    if not text:
        return "—"
    style = styles.get(text)
    return f"[{style}]{text}[/]" if style else text


class RichUI:
    """The foreground run view: a line per stage event and a progress bar for the running stage."""

    def __init__(self) -> None:
        self.bars = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[info]}"), TimeElapsedColumn(),  # the time left is the stage's own `eta`
            console=err, transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self._last_line = 0.0

    def __enter__(self) -> RichUI:
        if err.is_terminal:
            self.bars.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bars.stop()

    def log(self, line: str) -> None:
        self.bars.console.print(line, markup=False)

    def stage(self, name: str, state: str, detail: str = "") -> None:
        if state == "done" and name in self.tasks:
            self.bars.update(self.tasks[name], completed=self.bars.tasks[self.tasks[name]].total)

    def progress(self, stage: str, done: int, total: int, info: dict[str, Any]) -> None:
        text = progress_info(info)
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(stage, total=total, info=text)
        self.bars.update(self.tasks[stage], completed=done, total=total, info=text)
        if not err.is_terminal and (time.time() - self._last_line > 10 or done >= total):
            self._last_line = time.time()
            err.print(f"{stage}: {done}/{total} {text}", markup=False)
