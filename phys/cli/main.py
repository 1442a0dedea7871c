"""The `phys` command: a thin Typer shell over the core. Errors a user can cause print one line and a
hint on stderr and exit 1, without a traceback; data goes to stdout (`--json`), messages to stderr."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from phys.errors import PhysError

app = typer.Typer(
    name="phys", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="A lab bench for the Physics of Language Models findings: run a recipe, get a verdict.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    runs_root: Path = Path(os.environ.get("PHYS_RUNS_DIR", "runs"))


@app.callback()
def _root(
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="Where runs, the ledger and the store "
                                                     "live (env PHYS_RUNS_DIR, default ./runs).")] = None,
) -> None:
    if runs_dir is not None:
        State.runs_root = runs_dir


def runs_root() -> Path:
    return State.runs_root


def _register() -> None:
    from phys.cli import ledger_cmd, recipes_cmd, report_cmd, run_cmd, runs_cmd, tui_cmd

    app.add_typer(recipes_cmd.app, name="recipes")
    app.add_typer(run_cmd.app, name="run")
    app.add_typer(runs_cmd.app, name="runs")
    app.add_typer(ledger_cmd.app, name="ledger")
    app.command("report")(report_cmd.report)
    app.command("tui")(tui_cmd.tui)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; click's standalone mode handles usage errors and exit codes, PhysError is ours."""
    from rich.markup import escape

    from phys.cli.render import err

    try:
        app(args=argv, prog_name="phys")
    except PhysError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}", markup=True, highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"[dim]hint:[/] {escape(exc.hint)}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(1)
