"""`phys runs`: list, show, logs, resume, cancel and remove runs."""

from __future__ import annotations

import shutil
import time
from typing import Annotated, Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from phys.core import groups, launch, runs
from phys.cli.options import JsonOpt, runs_root
from phys.cli.jsonout import print_json
from phys.cli.render import err, group_verdict, out, print_group, print_summary
from phys.errors import PhysError
from phys.core.ledger import Ledger
from phys.core.rundir import RunDir
from phys.views.format import STATUS_STYLE, VERDICT_STYLE, fmt, styled

PROGRESS_EVERY_S = 10.0  # `runs logs -f`: a progress line at most this often

app = typer.Typer(help="Inspect and control runs (RUN = a run id, a unique prefix, or `last`).")

RunArg = Annotated[str, typer.Argument(help="A run id, a unique prefix of one, or `last`.", metavar="RUN")]
TargetArg = Annotated[str, typer.Argument(help="A run or run group id, a unique prefix of one, or `last` (a run).",
                                          metavar="RUN|GROUP")]


def _root():
    return runs_root()


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List runs (same as `phys runs ls`)."""
    if ctx.invoked_subcommand is None:
        ls(json=json)


@app.command("ls")
def ls(json: JsonOpt = False,
       limit: Annotated[Optional[int], typer.Option("--limit", help="Newest runs to show (default: 50 in the "
                                                   "table, all with --json; 0: all).", min=0)] = None) -> None:
    """Every run, newest first, with its derived status and verdict; a run group is one line (its runs:
    `phys runs show GROUP`). With --json, every run, each with its `group` if it has one."""
    records = runs.list_runs(_root())
    if limit is None:
        limit = 0 if json else 50
    shown = records[:limit] if limit else records
    if json:
        print_json(shown)
        return
    if not records:
        err.print("no runs yet; start one with `phys run recipe reversal_curse`")
        return
    # The id already says when, which recipe and which scale: three columns fit 80 columns over SSH.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("run (created-recipe-scale-tag)", "status", "verdict"):
        table.add_column(col, no_wrap=True)
    members: dict[str, list[dict]] = {}
    for r in records:
        if r.get("group"):
            members.setdefault(r["group"], []).append(r)
    listed: set[str] = set()
    for r in shown:
        group = r.get("group")
        if group is None:
            table.add_row(r["id"], styled(r["status"], STATUS_STYLE), styled(r.get("verdict"), VERDICT_STYLE))
        elif group not in listed:  # a group's line, where its newest run would be
            listed.add(group)
            table.add_row(group, styled(groups.status_of(members[group]), STATUS_STYLE),
                          group_verdict(groups.judge_seeds(members[group])[0]))
    out.print(table)
    if len(shown) < len(records):
        err.print(f"{len(records) - len(shown)} older runs not shown (--limit 0 shows all)")


@app.command("show")
def show(run: TargetArg, json: JsonOpt = False) -> None:
    """Status, verdict, checks (measured vs threshold vs paper), metrics and stages of a run; of a run group,
    each seed's value of every check, their mean and spread, and the verdict over seeds."""
    root = _root()
    group = groups.resolve(root, run)
    if group is not None:
        summary = groups.summary(root, group)
        if json:
            print_json(summary)
        else:
            print_group(summary)
        return
    record = runs.details(root, runs.resolve(root, run))
    if json:
        print_json(record)
        return
    print_summary(record)
    stages = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    stage_records = record.get("stages") or {}
    placed = any(s.get("where") for s in stage_records.values())  # run by workers or jobs (--devices, …)
    for col in ("stage", "key", "status", "seconds", *(("where",) if placed else ())):
        stages.add_column(col)
    for name, s in stage_records.items():
        stages.add_row(name, s.get("key", ""), s.get("status", ""), fmt(s.get("seconds")),
                       *((s.get("where", ""),) if placed else ()))
    out.print(stages)
    progress = record.get("progress")
    if progress and record["status"] in ("running", "queued"):
        out.print(f"progress: {progress['stage']} {progress['done']}/{progress['total']}")
    metrics = record.get("metrics") or {}
    if metrics:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("metric")
        table.add_column("value", justify="right")
        for k, v in sorted(metrics.items()):
            table.add_row(k, fmt(v))
        out.print(table)
    out.print(f"folder: {record['dir']}")


@app.command("logs")
def logs(run: RunArg, follow: Annotated[bool, typer.Option("-f", "--follow", help="Keep printing new lines "
                                                            "until the run ends.")] = False) -> None:
    """Print a run's log.txt; with -f, also the running stage's progress (on stderr, every 10 s)."""
    from phys.views.format import progress_info

    root = _root()
    run_id = runs.resolve(root, run)
    rd = RunDir(root, run_id)
    if not rd.log.exists():
        raise PhysError(f"run {run_id} has no log.txt (its folder is gone or damaged)",
                        hint="see `phys ledger check`")
    shown_at, shown = 0.0, None
    with open(rd.log) as f:
        typer.echo(f.read(), nl=False)
        while follow:
            line = f.readline()
            if line:
                typer.echo(line, nl=False)
                continue
            if runs.get(root, run_id)["status"] not in ("running", "queued"):
                typer.echo(f.read(), nl=False)
                break
            progress = rd.read("progress.json")
            if progress and progress.get("t") != shown and time.time() - shown_at >= PROGRESS_EVERY_S:
                shown_at, shown = time.time(), progress.get("t")
                err.print(f"{progress.get('stage')}: {progress.get('done')}/{progress.get('total')}  "
                          f"{progress_info(progress)}", markup=False)
            time.sleep(0.5)


