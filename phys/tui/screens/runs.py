"""The runs screen: every run, newest first, live (derived status, progress, verdict, age, duration), with a
filter; Enter opens a run, Space marks runs to compare."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

from phys.errors import PhysError, describe
from phys.tui.data import RunRow, RunsReader
from phys.tui.screens.polling import PollingScreen
from phys.tui.widgets import styles

# Content widths; each column gets one more for the gap (cell padding 0), 77 in all, which leaves room for the
# scrollbar at 80 columns. Fixed widths also spare the table from measuring 2,000 rows before its first paint.
COLUMNS = {"id": 5, "recipe": 14, "scale": 5, "status": 11, "progress": 11, "verdict": 14, "age": 4, "took": 5}


def cells(row: RunRow, marked: bool) -> tuple[Text, ...]:
    values = (Text(f"•{row.tag}", style="bold reverse") if marked else Text(f" {row.tag}"), Text(row.recipe), Text(row.scale),
              styles.status(row.status), Text(row.progress), styles.verdict(row.verdict), Text(row.age),
              Text(row.duration))
    for text, width in zip(values, COLUMNS.values()):
        text.truncate(width, overflow="ellipsis")
    return values


FIRST_ROWS, CHUNK_ROWS = 60, 400


class RunsScreen(PollingScreen):
    BINDINGS = [
        Binding("enter", "open", "Open", show=True),
        Binding("slash", "filter", "Filter"),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("escape", "clear_filter", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRow] = []
        self.marked: list[str] = []
        self._shown: dict[str, RunRow] = {}
        self._shown_ids: list[str] = []
        self._generation = 0
        self._cursor_target: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: words of recipe, status, scale, verdict   (/ to type, Esc to clear)",
                    id="filter", compact=True)
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="runs-summary")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        for col, width in COLUMNS.items():
            table.add_column(col, key=col, width=width + 1)
        self.reader = RunsReader(self.app.root, self.app.clock)
        self.start_polling()
        table.focus()

    # ---- data --------------------------------------------------------------------------------------------
    def read(self) -> list[RunRow]:
        return self.reader.rows()

    def show(self, rows: list[RunRow]) -> None:
        self.rows = rows
        known = {r.id for r in self.rows}
        self.marked = [m for m in self.marked if m in known]  # a removed run cannot stay marked
        self.show_rows()

    def show_failure(self, error: PhysError) -> None:
        self.query_one("#runs-summary", Static).update(Text(describe(error).replace("\n", "  "), style="red"))

    def show_rows(self) -> None:
        table = self.query_one("#runs", DataTable)
        text = self.query_one("#filter", Input).value
        visible = [r for r in self.rows if r.matches(text)] if text.strip() else self.rows
        ids = [r.id for r in visible]
        if ids == self._shown_ids and table.row_count == len(ids):
            for r in visible:  # same runs in the same order: touch only the cells that changed
                old = self._shown[r.id]
                if old != r:
                    for col, new, before in zip(COLUMNS, cells(r, r.id in self.marked), cells(old, r.id in self.marked)):
                        if new != before:
                            table.update_cell(r.id, col, new)
        else:
            self._cursor_target = self.current_id()
            table.clear()
            self._generation += 1
            self.add_rows(visible, self._generation)
        self._shown = {r.id: r for r in visible}
        self._shown_ids = ids
        summary = (f"{len(visible)} of " if text.strip() else "") + f"{len(self.rows)} run{'' if len(self.rows) == 1 else 's'}"
        if not self.rows:
            summary = "no runs yet: press 1 for the recipes, pick one and press l to launch it"
        elif self.marked:
            summary += f"   marked for compare: {len(self.marked)} (c to compare)"
        if self.app.read_only:
            summary += "   (read-only)"
        self.query_one("#runs-summary", Static).update(Text(summary, style="dim"))

    def add_rows(self, rows: list[RunRow], generation: int) -> None:
        """Add rows a screenful first, then in chunks between refreshes: the table measures every cell it
        holds, and 2,000 runs at once would hold the first paint back by ~0.3 s on a slow machine."""
        if generation != self._generation:
            return  # a newer rebuild started
        table = self.query_one("#runs", DataTable)
        start = table.row_count
        chunk = rows[start:start + (FIRST_ROWS if start == 0 else CHUNK_ROWS)]
        for r in chunk:
            table.add_row(*cells(r, r.id in self.marked), key=r.id)
        ids = [r.id for r in rows]
        if self._cursor_target in ids[start:start + len(chunk)]:
            table.move_cursor(row=ids.index(self._cursor_target), animate=False)
            self._cursor_target = None
        if table.row_count < len(rows):
            self.call_after_refresh(self.add_rows, rows, generation)

    def current_id(self) -> str | None:
        """The run under the cursor (while a fill has not reached the remembered run yet: that run)."""
        table = self.query_one("#runs", DataTable)
        if self._cursor_target is not None:
            return self._cursor_target
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # ---- actions -----------------------------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.show_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#runs", DataTable).focus()

    @on(DataTable.RowSelected, "#runs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.open(event.row_key.value)

    def action_open(self) -> None:
        run_id = self.current_id()
        if run_id:
            self.open(run_id)

    def open(self, row_id: str) -> None:
        """A run's screen, or a run group's (its seeds, each of which opens)."""
        row = self._shown.get(row_id)
        if row is not None and row.group:
            self.app.open_group(row_id)
        else:
            self.app.open_run(row_id)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#runs", DataTable).focus()

    def action_mark(self) -> None:
        run_id = self.current_id()
        if run_id is None:
            return
        if self._shown[run_id].group:
            self.app.show_error(PhysError("a run group cannot be compared as one run",
                                          hint="open it with Enter: it shows every seed side by side"))
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        row = self._shown[run_id]
        self.query_one("#runs", DataTable).update_cell(run_id, "id", cells(row, run_id in self.marked)[0])
        self.show_rows()

    def action_compare(self) -> None:
        ids = list(self.marked)
        current = self.current_id()
        if len(ids) == 1 and current and current not in ids and not self._shown[current].group:
            ids.append(current)
        if len(ids) < 2:
            self.app.show_error(PhysError("compare needs at least two runs",
                                          hint="mark runs with Space, then press c"))
            return
        self.app.open_compare(ids)
