"""Run groups: `phys run recipe NAME --seeds N` runs the recipe once per seed, `runs show GROUP` gives every
seed's value of each check and the verdict over seeds, and `runs resume GROUP` finishes only the seeds that
did not finish."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import SMOKE, phys, phys_json

from phys.core.groups import judge_seeds, parse_seeds
from phys.errors import PhysError


def test_seeds_are_a_count_or_a_list() -> None:
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("0,4,7") == [0, 4, 7]
    for bad, message in [("x", "not a count"), ("1", "fewer than two"), ("4,4", "twice"), ("-1,2", "not a count"),
                         ("", "not a count")]:
        with pytest.raises(PhysError, match=message):
            parse_seeds(bad)


def seed_run(seed: int, verdict: str, claim: tuple[float | None, bool], sanity: bool = True) -> dict:
    return {"seed": seed, "verdict": verdict, "checks": [
        {"name": "claim", "metric": "m", "role": "claim", "op": ">=", "threshold": 0.5, "paper": "-",
         "measured": claim[0], "passed": claim[1]},
        {"name": "fit", "metric": "f", "role": "sanity", "op": ">=", "threshold": 0.5, "paper": "-",
         "measured": 1.0 if sanity else 0.1, "passed": sanity}]}


@pytest.mark.parametrize("runs, verdict", [
    ([("reproduced", (0.9, True), True)] * 3, "reproduced 3/3"),
    ([("reproduced", (0.9, True), True), ("not reproduced", (0.1, False), True),
      ("not reproduced", (0.2, False), True)], "not reproduced 1/3"),
    ([("reproduced", (0.9, True), True), ("reproduced", (0.8, True), True),
      ("not reproduced", (0.2, False), True)], "mixed 2/3"),
    # claims that fail where the sanity checks failed too do not count: those seeds could not judge
    ([("reproduced", (0.9, True), True), ("inconclusive", (0.1, False), False),
      ("inconclusive", (0.1, False), False)], "inconclusive 1/3"),
    ([("reproduced", (0.9, True), True), ("inconclusive", (None, False), True),
      ("not reproduced", (0.1, False), True)], "mixed 1/3"),
])
def test_the_verdict_over_seeds(runs: list, verdict: str) -> None:
    records = [seed_run(seed, v, claim, sanity) for seed, (v, claim, sanity) in enumerate(runs)]
    got, checks = judge_seeds(records)
    assert got == verdict
    claim = checks[0]
    assert claim["seeds"] == 3 and set(claim["values"]) == {"0", "1", "2"}
    measured = [r[1][0] for r in runs if r[1][0] is not None]
    assert claim["min"] == min(measured) and claim["max"] == max(measured)


def test_no_verdict_until_every_seed_has_one() -> None:
    records = [seed_run(0, "reproduced", (0.9, True)), {"seed": 1, "verdict": None, "checks": []}]
    assert judge_seeds(records)[0] is None


def test_a_group_runs_every_seed_and_is_one_line(runs) -> None:
    group = phys_json(runs, "run", "recipe", "reversal_curse", *SMOKE, "--seeds", "2")
    assert group["group"] and group["seeds"] == [0, 1] and group["status"] == "done"
    assert group["verdict"].endswith("/2") and len(group["runs"]) == 2
    for check in group["checks"]:
        assert set(check["values"]) == {"0", "1"} and check["seeds"] == 2
    assert group["lints"] and all(x["explained"] for x in group["lints"])  # smoke: each seed's, once
    assert phys_json(runs, "runs", "show", group["id"]) == group
    listed = phys_json(runs, "runs", "ls")
    assert sorted(r["group"] for r in listed) == [group["id"]] * 2
    table = phys(runs, "runs", "ls").stdout
    assert group["id"] in table and not any(r["id"] in table for r in group["runs"])
    shown = phys(runs, "runs", "show", group["id"]).stdout
    assert "seed 0" in shown and "seed 1" in shown and group["verdict"] in shown
    report = runs / "groups" / group["id"] / "report.md"  # written when the last seed ended
    assert group["report"] == str(report) and f"**{group['verdict']}**" in report.read_text()
    assert (report.parent / "seeds.png").stat().st_size > 0
    assert phys_json(runs, "report", group["id"])["report"] == str(report)


def test_a_killed_group_resumes_the_seeds_that_did_not_finish(runs) -> None:
    group = phys(runs, "run", "recipe", "reversal_curse", *SMOKE, "--seeds", "3", "--detach").stdout.strip()
    deadline = time.time() + 120
    while time.time() < deadline:
        records = {r["seed"]: r for r in phys_json(runs, "runs", "ls")}
        if records and records[0]["status"] == "done":
            break
        time.sleep(0.3)
    assert records[0]["status"] == "done", "the first seed did not finish"
    os.kill(next(r["pid"] for r in records.values() if r["status"] in ("running", "queued")), signal.SIGKILL)
    time.sleep(0.5)
    statuses = {r["seed"]: r["status"] for r in phys_json(runs, "runs", "ls")}
    assert statuses[0] == "done" and "crashed" in statuses.values()
    resumed = phys_json(runs, "runs", "resume", group)
    assert resumed["status"] == "done" and [r["status"] for r in resumed["runs"]] == ["done"] * 3
    after = {r["seed"]: r for r in phys_json(runs, "runs", "ls")}
    assert after[0]["ended"] == records[0]["ended"], "the finished seed ran again"
    first = next(r["id"] for r in resumed["runs"] if r["seed"] == 0)
    assert (runs / first / "log.txt").read_text().count("verdict:") == 1


def test_group_flags_are_one_line_errors_and_write_nothing(runs) -> None:
    for args, message in [(["--seeds", "1"], "fewer than two seeds"), (["--seeds", "3", "--seed", "2"], "do not combine"),
                          (["--seeds", "a,b"], "not a count")]:
        proc = phys(runs, "run", "recipe", "reversal_curse", *SMOKE, *args, check=False)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not list(runs.glob("*/run.json"))
    proc = phys(runs, "runs", "resume", "nothing", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")


def start_long_group(runs, seeds: str) -> str:
    """A detached smoke group whose first seed trains (far too many steps to end), once it is running."""
    group = phys(runs, "run", "recipe", "reversal_curse", *SMOKE, "--seeds", seeds, "--set", "train.steps=100000",
                 "--detach").stdout.strip()
    deadline = time.time() + 60
    while time.time() < deadline and not any(r["status"] == "running" for r in phys_json(runs, "runs", "ls")):
        time.sleep(0.2)
    return group


def test_cancelling_a_group_cancels_every_seed_that_has_not_finished(runs) -> None:
    group = start_long_group(runs, "3")
    proc = phys(runs, "runs", "cancel", group)
    assert "3 runs cancelled" in proc.stderr
    assert [r["status"] for r in phys_json(runs, "runs", "show", group)["runs"]] == ["cancelled"] * 3
    assert phys(runs, "runs", "cancel", group, check=False).returncode == 1


def test_cancelling_a_waiting_seed_leaves_the_running_one_alone(runs) -> None:
    group = start_long_group(runs, "2")
    by_seed = {r["seed"]: r for r in phys_json(runs, "runs", "ls")}
    assert by_seed[0]["status"] == "running" and by_seed[1]["status"] == "queued"
    phys(runs, "runs", "cancel", by_seed[1]["id"])
    time.sleep(1.0)
    statuses = {r["seed"]: r["status"] for r in phys_json(runs, "runs", "ls")}
    assert statuses == {0: "running", 1: "cancelled"}
    phys(runs, "runs", "cancel", group)
    assert [r["status"] for r in phys_json(runs, "runs", "show", group)["runs"]] == ["cancelled"] * 2


def test_cancelling_the_running_seed_lets_the_group_go_on(runs) -> None:
    """The running seed checkpoints and is cancelled; the group's process starts the next seed instead of
    stopping (before: the whole group stopped and the waiting seed showed `crashed`)."""
    group = start_long_group(runs, "2")
    by_seed = {r["seed"]: r for r in phys_json(runs, "runs", "ls")}
    phys(runs, "runs", "cancel", by_seed[0]["id"])
    deadline = time.time() + 60
    while time.time() < deadline and phys_json(runs, "runs", "show", by_seed[1]["id"])["status"] != "running":
        time.sleep(0.2)
    statuses = {r["seed"]: r["status"] for r in phys_json(runs, "runs", "ls")}
    assert statuses == {0: "cancelled", 1: "running"}
    assert "cancelled: progress is checkpointed" in (runs / by_seed[0]["id"] / "log.txt").read_text()
    phys(runs, "runs", "cancel", group)
    assert [r["status"] for r in phys_json(runs, "runs", "show", group)["runs"]] == ["cancelled"] * 2


def test_a_prefix_of_two_groups_is_ambiguous(tmp_path) -> None:
    from phys.core import groups
    from phys.core.ledger import Ledger

    root = tmp_path / "runs"
    for run_id, group in (("20261204-100000-reversal_curse-smoke-aaaa", "20261204-100000-reversal_curse-smoke-seeds-1111"),
                          ("20261204-100000-reversal_curse-smoke-bbbb", "20261204-100000-reversal_curse-smoke-seeds-2222")):
        Ledger(root).upsert_run({"id": run_id, "group": group, "status": "done", "seed": 0}, allow_missing=True)
    assert groups.resolve(root, "20261204-100000-reversal_curse-smoke-seeds-1") == \
        "20261204-100000-reversal_curse-smoke-seeds-1111"
    assert groups.resolve(root, "20261204-100000") is None  # a run's prefix too: the run resolver decides
    with pytest.raises(PhysError, match="matches 2 run groups"):
        groups.resolve(root, "20261204-100000-reversal_curse-smoke-seeds")


def test_seeds_take_a_lane_per_gpu_and_share_the_cpu_in_turn() -> None:
    from phys.core.executors import Execution, seed_lanes

    def devices(execution, seeds, gpus=4):
        return [lane.devices for lane in seed_lanes(execution, seeds, gpus)]

    assert devices(Execution("local", "0,1,2"), 3) == ["0", "1", "2"]  # one seed per GPU
    assert devices(Execution("local", "0,1,2"), 5) == ["0", "1", "2"]  # seeds 3, 4 wait for lanes 0, 1
    assert devices(Execution("local", "0,1"), 1) == ["0,1"]  # one seed keeps every GPU for its stages
    assert devices(Execution("local", "0,1,2,3", ddp=2), 2) == ["0,1", "2,3"]  # a lane is --ddp GPUs
    assert devices(Execution("local", "0,1", per_device=2), 2) == ["0", "1"]
    assert devices(Execution("local", "all"), 2, gpus=2) == ["0", "1"]
    assert devices(Execution("local", "cpu"), 3) == ["cpu"]  # the cores are shared: seeds in turn
    assert len(seed_lanes(Execution(), 3)) == 1  # inline
    assert seed_lanes(Execution("slurm"), 3) == [Execution("slurm")] * 3  # the cluster schedules the jobs


def test_a_group_on_gpus_records_each_seeds_lane(runs, monkeypatch) -> None:
    import torch

    from phys.core import launch
    from phys.core.executors import Execution

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)  # nothing runs: only the records are written
    group, run_ids = launch.create_group(runs, "reversal_curse", "smoke", [], [0, 1, 2], "auto",
                                         execution=Execution("local", "0,1"))
    assert launch.lanes(runs, run_ids) == [[run_ids[0], run_ids[2]], [run_ids[1]]]
    inline, inline_ids = launch.create_group(runs, "reversal_curse", "smoke", [], [0, 1], "cpu")
    assert launch.lanes(runs, inline_ids) == [inline_ids]


def test_lanes_run_at_once_and_the_group_follows_them(runs) -> None:
    from phys.cli.run_cmd import _follow_lanes
    from phys.core import launch
    from phys.core.groups import summary
    from phys.core.ledger import Ledger

    group, run_ids = launch.create_group(runs, "reversal_curse", "smoke", [], [0, 1], "cpu")
    assert _follow_lanes(runs, group, [[run_ids[0]], [run_ids[1]]]) is None  # two smoke runs, a few seconds
    record = summary(runs, group)
    assert record["status"] == "done" and [r["status"] for r in record["runs"]] == ["done", "done"]
    pids = {Ledger(runs).run(i)["pid"] for i in run_ids}
    assert len(pids) == 2  # each lane its own process
