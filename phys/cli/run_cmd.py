"""`phys run recipe NAME`: start a run in the foreground (rich progress) or detached."""

from __future__ import annotations

from typing import Annotated

import typer

from phys import runner
from phys.cli.recipes_cmd import ArmsOpt, DeviceOpt, JsonOpt, ScaleOpt, SeedOpt, SetOpt, arm_list
from phys.cli.render import err, print_json

app = typer.Typer(help="Run things.", no_args_is_help=True)

DetachOpt = Annotated[bool, typer.Option("--detach", help="Run in the background (survives the terminal); "
                                          "prints the run id.")]


@app.command("recipe")
def recipe(
    name: str, scale: ScaleOpt = None, set_: SetOpt = None, seed: SeedOpt = 0, device: DeviceOpt = "auto",
    arms: ArmsOpt = None, detach: DetachOpt = False, json: JsonOpt = False,
) -> None:
    """Run a recipe end to end and print its verdict."""
    from phys.cli.main import runs_root

    root = runs_root()
    run_id = runner.create_run(root, name, scale, set_ or [], seed, device, arm_list(arms))
    foreground(run_id, detach=detach, json=json)


def foreground(run_id: str, detach: bool, json: bool) -> None:
    """Execute (or spawn) `run_id` and report; shared by `run recipe` and `runs resume`."""
    from phys.cli.main import runs_root
    from phys.cli.render import RichUI
    from phys.runs import details

    root = runs_root()
    if detach:
        pid = runner.spawn(root, run_id)
        if json:
            print_json({"id": run_id, "pid": pid, "detached": True})
        else:
            err.print(f"started {run_id} in the background (pid {pid}); follow it with "
                      f"`phys runs logs {run_id} -f`")
            typer.echo(run_id)
        return
    with RichUI() as ui:
        result = runner.execute(root, run_id, ui)
    record = details(root, run_id)
    if json:
        print_json(record)
    else:
        from phys.cli.runs_cmd import print_summary

        print_summary(record)
    if result == "interrupted":
        raise typer.Exit(130)
