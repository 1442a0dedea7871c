"""The run group screen (`--seeds`): the verdict over seeds, every seed's run (Enter opens it), and per check
each seed's value, their mean and how many seeds pass; reread every `app.poll_s` while seeds still run."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from phys.core.groups import summary
from phys.tui.screens.polling import PollingScreen
from phys.tui.widgets import styles
from phys.views.format import fmt


CHECK_WIDTH = 26


def mark(check: dict[str, Any], seed: str) -> Text:
    """✓ or ✗ for one seed's value of a check (a failed sanity check in yellow: that seed could not judge)."""
    if check["passed"][seed]:
        return Text("✓", style="green")
    return Text("✗", style="yellow" if check["role"] == "sanity" else "bold red")


class GroupScreen(PollingScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("enter", "open", "Open seed", show=True)]

    def __init__(self, group_id: str) -> None:
        super().__init__()
        self.group_id = group_id
        self._shape: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(Text(self.group_id, style="bold"), id="group-title")
        yield DataTable(id="group-seeds", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="group-checks", cursor_type="none", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.start_polling()
        self.query_one("#group-seeds", DataTable).focus()

    def read(self) -> dict[str, Any]:
        return summary(self.app.root, self.group_id)

    def show(self, group: dict[str, Any]) -> None:
        title = Text.assemble((f"{group['id']}\n", "bold"), f"{group['recipe']} @ {group['scale']}, seeds "
                              f"{', '.join(map(str, group['seeds']))}   ", styles.status(group["status"]), "   ",
                              styles.verdict(group["verdict"]))
        self.query_one("#group-title", Static).update(title)
        seeds = self.query_one("#group-seeds", DataTable)
        shape = tuple(r["id"] for r in group["runs"])
        if shape != self._shape:  # the seeds' runs: built once, then their cells updated
            self._shape = shape
            seeds.clear(columns=True)
            for col in ("seed", "run", "status", "verdict"):
                seeds.add_column(col, key=col)
            for r in group["runs"]:
                seeds.add_row(str(r["seed"]), r["id"], styles.status(r["status"]), styles.verdict(r["verdict"]),
                              key=r["id"])
        else:
            for r in group["runs"]:
                seeds.update_cell(r["id"], "status", styles.status(r["status"]))
                seeds.update_cell(r["id"], "verdict", styles.verdict(r["verdict"]))
        checks = self.query_one("#group-checks", DataTable)
        checks.clear(columns=True)
        names = [str(s) for s in group["seeds"]]
        checks.add_column("check", width=CHECK_WIDTH)  # 80 columns hold three seeds, the mean and the count
        for col in (*(f"seed {s}" for s in names), "mean", "held"):
            checks.add_column(col)
        for c in group["checks"]:
            cells = [Text("—") if c["values"].get(s) is None else Text(f"{fmt(c['values'][s])} ") + mark(c, s)
                     for s in names]
            name = Text(c["name"] + (" (sanity)" if c["role"] == "sanity" else ""))
            name.truncate(CHECK_WIDTH, overflow="ellipsis")
            checks.add_row(name, *cells, fmt(c["mean"]), f"{c['passes']}/{c['seeds']}")

    @on(DataTable.RowSelected, "#group-seeds")
    def _seed_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_run(event.row_key.value)

    def action_open(self) -> None:
        seeds = self.query_one("#group-seeds", DataTable)
        if seeds.row_count:
            self.app.open_run(seeds.coordinate_to_cell_key(seeds.cursor_coordinate).row_key.value)
