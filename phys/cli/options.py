"""What every command shares: the runs folder (`--runs-dir`, set by the root callback) and the options of
more than one command, spelt once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer


class State:
    runs_root: Path = Path(os.environ.get("PHYS_RUNS_DIR", "runs"))


def runs_root() -> Path:
    """The runs folder of this invocation: `--runs-dir`, else env PHYS_RUNS_DIR, else ./runs."""
    return State.runs_root


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
ScaleOpt = Annotated[Optional[str], typer.Option("--scale", help="smoke | cpu | gpu | paper (default: gpu if CUDA "
                                                 "is available, else cpu).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu | cuda | cuda:N | auto")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override STAGE.FIELD=VALUE, or ROLE.FIELD=VALUE for "
                                                  "every stage of a role (repeatable; a stage's own key wins).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Run seed; every stage seed derives from it.")]
ArmsOpt = Annotated[Optional[str], typer.Option("--arms", help="Comma-separated arms to run instead of the scale's "
                                                 "(e.g. one more sweep cell: cells already computed are cache hits).")]


def arm_list(arms: str | None) -> list[str] | None:
    return None if arms is None else [a.strip() for a in arms.split(",") if a.strip()]
