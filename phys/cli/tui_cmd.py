"""`phys tui`: the Textual interface (recipes, launch, runs, run, compare)."""

from __future__ import annotations

from typing import Annotated

import typer

from phys.cli.options import runs_root


def tui(read_only: Annotated[bool, typer.Option("--read-only", help="Inspect only: no launch, resume or "
                                                "cancel (e.g. someone else's ledger).")] = False) -> None:
    """Watch and steer runs in a terminal UI (keyboard first; works over SSH and in tmux)."""
    from phys.tui.app import make_app

    make_app(runs_root(), read_only=read_only).run()
