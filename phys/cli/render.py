"""Rich rendering shared by the commands: tables on stdout (or JSON with --json), messages and the live
run view on stderr, a run's summary (`run recipe`, `runs show`)."""

from __future__ import annotations

import time
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from phys.errors import PhysError
from phys.views.format import (STATUS_STYLE, VERDICT_STYLE, fmt, group_lints, label, progress_info, styled,
                               verdict_style)

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

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


def print_summary(record: dict) -> None:
    out.print(f"[bold]{record['id']}[/]")
    out.print(f"{record['recipe']} @ {record['scale']}, seed {record['seed']}, device {record.get('device')}   "
              f"status {styled(record['status'], STATUS_STYLE)}   verdict {styled(record.get('verdict'), VERDICT_STYLE)}")
    if record.get("error"):
        out.print(f"[red]error:[/] {escape(record['error'])}", markup=True)
    if record.get("checks"):
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("check", "measured", "need", "paper", "ok"):
            table.add_column(col, overflow="fold")
        for c in record["checks"]:
            ok = "[green]pass[/]" if c["passed"] else ("[yellow]fail[/]" if c["role"] == "sanity" else "[bold red]fail[/]")
            name = f"{escape(label(c))}{' (sanity)' if c['role'] == 'sanity' else ''}\n[dim]{escape(c['name'])}[/]"
            table.add_row(name, fmt(c["measured"]), f"{c['op']} {fmt(c['threshold'])}", escape(c["paper"]), ok)
        out.print(table)
    print_lints(record.get("lints") or [])
    print_plots(record)
    if record.get("report"):
        out.print(f"report: {record['report']}")


def print_lints(lints: list[dict]) -> None:
    """Lint records (`phys.core.lint`), those that differ only by arm as one line: first, each in full, those
    the recipe does not explain; then under each reason the first explained lint of each code and a count of
    the others (`--json` has them all)."""
    if not lints:
        return
    shown = group_lints(lints)
    open_ = [g for g in shown if g["explained"] is None]
    out.print(f"[bold]lints[/]: {len(open_)} not explained by the recipe, {len(shown) - len(open_)} explained")
    for g in open_:
        out.print(f"  [yellow]![/] {g['code']}  {escape(g['message'])}")
    reasons = dict.fromkeys(g["explained"] for g in shown if g["explained"] is not None)
    for reason in reasons:
        out.print(f"  [dim]explained: {escape(reason)}[/]")
        explained = [g for g in shown if g["explained"] == reason]
        for code in dict.fromkeys(g["code"] for g in explained):  # a code's first lint, and how many more
            same = [g for g in explained if g["code"] == code]
            more = f" [dim](and {len(same) - 1} more like it)[/]" if len(same) > 1 else ""
            out.print(f"    [dim]·[/] {code}  {escape(same[0]['message'])}{more}")


def print_plots(record: dict) -> None:
    """The recipe's per-arm plots (e.g. bits against parameters) as text, when the run has their points."""
    from phys.core import registry

    try:
        plots = registry.load_recipe(record["recipe"]).plots
    except PhysError:
        return  # a run of a recipe that is gone: its checks and report still show
    if not plots:
        return
    from phys.views import termplot

    for plot in plots:
        text = termplot.scatter(plot, record.get("metrics") or {}, min(out.width, 100), 18, color=out.is_terminal)
        if text:
            out.print(Text.from_ansi(text))


def print_group(group: dict) -> None:
    """A run group: its seeds' runs, the verdict over seeds, and per check each seed's value and their mean
    (`--json` and the report add min, max and what each check reads)."""
    out.print(f"[bold]{group['id']}[/]")
    out.print(f"{group['recipe']} @ {group['scale']}, seeds {', '.join(map(str, group['seeds']))}, device "
              f"{group.get('device')}   status {styled(group['status'], STATUS_STYLE)}   verdict "
              f"{group_verdict(group.get('verdict'))}")
    if group["checks"]:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        seeds = [str(s) for s in group["seeds"]]
        for col in ("check", *(f"seed {s}" for s in seeds), "mean", "need", "held"):
            table.add_column(col, overflow="fold")
        for c in group["checks"]:
            cells = []
            for s in seeds:
                value, passed = c["values"].get(s), c["passed"].get(s)
                mark = "" if value is None else (" [green]✓[/]" if passed else (" [yellow]✗[/]" if c["role"] == "sanity"
                                                                                 else " [red]✗[/]"))
                cells.append(fmt(value) + mark)
            name = escape(c["name"]) + (" [dim](sanity)[/]" if c["role"] == "sanity" else "")
            table.add_row(name, *cells, fmt(c["mean"]), f"{c['op']} {fmt(c['threshold'])}", f"{c['passes']}/{c['seeds']}")
        out.print(table)
    for r in group["runs"]:
        out.print(f"  seed {r['seed']}: {r['id']}  {styled(r['status'], STATUS_STYLE)}  "
                  f"{styled(r.get('verdict'), VERDICT_STYLE)}")
    print_lints(group.get("lints") or [])
    if group.get("report"):
        out.print(f"report: {group['report']}")


def group_verdict(verdict: str | None) -> str:
    """A group's verdict (`reproduced 3/3`, `mixed 2/3`, …) in the colour of its words."""
    return f"[{verdict_style(verdict)}]{verdict}[/]" if verdict else "—"
