"""Pilot tests of `phys tui`: every screen driven by keys on a fixture runs folder (a finished, a running, a
crashed and a failed run); launch, cancel and resume act on real smoke runs. Waits are on the app's workers."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select
from textual.worker import WorkerCancelled

import tui_fixture as fx
from phys.core import launch, runs
from phys.errors import PhysError, describe
from phys.core.ledger import Ledger
from phys.core.plan import make_plan
from phys.recipes.reversal_curse import RECIPE
from phys.tui.app import make_app
from phys.tui.screens.compare import CompareScreen
from phys.tui.screens.launch import LaunchScreen
from phys.tui.screens.recipes import RecipesScreen
from phys.tui.screens.report import ReportScreen
from phys.tui.screens.run import RunScreen
from phys.tui.screens.runs import RunsScreen

SIZE = (80, 24)


@pytest.fixture
def fixture_root(tmp_path: Path) -> Path:
    return fx.build(tmp_path / "runs")


async def settle(pilot) -> None:
    """Let the app finish what it started: workers first, then the messages they posted."""
    for _ in range(5):  # a worker whose screen closed is cancelled: that counts as finished
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            continue
    await pilot.pause()


async def until(pilot, predicate, timeout: float = 120.0) -> None:
    """Drive the screen's own poll worker until `predicate()` holds (for work done by another process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the TUI to show the expected state"
        pilot.app.screen.poll()
        await settle(pilot)
        await asyncio.sleep(0.2)


def table_rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


def plain(widget) -> str:
    """What a Static shows, as plain text."""
    from rich.console import Console
    from rich.text import Text

    if isinstance(widget.content, Text):
        return widget.content.plain
    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(widget.content)
    return console.export_text().rstrip()


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def run(coro) -> None:
    asyncio.run(coro)


def append_metrics(root: Path, text: str) -> None:
    with open(root / fx.FINISHED / "metrics.jsonl", "a") as f:
        f.write(text)


async def open_finished(pilot) -> None:
    """From the runs screen, open the fixture's finished run (the second row)."""
    await settle(pilot)
    await pilot.press("down", "enter")
    await settle(pilot)


def test_curves_tab_cycles_loss_then_accuracies_and_survives_a_diverged_loss(fixture_root):
    append_metrics(fixture_root, '{"stage": "train", "step": 1400, "forward_test_acc": 0.9, "inverse_test_acc": 0}\n'
                                 '{"stage": "train", "step": 1410, "loss": Infinity}\n[1, 2]\n{"stage": "train", "st')

    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await open_finished(pilot)
            app.screen.query_one("#run-tabs").active = "tab-curves"
            await pilot.pause()
            plot = app.screen.query_one("#plot")
            assert plot.title == "loss" and list(plot.curves) == ["train.loss"]
            assert plot.curves["train.loss"][-1][0] == 1400.0  # inf, a list and a cut line are skipped
            await pilot.press("m")
            assert plot.title == "accuracy"
            assert list(plot.curves) == ["train.forward_test_acc", "train.inverse_test_acc"]
            await pilot.press("m", "m")
            assert plot.title == "loss"  # loss, accuracy, lr, and round again

    run(main())


def test_runs_screen_shows_derived_status_newest_first_and_filters(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, RunsScreen)
            rows = table_rows(app, "#runs")
            assert [r[0] for r in rows] == ["bbbb", "aaaa", "cccc", "dddd"]  # newest first
            status = {r[0]: r[3] for r in rows}
            assert status == {"aaaa": "done", "bbbb": "running", "cccc": "crashed", "dddd": "failed"}
            by_id = {r[0]: r for r in rows}
            assert by_id["bbbb"][4] == "train 50%" and by_id["bbbb"][6] == "10m"
            assert by_id["aaaa"][5] == "reproduced" and by_id["aaaa"][7] == "5m09s"
            assert by_id["cccc"][4] == "at train"
            await pilot.press("slash", *"crashed", "enter")
            assert [r[0] for r in table_rows(app, "#runs")] == ["cccc"]
            await pilot.press("escape")
            assert len(table_rows(app, "#runs")) == 4

    run(main())


