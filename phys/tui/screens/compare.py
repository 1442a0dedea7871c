"""The compare screen: two or more runs side by side — config differences, verdicts, checks and metrics."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from phys.core.compare import compare
from phys.errors import PhysError
from phys.views.format import fmt
from phys.tui.widgets import styles


class CompareScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        yield Static(Text(f"comparing {len(self.run_ids)} runs", style="bold"), id="compare-title")
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, group="poll")
    def load(self) -> None:
        try:
            data = compare(self.app.root, self.run_ids)
        except PhysError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        self.app.call_from_thread(self.show, data)

    def show(self, data: dict) -> None:
        table = self.query_one("#compare", DataTable)
        table.add_column("", key="key")
        for r in data["runs"]:
            table.add_column(f"{r['id'].rsplit('-', 1)[-1]} {r['scale']}", key=r["id"])
        table.add_row(Text("recipe", style="bold"), *[r["recipe"] for r in data["runs"]])
        table.add_row(Text("status", style="bold"), *[styles.status(r["status"]) for r in data["runs"]])
        table.add_row(Text("verdict", style="bold"), *[styles.verdict(r["verdict"]) for r in data["runs"]])
        for key, values in data["config"].items():
            table.add_row(Text(key, style="cyan"), *[fmt(v) for v in values])
        table.add_row(Text(f"({data['same']} settings the same)", style="dim"), *[""] * len(data["runs"]))
        for metric, checks in data["checks"].items():
            table.add_row(Text(metric, style="bold"),
                          *[Text("—") if c is None else Text(f"{fmt(c['measured'])} ") + styles.passed(c)
                            for c in checks])
        for key, values in data["metrics"].items():
            if key not in data["checks"]:
                table.add_row(Text(key, style="dim"), *[fmt(v) for v in values])
        self.query_one("#compare-title", Static).update(
            Text("comparing " + ", ".join(r["id"] for r in data["runs"]), style="bold", overflow="fold"))
        table.focus()
