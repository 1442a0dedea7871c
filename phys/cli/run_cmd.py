"""`phys run recipe NAME`: start a run in the foreground (rich progress) or detached."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from phys.core import launch, runner
from phys.cli.options import ArmsOpt, DeviceOpt, JsonOpt, ScaleOpt, SeedOpt, SetOpt, arm_list, runs_root
from phys.cli.jsonout import print_json
from phys.cli.render import err, print_summary
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
SeedsOpt = Annotated[Optional[str], typer.Option(
    "--seeds", help="Run once per seed as a run group: a count (3: seeds 0, 1, 2) or seeds (0,4,7); the "
                    "group's verdict counts the seeds that reproduce.")]
DetachOpt = Annotated[bool, typer.Option("--detach", help="Run in the background (survives the terminal); "
                                          "prints the run id.")]


@app.command("recipe")
def recipe(
    name: str, scale: ScaleOpt = None, set_: SetOpt = None, seed: SeedOpt = 0, device: DeviceOpt = "auto",
    arms: ArmsOpt = None, detach: DetachOpt = False, json: JsonOpt = False,
    devices: DevicesOpt = None, per_device: PerDeviceOpt = 1, ddp: DdpOpt = 1, executor: ExecutorOpt = None,
    partition: PartitionOpt = "", gpus: GpusOpt = 1, time: TimeOpt = 60, jobs: JobsOpt = 8,
    threads: ThreadsOpt = None, seeds: SeedsOpt = None,
) -> None:
    """Run a recipe end to end and print its verdict (with --seeds: the group's verdict over seeds)."""
    from phys.core.executors import Execution
    from phys.core.groups import parse_seeds

    execution = Execution.for_flags(executor, devices, per_device, ddp, partition=partition, gpus=gpus,
                                    time_min=time, jobs=jobs, threads=threads)
    root = runs_root()
    if seeds is not None:
        if seed != 0:
            raise PhysError("--seed and --seeds do not combine", hint="list the seeds: --seeds 0,4,7")
        group, run_ids = launch.create_group(root, name, scale, set_ or [], parse_seeds(seeds), device,
                                             arm_list(arms), execution)
        foreground_group(group, run_ids, detach=detach, json=json)
        return
    run_id = launch.create_run(root, name, scale, set_ or [], seed, device, arm_list(arms), execution)
    foreground(run_id, detach=detach, json=json)


def foreground(run_id: str, detach: bool, json: bool) -> None:
    """Execute (or spawn) `run_id` and report; shared by `run recipe` and `runs resume`."""
    from phys.cli.render import RichUI
    from phys.core.runs import details

    root = runs_root()
    if detach:
        pid = launch.spawn(root, run_id)
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
        print_summary(record)
    if result == "interrupted":
        raise typer.Exit(130)


def foreground_group(group: str, run_ids: list[str], detach: bool, json: bool) -> None:
    """Execute (or spawn) a group's runs and report the group; shared by `run recipe --seeds` and `runs resume
    GROUP`. The seeds of one lane run in turn (`launch.lanes`: on the CPU, all of them); lanes on GPUs of
    their own run at once, as processes of their own that this one follows."""
    from phys.cli.render import RichUI, print_group
    from phys.core.groups import summary

    root = runs_root()
    lanes = launch.lanes(root, run_ids)
    if detach:
        pids = [launch.spawn(root, *lane) for lane in lanes]
        if json:
            print_json({"id": group, "runs": run_ids, "pid": pids[0], "pids": pids, "detached": True})
        else:
            how = "one after another" if len(lanes) == 1 else f"{len(lanes)} at once"
            err.print(f"started group {group} ({len(run_ids)} runs, {how}) in the background (pid "
                      f"{', '.join(map(str, pids))}); see it with `phys runs show {group}`")
            typer.echo(group)
        return
    if len(lanes) == 1:
        with RichUI() as ui:
            result = runner.execute_all(root, run_ids, ui)
    else:
        result = _follow_lanes(root, group, lanes)
    record = summary(root, group)
    if json:
        print_json(record)
    else:
        print_group(record)
    if result is not None:
        raise typer.Exit(130 if result == "interrupted" else 1)


def _follow_lanes(root, group: str, lanes: list[list[str]]) -> str | None:
    """Start every lane, print each seed's status as it changes until all lanes end; Ctrl-C asks every lane
    to checkpoint and stop (as `phys runs cancel` would, but resumable). Returns `interrupted`, `failed` or
    None, as `runner.execute_all`."""
    import signal
    import time as clock

    from phys.core.groups import summary

    procs = [launch.start(root, *lane) for lane in lanes]
    err.print(f"group {group}: {len(lanes)} lanes at once ({'; '.join(' → '.join(lane) for lane in lanes)})")
    seen: dict[str, str] = {}
    interrupted = False
    while True:
        try:
            for r in summary(root, group)["runs"]:
                if seen.get(r["id"]) != r["status"]:
                    seen[r["id"]] = r["status"]
                    err.print(f"seed {r['seed']}: {r['id']} {r['status']}" + (f", {r['verdict']}" if r.get("verdict")
                                                                               else ""))
            if all(p.poll() is not None for p in procs):
                break
            clock.sleep(2)
        except KeyboardInterrupt:
            interrupted = True
            err.print("stopping every lane (each checkpoints first) …")
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
    codes = [p.wait() for p in procs]
    if interrupted or 3 in codes:
        return "interrupted"
    return "failed" if any(codes) else None