def test_run_screen_shows_stages_checks_curves_and_log(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await open_finished(pilot)
            screen = app.screen
            assert isinstance(screen, RunScreen) and screen.run_id == fx.FINISHED
            stages = table_rows(app, "#stages")
            assert [r[0] for r in stages] == ["data", "train", "evaluate"]
            assert [r[4] for r in stages] == ["2.1s", "290.4s", "8.7s"]
            checks = {r[0]: (r[1], r[2], r[3]) for r in table_rows(app, "#checks")}
            assert checks["forward_test_acc"] == ("0.958", ">= 0.8", "pass")
            assert checks["inverse_test_acc"] == ("0", "<= 0.05", "pass")
            assert "train.loss" in screen.view.curves and len(screen.view.curves["train.loss"]) == 140
            screen.query_one("#run-tabs").active = "tab-log"
            await pilot.pause()
            assert len(screen.query_one("#log").lines) >= 1
            files = [r[0] for r in table_rows(app, "#files")]
            assert "run.json" in files and "metrics.jsonl" in files
            await pilot.press("escape")
            assert isinstance(app.screen, RunsScreen)

    run(main())


def test_running_run_shows_progress_of_its_stage(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            stages = {r[0]: r for r in table_rows(app, "#stages")}
            assert stages["data"][3] == "hit"
            assert stages["train"][1] == "running" and stages["train"][2].startswith("700/1400")
            assert stages["train"][5] == "gpu 1"  # the slot of a stage a worker runs (--devices)
            assert stages["evaluate"][1] == "pending"

    run(main())


async def select_recipe(pilot, name: str) -> str:
    """Move down the recipes list (headings are skipped) until `name` is shown; its details' text."""
    for _ in range(20):
        text = plain(pilot.app.screen.query_one("#recipe-details"))
        if f"· {name}" in text:
            return text
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError(f"recipe {name} not reached")


def test_recipes_screen_shows_claim_paper_numbers_scales_and_last_verdict(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("1")
            assert isinstance(app.screen, RecipesScreen)
            assert "Part 2.1 · igsm_depth" in plain(app.screen.query_one("#recipe-details"))  # the lowest part first
            text = await select_recipe(pilot, "reversal_curse")  # past the Part 3.2 heading
            assert "inverse search stays at ~0%" in text.replace("\n", " ")
            assert "96.6%" in text and "last verdict" in text and "reproduced" in text
            assert "cpu" in text and "5m09s here" in text  # measured from the finished run
            await pilot.press("2")
            assert isinstance(app.screen, RunsScreen)

    run(main())


def test_launch_form_shows_a_bad_override_inline_and_launches_nothing(fixture_root):
    async def main():
        before = Ledger(fixture_root).runs()
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("1")
            await select_recipe(pilot, "reversal_curse")
            await pilot.press("l")
            form = app.screen
            assert isinstance(form, LaunchScreen)
            await pilot.press(*"train.stepz=5")
            await pilot.pause()
            with pytest.raises(PhysError) as expected:
                make_plan(RECIPE, "cpu", ["train.stepz=5"], 0, "cpu")
            assert plain(form.query_one("#launch-check")) == describe(expected.value)
            assert form.query_one("#launch").disabled
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, LaunchScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, RecipesScreen)
        assert Ledger(fixture_root).runs() == before

    run(main())


def test_launch_a_smoke_run_through_the_form_and_see_it_finish(runs):
    async def main():
        app = make_app(runs, poll_s=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, RecipesScreen)  # an empty runs folder opens on the recipes
            await select_recipe(pilot, "reversal_curse")
            await pilot.press("l")
            form = app.screen
            form.query_one("#scale", Select).value = "smoke"
            form.query_one("#device", Select).value = "cpu"
            form.query_one("#overrides", Input).value = "train.steps=20"
            await pilot.pause()
            assert not form.query_one("#launch").disabled
            await pilot.press("ctrl+s")
            await settle(pilot)  # the launch worker returns once `phys run … --detach` has started the run
            screen = app.screen
            assert isinstance(screen, RunScreen)
            await until(pilot, lambda: screen.view is not None and screen.view.record["status"] == "done")
            assert screen.view.record["verdict"] in ("inconclusive", "not reproduced", "reproduced")
            assert len(table_rows(app, "#checks")) == len(RECIPE.checks)
            await pilot.press("escape")
            await until(pilot, lambda: table_rows(app, "#runs") and table_rows(app, "#runs")[0][3] == "done")
        record = Ledger(runs).runs()[0]
        assert record["overrides"] == ["train.steps=20"] and record["scale"] == "smoke"

    run(main())


def test_cancel_a_running_run(runs):
    run_id = launch.create_run(runs, "reversal_curse", "smoke", ["train.steps=100000"], 0, "cpu")
    launch.spawn(runs, run_id)

    async def main():
        app = make_app(runs, poll_s=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, RunScreen) and screen.run_id == run_id
            await until(pilot, lambda: screen.view and screen.view.record["stages"].get("train", {}).get("status")
                        == "running")
            await pilot.press("x")
            await pilot.press("y")
            await settle(pilot)  # the cancel worker returns when the run has stopped
            await until(pilot, lambda: screen.view.record["status"] == "cancelled")
        assert runs_status(runs, run_id) == "cancelled"

    try:
        run(main())
    finally:
        _kill(runs, run_id)


def test_resume_a_crashed_run(runs):
    run_id = launch.create_run(runs, "reversal_curse", "smoke", [], 0, "cpu")
    Ledger(runs).update_run(run_id, status="running", pid=4_194_303, pid_start="0")

    async def main():
        app = make_app(runs, poll_s=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert table_rows(app, "#runs")[0][3] == "crashed"
            await pilot.press("enter")
            screen = app.screen
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            assert not [m for m in notifications(app) if m.startswith("error:")]
            await until(pilot, lambda: screen.view.record["status"] == "done")

    try:
        run(main())
    finally:
        _kill(runs, run_id)


def test_a_finished_run_offers_neither_cancel_nor_resume(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await open_finished(pilot)
            keys = app.screen.active_bindings
            assert "p" in keys and "x" not in keys and "r" not in keys  # the footer shows what can be done
            await pilot.press("x")
            assert isinstance(app.screen, RunScreen)  # no confirmation dialog
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("down", "enter")  # the next row: the crashed run, which offers both
            await settle(pilot)
            assert app.screen.view.record["status"] == "crashed"
            assert "x" in app.screen.active_bindings and "r" in app.screen.active_bindings

    run(main())


def test_compare_two_runs(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("space", "down", "space")
            assert [r[0] for r in table_rows(app, "#runs")][:2] == ["•bbbb", "•aaaa"]
            await pilot.press("c")
            await settle(pilot)
            assert isinstance(app.screen, CompareScreen)
            rows = {r[0]: r[1:] for r in table_rows(app, "#compare")}
            assert rows["seed"] == ["1", "0"] and rows["train.lr"] == ["0.002", "0.005"]
            assert rows["verdict"] == ["—", "reproduced"]

    run(main())


def test_report_is_written_and_opened(fixture_root):
    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await open_finished(pilot)
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, ReportScreen)
        folder = fixture_root / fx.FINISHED
        assert "| forward QA works on unseen people" in (folder / "report.md").read_text()
        assert (folder / "figures" / "curves.png").stat().st_size > 1000

    run(main())


def test_damaged_ledger_is_a_notification_with_the_cli_message(fixture_root):
    (fixture_root / "ledger.json").write_text("{not json")

    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            with pytest.raises(PhysError) as expected:
                Ledger(fixture_root).runs()
            assert describe(expected.value) in notifications(app)
            await pilot.press("1", "2")  # still alive and usable
            assert isinstance(app.screen, RunsScreen)

    run(main())


def test_read_only_refuses_actions_and_writes_nothing(fixture_root):
    def snapshot() -> dict[str, float]:
        return {str(p): p.stat().st_mtime for p in fixture_root.rglob("*") if p.name != "heartbeat"}

    before = snapshot()

    async def main():
        app = make_app(fixture_root, read_only=True, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("down", "down", "enter")  # the crashed run
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            assert notifications(app)[-1].startswith("error: the TUI is read-only")
            await pilot.press("p")  # the crashed run has no report.md, and read-only writes none
            await settle(pilot)
            assert notifications(app)[-1].startswith("error: run 20261129-093000-reversal_curse-smoke-cccc has no report")
            assert isinstance(app.screen, RunScreen)
            await pilot.press("escape", "1", "l")
            assert isinstance(app.screen, RecipesScreen)

    run(main())
    assert snapshot() == before


def test_a_big_table_fills_in_chunks_keeps_the_cursor_and_updates_cells(tmp_path):
    root = tmp_path / "runs"
    ids = fx.build_many(root, 500)

    async def main():
        app = make_app(root, clock=fx.frozen_clock, poll_s=3600)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            table = screen.query_one("#runs", DataTable)
            while table.row_count < 500:  # the first screenful, then chunks between refreshes
                await pilot.pause()
            await pilot.press(*["down"] * 70)
            assert screen.current_id() == ids[70]
            # A run finishing elsewhere: the same runs in the same order, so only its cells change.
            record = Ledger(root).run(ids[3])
            Ledger(root).upsert_run({**record, "verdict": "not reproduced"})
            screen.poll()
            await settle(pilot)
            assert str(table.get_row(ids[3])[5]) == "not reproduced" and screen.current_id() == ids[70]
            # A new run on top: the table is rebuilt and the cursor stays on the same run.
            Ledger(root).upsert_run({**record, "id": "20261129-120000-reversal_curse-cpu-ffff", "seed": 999})
            screen.poll()
            await settle(pilot)
            while table.row_count < 501:
                await pilot.pause()
            assert screen.current_id() == ids[70]
            assert table.cursor_row == 71

    run(main())


def test_a_run_removed_while_marked_or_viewed_is_no_crash(fixture_root):
    import shutil

    async def main():
        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("down", "space")
            await pilot.press("enter")
            await settle(pilot)
            Ledger(fixture_root).remove_run(fx.FINISHED)
            shutil.rmtree(fixture_root / fx.FINISHED)
            app.screen.poll()
            await settle(pilot)
            assert "error: no run '20261129-101500-reversal_curse-cpu-aaaa'\nhint: see `phys runs ls`" in notifications(app)
            await pilot.press("escape")
            app.screen.poll()
            await settle(pilot)
            assert app.screen.marked == [] and len(table_rows(app, "#runs")) == 3

    run(main())


def runs_status(root: Path, run_id: str) -> str:
    return runs.get(root, run_id)["status"]


def _kill(root: Path, run_id: str) -> None:
    """Leave no training behind if a test failed half-way."""
    record = Ledger(root).run(run_id) or {}
    if record.get("pid") and runs_status(root, run_id) in ("running", "queued"):
        try:
            os.kill(int(record["pid"]), 9)
        except ProcessLookupError:
            pass


GROUP = "20261129-080000-reversal_curse-cpu-seeds-eeee"


def add_group(root: Path) -> list[str]:
    """Three finished seeds of one run group: two reproduce, the third's forward QA fails."""
    from phys.core.verdict import judge

    ids = []
    for seed, forward in ((0, 0.95), (1, 0.9), (2, 0.5)):
        metrics = {"forward_test_acc": forward, "inverse_test_acc": 0.0, "forward_train_acc": 0.99,
                   "inverse_train_acc": 0.9}
        verdict, checks = judge(RECIPE.checks, metrics)
        run_id = f"20261129-080000-reversal_curse-cpu-e00{seed}"
        fx._write(root, run_id, "cpu", seed, -14400 + seed, {
            "status": "done", "verdict": verdict, "checks": [c.to_dict() for c in checks], "metrics": metrics,
            "group": GROUP, "started": fx._at(-14399 + 200 * seed), "ended": fx._at(-14200 + 200 * seed)})
        ids.append(run_id)
    return ids


def test_a_run_group_is_one_row_that_opens_its_seeds(fixture_root):
    seeds = add_group(fixture_root)

    async def main():
        from phys.tui.screens.group import GroupScreen

        app = make_app(fixture_root, clock=fx.frozen_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            rows = table_rows(app, "#runs")
            assert [r[0] for r in rows] == ["bbbb", "aaaa", "cccc", "eeee", "dddd"]  # its seeds' rows are not shown
            group = rows[3]
            assert group[4] == "3/3 seeds" and group[5] == "mixed 2/3" and group[7] == "9m59s"  # first start to last end
            await pilot.press("down", "down", "down", "space")
            assert "cannot be compared" in notifications(app)[-1]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, GroupScreen)
            assert [r[0] for r in table_rows(app, "#group-seeds")] == ["0", "1", "2"]
            checks = table_rows(app, "#group-checks")
            assert checks[0][0] == "forward QA works on unsee…" and checks[0][-1] == "2/3"
            assert "mixed 2/3" in plain(app.screen.query_one("#group-title"))
            await pilot.press("down", "enter")
            await settle(pilot)
            assert isinstance(app.screen, RunScreen) and app.screen.run_id == seeds[1]

    run(main())


def test_recipes_screen_estimates_a_scale_from_the_throughput_measured_here(runs, monkeypatch):
    from phys.core.budget import budget
    from phys.machine import cpu

    monkeypatch.setattr(cpu, "load_warning", lambda: None)  # kept even if the machine is busy
    budget(make_plan(RECIPE, "smoke"), runs, "cpu", lambda cfg, vocab, device: 10_000.0)  # what a probe leaves

    async def main():
        app = make_app(runs)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await select_recipe(pilot, "reversal_curse")
            for _ in range(50):  # the estimate comes from a worker once the highlight rests
                await pilot.pause(0.1)
                text = plain(app.screen.query_one("#recipe-details"))
                if "budget from the" in text:
                    break
            assert "of training here (budget from the throughput measured on this machine)" in text
            assert "6 s on 2 CPU cores" not in text  # smoke's hand-written estimate gives way

    run(main())
