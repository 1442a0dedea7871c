"""`phys ledger check|rebuild`: the ledger against run folders and the store; rebuild from run folders."""

from __future__ import annotations

import typer
from rich.markup import escape

from phys.core import audit
from phys.cli.options import JsonOpt, runs_root
from phys.cli.jsonout import print_json
from phys.cli.render import err, out

app = typer.Typer(help="Check or rebuild the ledger.", no_args_is_help=True)


def _root():

    return runs_root()


@app.command("check")
def check(json: JsonOpt = False) -> None:
    """List missing, orphaned or damaged entries (ledger, run folders, store). Exit 1 if any."""
    report = audit.check(_root())
    if json:
        print_json(report)
    else:
        for kind, items in report["problems"].items():
            for item in items:
                out.print(f"[red]{kind}[/]: {escape(item)}", markup=True, highlight=False)
        if report["ok"]:
            out.print(f"[green]ok[/]: {report['runs']} runs, {report['store_entries']} store entries")
    if not report["ok"]:
        raise typer.Exit(1)


@app.command("rebuild")
def rebuild(json: JsonOpt = False) -> None:
    """Write a new ledger from the run folders (run.json + status.json)."""
    result = audit.rebuild(_root())
    if json:
        print_json(result)
        return
    err.print(f"ledger rebuilt: {result['runs']} runs, {result['stages']} stage records"
              + (f"; skipped damaged folders: {', '.join(result['skipped'])}" if result["skipped"] else ""))
