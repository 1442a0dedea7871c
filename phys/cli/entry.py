"""The `phys` executable. `phys runs ls --json` — what scripts and shell prompts poll — is answered
without loading the CLI framework (typer and rich take most of a cold start); everything else, and any
error on that path, goes to the full CLI in `phys.cli.main`."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _runs_ls_json_root(argv: list[str]) -> Path | None:
    """The runs folder if `argv` is exactly `[--runs-dir DIR] runs ls --json`, else None."""
    root = os.environ.get("PHYS_RUNS_DIR", "runs")
    if len(argv) >= 2 and argv[0] == "--runs-dir":
        root, argv = argv[1], argv[2:]
    elif argv and argv[0].startswith("--runs-dir="):
        root, argv = argv[0].split("=", 1)[1], argv[1:]
    return Path(root) if argv == ["runs", "ls", "--json"] else None


def main() -> None:
    root = _runs_ls_json_root(sys.argv[1:])
    if root is not None:
        try:
            from phys.core.runs import list_runs

            records = list_runs(root)
        except Exception:  # noqa: BLE001 - the full CLI says what is wrong, with its hint
            pass
        else:
            from phys.cli.jsonout import print_json

            try:
                print_json(records)
                sys.stdout.flush()
            except BrokenPipeError:  # `phys runs ls --json | head`: the reader left, nothing to say
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    from phys.cli.main import main as full

    full()
