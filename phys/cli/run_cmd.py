"""`phys run recipe NAME`: start a run in the foreground (rich progress) or detached."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from phys.core import runner
from phys.cli.recipes_cmd import ArmsOpt, DeviceOpt, JsonOpt, ScaleOpt, SeedOpt, SetOpt, arm_list
from phys.cli.jsonout import print_json
from phys.cli.render import err
from phys.errors import PhysError

app = typer.Typer(help="Run things.", no_args_is_help=True)

DevicesOpt = Annotated[Optional[str], typer.Option(
    "--devices", help="Run stages as worker processes on these devices, several at once: GPU indices (0,1), "
                      "all, or cpu.", rich_help_panel="Execution")]
PerDeviceOpt = Annotated[int, typer.Option("--per-device", help="Stages sharing one device at a time "
                                           "(small models).", rich_help_panel="Execution")]
DdpOpt = Annotated[int, typer.Option("--ddp", help="Processes (GPUs) per training stage, through torchrun.",
                                     rich_help_panel="Execution")]
ExecutorOpt = Annotated[Optional[str], typer.Option(
    "--executor", help="local (worker processes; implied by --devices), slurm (a job per stage, through "
                       "submitit) or submitit-local.", rich_help_panel="Execution")]
PartitionOpt = Annotated[str, typer.Option("--partition", help="Slurm partition.", rich_help_panel="Execution")]
GpusOpt = Annotated[int, typer.Option("--gpus", help="Slurm: GPUs per job.", rich_help_panel="Execution")]
TimeOpt = Annotated[int, typer.Option("--time", help="Slurm: time limit per job, minutes.",
                                      rich_help_panel="Execution")]
JobsOpt = Annotated[int, typer.Option("--jobs", help="Slurm: jobs in flight at once.", rich_help_panel="Execution")]
ThreadsOpt = Annotated[Optional[int], typer.Option(
    "--threads", help="CPU threads of each process computing a stage (default: its share of the cores among the "
                      "phys processes running on this machine).", rich_help_panel="Execution")]
DetachOpt = Annotated[bool, typer.Option("--detach", help="Run in the background (survives the terminal); "
                                          "prints the run id.")]


@app.command("recipe")
def recipe(
    name: str, scale: ScaleOpt = None, set_: SetOpt = None, seed: SeedOpt = 0, device: DeviceOpt = "auto",
    arms: ArmsOpt = None, detach: DetachOpt = False, json: JsonOpt = False,
    devices: DevicesOpt = None, per_device: PerDeviceOpt = 1, ddp: DdpOpt = 1, executor: ExecutorOpt = None,
    partition: PartitionOpt = "", gpus: GpusOpt = 1, time: TimeOpt = 60, jobs: JobsOpt = 8,
    threads: ThreadsOpt = None,
) -> None:
    """Run a recipe end to end and print its verdict."""
    from phys.cli.main import runs_root
    from phys.core.executors import EXECUTORS, Execution

    if executor is None:
        executor = "local" if devices is not None or ddp > 1 or per_device > 1 else "inline"
    if executor not in EXECUTORS:
        raise PhysError(f"unknown executor {executor!r}", hint="use local, slurm or submitit-local")
    if executor != "local" and devices is not None:
        raise PhysError(f"--devices is for local workers, not --executor {executor}",
                        hint="Slurm jobs get their GPUs from --gpus")
    if executor not in ("local", "inline") and per_device != 1:
        raise PhysError("--per-device is for local workers", hint="a Slurm job runs one stage")
    if ddp < 1 or per_device < 1:
        raise PhysError("--ddp and --per-device must be at least 1", hint="e.g. --devices 0,1 --ddp 2")
    if gpus < 0 or time < 1 or jobs < 1:
        raise PhysError("--gpus must be >= 0, --time and --jobs >= 1", hint="e.g. --gpus 1 --time 120")
    if threads is not None and threads < 1:
        raise PhysError(f"--threads {threads} is not a thread count", hint="e.g. --threads 1; leave it out for "
                                                                         "the process's share of the cores")
    execution = Execution(executor, devices or "", per_device, ddp, partition, gpus, time, jobs, threads or 0)
    root = runs_root()
    run_id = runner.create_run(root, name, scale, set_ or [], seed, device, arm_list(arms), execution)
    foreground(run_id, detach=detach, json=json)


def foreground(run_id: str, detach: bool, json: bool) -> None:
    """Execute (or spawn) `run_id` and report; shared by `run recipe` and `runs resume`."""
    from phys.cli.main import runs_root
    from phys.cli.render import RichUI
    from phys.core.runs import details

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
