"""The Textual app: it only routes — modes `recipes` and `runs`, screens pushed on top of them — and turns
a `PhysError` into a notification with the CLI's own text. `make_app` is used by `phys tui` and the tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from phys.errors import PhysError, describe
from phys.tui.data import Clock
from phys.tui.screens.recipes import RecipesScreen
from phys.tui.screens.runs import RunsScreen


class PhysApp(App):
    TITLE = "phys"
    CSS_PATH = "phys.tcss"
    MODES = {"recipes": RecipesScreen, "runs": RunsScreen}
    BINDINGS = [
        Binding("1", "switch_mode('recipes')", "Recipes"),
        Binding("2", "switch_mode('runs')", "Runs"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, root: Path, read_only: bool = False, clock: Clock = time.time, poll_s: float = 1.0) -> None:
        super().__init__()
        self.root = Path(root)
        self.read_only = read_only
        self.clock = clock
        self.poll_s = poll_s

    def on_mount(self) -> None:
        self.sub_title = f"{self.root}" + ("  (read-only)" if self.read_only else "")
        has_runs = (self.root / "ledger.json").exists()
        self.switch_mode("runs" if has_runs else "recipes")

    def show_error(self, exc: PhysError) -> None:
        self.notify(describe(exc), severity="error", timeout=10, markup=False)

    def open_run(self, run_id: str) -> None:
        from phys.tui.screens.run import RunScreen

        self.push_screen(RunScreen(run_id))

    def open_group(self, group_id: str) -> None:
        from phys.tui.screens.group import GroupScreen

        self.push_screen(GroupScreen(group_id))

    def open_compare(self, run_ids: list[str]) -> None:
        from phys.tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(run_ids))

    def open_report(self, written: dict[str, Any]) -> None:
        from phys.tui.screens.report import ReportScreen

        self.push_screen(ReportScreen(written))

    def launched(self, run_id: str | None) -> None:
        """The launch form's result: show the new run, on top of the runs table."""
        if run_id:
            self.notify(f"started {run_id}")
            self.switch_mode("runs")
            self.open_run(run_id)


def make_app(root: Path, read_only: bool = False, clock: Clock = time.time, poll_s: float = 1.0) -> PhysApp:
    return PhysApp(root, read_only=read_only, clock=clock, poll_s=poll_s)