@app.command("resume")
def resume(run: TargetArg, detach: Annotated[bool, typer.Option("--detach", help="Resume in the background.")] = False,
           json: JsonOpt = False) -> None:
    """Continue a crashed or interrupted run: finished stages are reused, training resumes from its checkpoint.
    Of a run group: every seed that has not finished, in turn."""
    from phys.cli.run_cmd import foreground, foreground_group

    root = _root()
    group = groups.resolve(root, run)
    if group is not None:
        foreground_group(group, launch.resumable(root, [r["id"] for r in groups.members(root, group)]),
                         detach=detach, json=json)
        return
    run_id = runs.resolve(root, run)
    launch.prepare_resume(root, run_id)
    foreground(run_id, detach=detach, json=json)


@app.command("cancel")
def cancel(run: TargetArg) -> None:
    """Stop a run (SIGTERM: it checkpoints first) and mark it cancelled; of a run group, every seed that has
    not finished."""
    root = _root()
    group = groups.resolve(root, run)
    if group is not None:
        statuses = {r["id"]: r["status"] for r in groups.members(root, group)}
        stopped = [run_id for run_id, status in statuses.items() if status not in ("done", "cancelled")]
        if not stopped:
            raise PhysError(f"every run of group {group} has ended", hint="nothing to cancel")
        # The waiting seeds first (marked: the group's process will skip them), then the running one.
        stopped.sort(key=lambda run_id: statuses[run_id] == "running")
        for run_id in stopped:
            launch.cancel(root, run_id)
        err.print(f"{group}: {len(stopped)} run{'' if len(stopped) == 1 else 's'} cancelled")
        return
    run_id = runs.resolve(root, run)
    launch.cancel(root, run_id)
    err.print(f"{run_id} cancelled")


@app.command("rm")
def rm(run: RunArg, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Delete a run's folder and ledger record (stage results stay in the store)."""
    root = _root()
    run_id = runs.resolve(root, run)
    record = runs.get(root, run_id)
    if record["status"] in ("running", "queued"):
        raise PhysError(f"run {run_id} is {record['status']}", hint=f"cancel it first: `phys runs cancel {run_id}`")
    if not yes and not typer.confirm(f"delete {run_id}?"):
        raise typer.Exit(1)
    shutil.rmtree(RunDir(root, run_id).path, ignore_errors=True)
    Ledger(root).remove_run(run_id)
    err.print(f"removed {run_id}")


@app.command("plot")
def plot(
    run: RunArg,
    metric: Annotated[Optional[list[str]], typer.Option("--metric", "-m", help="A curve, `stage.metric` or just "
                                                       "`metric` (repeatable); default: the losses.")] = None,
    width: Annotated[int, typer.Option(help="Columns (default: the terminal's).")] = 0,
    height: Annotated[int, typer.Option(help="Rows.")] = 20,
    json: JsonOpt = False,
) -> None:
    """Draw a run's curves (training loss and any metric logged per step) in the terminal."""
    from phys.views import curves, termplot

    root = _root()
    run_id = runs.resolve(root, run)
    chosen = curves.pick(curves.series(RunDir(root, run_id).read_metrics()), metric or [])
    if json:
        print_json({"id": run_id, "curves": {k: [list(p) for p in v] for k, v in chosen.items()}})
        return
    if not chosen:
        raise PhysError(f"run {run_id} has no curves yet", hint="training logs its loss every `log_every` steps")
    columns = width or min(shutil.get_terminal_size((100, 24)).columns, 120)
    typer.echo(termplot.render(chosen, columns, height, title=run_id, color=out.is_terminal))


@app.command("compare")
def compare(runs_: Annotated[list[str], typer.Argument(help="Two or more runs (ids, prefixes or `last`).",
                                                        metavar="RUN RUN…")], json: JsonOpt = False) -> None:
    """Runs side by side: config differences, verdicts, checks and metrics."""
    from phys.core.compare import compare as compare_runs

    root = _root()
    ids = [runs.resolve(root, r) for r in runs_]
    data = compare_runs(root, ids)
    if json:
        print_json(data)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", overflow="fold")
    for r in data["runs"]:
        table.add_column(r["id"][-4:] + f"\n[dim]{r['scale']}[/]", overflow="fold")
    table.add_row("recipe", *[r["recipe"] for r in data["runs"]])
    table.add_row("status", *[styled(r["status"], STATUS_STYLE) for r in data["runs"]])
    table.add_row("verdict", *[styled(r["verdict"], VERDICT_STYLE) for r in data["runs"]], end_section=True)
    for key, values in data["config"].items():
        table.add_row(escape(key), *[escape(fmt(v)) for v in values])
    table.add_row(f"[dim]({data['same']} settings the same)[/]", *[""] * len(ids), end_section=True)
    for metric, checks in data["checks"].items():
        table.add_row(escape(metric), *[_check_cell(c) for c in checks])
    for key, values in data["metrics"].items():
        if key not in data["checks"]:
            table.add_row(f"[dim]{escape(key)}[/]", *[fmt(v) for v in values])
    for r in data["runs"]:
        err.print(f"[dim]{r['id'][-4:]}[/] = {r['id']}")
    out.print(table)


def _check_cell(check: dict | None) -> str:
    if check is None:
        return "—"
    mark = "[green]✓[/]" if check["passed"] else ("[yellow]✗[/]" if check["role"] == "sanity" else "[red]✗[/]")
    return f"{fmt(check['measured'])} {mark}"
