"""`phys doctor`: the torch build, devices, free disk, ledger health, executors, and a throughput probe."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from phys.cli.options import JsonOpt, runs_root
from phys.cli.jsonout import print_json
from phys.cli.render import out

LEVEL_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


def doctor(
    probe: Annotated[float, typer.Option("--probe", help="Seconds of the training-throughput probe (0: skip).",
                                         min=0)] = 10.0,
    json: JsonOpt = False,
) -> None:
    """Check this machine for phys: torch build, devices, disk, ledger, executors, training tokens/s."""
    from phys.core.doctor import diagnose

    findings = diagnose(runs_root(), probe)
    if json:
        print_json([f.to_dict() for f in findings])
    else:
        width = max(len(f"{f.area} {f.name}") for f in findings)
        for f in findings:
            label = f"{f.area} {f.name}".ljust(width)
            out.print(f"[{LEVEL_STYLE[f.level]}]{f.level:4}[/]  {escape(label)}  {escape(f.value)}", markup=True,
                      highlight=False, soft_wrap=True)
    if any(f.level == "fail" for f in findings):
        raise typer.Exit(1)
