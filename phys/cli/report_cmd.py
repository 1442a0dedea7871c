"""`phys report RUN`: (re)write a run's report.md and its PNG figures."""

from __future__ import annotations

from typing import Annotated

import typer

from phys.cli.options import JsonOpt, runs_root
from phys.cli.jsonout import print_json
from phys.cli.render import err


def report(run: Annotated[str, typer.Argument(help="A run or run group id, a unique prefix of one, or `last` "
                                               "(a run).", metavar="RUN|GROUP")],
           json: JsonOpt = False) -> None:
    """Write runs/<id>/report.md and figures/*.png (claim, paper vs measured, curves, arms); for a run group,
    runs/groups/<group>/report.md and seeds.png (every seed's value of each check)."""
    from phys.core import groups, runs
    from phys.core.report import write_group_report, write_report

    root = runs_root()
    group = groups.resolve(root, run)
    written = write_group_report(root, group) if group else write_report(root, runs.resolve(root, run))
    if json:
        print_json(written)
        return
    err.print(f"wrote {written['report']}", soft_wrap=True)
    for path in written["figures"]:
        err.print(f"      {path}", soft_wrap=True)
    typer.echo(written["report"])
