"""The run screen: stages (status, progress, cache hits, durations), checks (claim, measured, threshold,
paper, pass/fail), live curves, the log tail and the files; actions resume, cancel and report."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, RichLog, Static, TabbedContent, TabPane

from phys.core import launch
from phys.views.curves import panels
from phys.errors import PhysError, as_phys_error
from phys.views.format import fmt, label, progress_info
from phys.tui import commands
from phys.tui.data import RunReader, RunView, human_size
from phys.tui.widgets import styles
from phys.tui.screens.polling import PollingScreen
from phys.tui.widgets.plot import Plot


class RunScreen(PollingScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "next_curve", "Next curve"),
        Binding("r", "resume", "Resume"),
        Binding("x", "cancel_run", "Cancel run"),
        Binding("p", "report", "Report"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.reader: RunReader | None = None
        self.view: RunView | None = None
        self.curve_index = 0
        self._artifacts: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Static(self.run_id, id="run-title")
        with TabbedContent(id="run-tabs"):
            with TabPane("Overview", id="tab-overview"):
                with VerticalScroll():
                    yield DataTable(id="stages", cursor_type="row", show_cursor=False)
                    yield DataTable(id="checks", cursor_type="row", show_cursor=False)
                    yield Static("", id="run-error")
            with TabPane("Curves", id="tab-curves"):
                yield Plot(id="plot")
                yield Static("", id="curve-name")
            with TabPane("Log", id="tab-log"):
                yield RichLog(id="log", max_lines=2000, wrap=True, markup=False, highlight=False)
            with TabPane("Files", id="tab-files"):
                yield DataTable(id="files", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.reader = RunReader(self.app.root, self.run_id)
        self.query_one("#stages", DataTable).add_columns("stage", "status", "progress", "cache", "took", "where")
        self.query_one("#checks", DataTable).add_columns("check", "measured", "need", "ok", "paper")
        self.query_one("#files", DataTable).add_columns("file", "size")
        self.start_polling()

    # ---- data --------------------------------------------------------------------------------------------
    def read(self) -> RunView:
        return self.reader.load()

    def show(self, view: RunView) -> None:
        status_changed = self.view is None or self.view.record.get("status") != view.record.get("status")
        self.view = view
        if status_changed:
            self.refresh_bindings()
        record = view.record
        self.query_one("#run-title", Static).update(self.title_text(record))
        self.show_stages(view)
        self.show_checks(record)
        error = record.get("error")
        self.query_one("#run-error", Static).update(Text(f"error: {error}", style="red") if error else "")
        self.show_curve()
        log = self.query_one("#log", RichLog)
        for line in view.new_log:
            log.write(Text(line))
        if view.artifacts != self._artifacts:
            self._artifacts = view.artifacts
            files = self.query_one("#files", DataTable)
            files.clear()
            for path, size in view.artifacts:
                files.add_row(path, human_size(size))

    def title_text(self, record: dict) -> Text:
        text = Text.assemble(
            (record["recipe"], "bold"), f" @ {record['scale']}  seed {record['seed']}  {record.get('device')}  ",
            styles.status(record["status"]), "  ", styles.verdict(record.get("verdict")),
        )
        text.append(f"\n{record['id']}", style="dim")
        if self.app.read_only:
            text.append("  (read-only)", style="yellow")
        return text

    def show_stages(self, view: RunView) -> None:
        table = self.query_one("#stages", DataTable)
        stages = view.record.get("stages") or {}
        latest = view.record.get("progress") or {}
        per_stage = view.record.get("stage_progress") or {}
        table.clear()
        for name in view.record.get("plan") or list(stages):
            s = stages.get(name, {})
            status = s.get("status", "pending")
            done = ""
            progress = per_stage.get(name) or (latest if latest.get("stage") == name else {})
            if status == "running" and progress.get("total"):
                done = f"{progress['done']}/{progress['total']}"
                extra = progress_info(progress)
                done += f"  {extra}" if extra else ""
            elif status in ("done", "cached"):
                done = "100%"
            cache = "hit" if s.get("cached") else ("" if status == "pending" else "miss")
            took = f"{s['seconds']:.1f}s" if isinstance(s.get("seconds"), (int, float)) else ""
            where = s.get("where", "")  # the GPU, CPU share or Slurm job of a stage run by a worker
            if s.get("job") and str(s["job"]) not in where:
                where = f"{where} job {s['job']}".strip()
            table.add_row(name, styles.status(status if status != "cached" else "done"), done, cache, took, where)

    def show_checks(self, record: dict) -> None:
        table = self.query_one("#checks", DataTable)
        table.clear()
        checks = record.get("checks") or []
        if not checks:
            table.add_row(Text("checks are judged when the run finishes", style="dim"), "", "", "", "")
        for c in checks:
            name = Text(label(c)) + (Text(" (sanity)", style="dim") if c["role"] == "sanity" else Text(""))
            table.add_row(name, fmt(c["measured"]), f"{c['op']} {fmt(c['threshold'])}", styles.passed(c), c["paper"])

    def show_curve(self) -> None:
        views = panels(self.view.curves) if self.view else []
        if not views:
            self.query_one("#plot", Plot).show({}, "no curves yet")
            self.query_one("#curve-name", Static).update(Text("training logs its loss every log_every steps",
                                                               style="dim"))
            return
        i = self.curve_index % len(views)
        name, group = views[i]
        self.query_one("#plot", Plot).show(group, name)
        self.query_one("#curve-name", Static).update(
            Text(f"({i + 1}/{len(views)}, m: next) {name}: {', '.join(group)}", style="dim", overflow="ellipsis",
                 no_wrap=True))

    # ---- actions -----------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume and cancel leave the footer while the run's status refuses them (a finished run offers
        neither); before the first poll both show."""
        status = self.view.record.get("status") if self.view else None
        if status is None:
            return True
        if action == "resume":
            return status in launch.RESUMABLE
        if action == "cancel_run":
            return status not in ("done", "cancelled")
        return True

    def action_next_curve(self) -> None:
        self.curve_index += 1
        self.show_curve()

    def writable(self) -> bool:
        if self.app.read_only:
            self.app.show_error(PhysError("the TUI is read-only", hint="restart it without --read-only to act on runs"))
        return not self.app.read_only

    @work(thread=True, group="action", exclusive=True)
    def act(self, action: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run `action` off the event loop, then `then(result)` on it; a failure is a notification."""
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - a notification, not a crash
            self.app.call_from_thread(self.app.show_error, as_phys_error(exc))
            return
        self.app.call_from_thread(then, result)

    def action_resume(self) -> None:
        if self.writable():
            self.notify(f"resuming {self.run_id}…")
            self.act(lambda: commands.resume(self.app.root, self.run_id),
                     lambda _: self.notify(f"resumed {self.run_id} in the background"))

    def action_cancel_run(self) -> None:
        if not self.writable():
            return
        status = self.view.record["status"] if self.view else None
        if status in ("done", "cancelled"):  # the refusal `launch.cancel` would give, before asking anything
            self.app.show_error(PhysError(f"run {self.run_id} is already {status}", hint="nothing to cancel"))
            return
        from phys.tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.notify(f"cancelling {self.run_id}: it checkpoints, then stops…")
                self.act(lambda: launch.cancel(self.app.root, self.run_id),
                         lambda _: self.notify(f"cancelled {self.run_id}"))

        self.app.push_screen(ConfirmScreen(f"Cancel {self.run_id}?\nIt saves a checkpoint and stops.\n"
                                           "A cancelled run cannot be resumed."), confirmed)

    def action_report(self) -> None:
        if self.app.read_only:  # read-only writes nothing: show the report the run wrote, if any
            report = self.app.root / self.run_id / "report.md"
            if not report.exists():
                self.app.show_error(PhysError(f"run {self.run_id} has no report.md yet",
                                              hint="runs write one when they finish; the TUI is read-only"))
                return
            self.app.open_report({"id": self.run_id, "report": str(report), "figures": []})
            return
        from phys.core.report import write_report

        self.notify("writing the report…")
        self.act(lambda: write_report(self.app.root, self.run_id), self.app.open_report)
