"""The `phys` command: a thin Typer shell over the core. Errors a user can cause print one line and a
hint on stderr and exit 1, without a traceback; data goes to stdout (`--json`), messages to stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from phys.cli.options import State
from phys.errors import PhysError

app = typer.Typer(
    name="phys", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="A lab bench for the Physics of Language Models findings: run a recipe, get a verdict.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="Where runs, the ledger and the store "
                                                     "live (env PHYS_RUNS_DIR, default ./runs).")] = None,
) -> None:
    from phys.core.ledger import check_root

    if runs_dir is not None:
        State.runs_root = runs_dir
    check_root(State.runs_root)  # every command, the TUI included: one line, before anything is read


def _register() -> None:
    from phys.cli import doctor_cmd, ledger_cmd, recipes_cmd, report_cmd, run_cmd, runs_cmd, tui_cmd

    app.add_typer(recipes_cmd.app, name="recipes")
    app.add_typer(run_cmd.app, name="run")
    app.add_typer(runs_cmd.app, name="runs")
    app.add_typer(ledger_cmd.app, name="ledger")
    app.command("report")(report_cmd.report)
    app.command("tui")(tui_cmd.tui)
    app.command("doctor")(doctor_cmd.doctor)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. A PhysError, and a usage error (bad option value, unknown command), print `error:` and
    `hint:` lines on stderr, no traceback: exit 1 for ours, 2 for usage, as click does."""
    from typer import Abort
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        code = app(args=argv, prog_name="phys", standalone_mode=False)
    except PhysError as exc:
        _print_error(exc.message, exc.hint)
        sys.exit(1)
    except NoArgsIsHelpError as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        sys.exit(0)
    except UsageError as exc:
        if exc.ctx is not None and "Missing command" in str(exc):  # click's words for a group without a command
            sys.stdout.write(exc.ctx.get_help() + "\n")
            sys.exit(0 if not (sys.argv[1:] if argv is None else argv) else 2)  # a bare `phys`: just the help
        path = exc.ctx.command_path if exc.ctx is not None else "phys"
        _print_error(exc.format_message(), f"see `{path} --help`")
        sys.exit(2)
    except Abort:
        _print_error("aborted", None)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


def _print_error(message: str, hint: str | None) -> None:
    from rich.markup import escape

    from phys.cli.render import err

    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    if hint:
        err.print(f"[dim]hint:[/] {escape(hint)}", markup=True, highlight=False, soft_wrap=True)
