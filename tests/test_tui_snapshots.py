"""Snapshots of the TUI at 80x24 on the deterministic fixture (frozen clock, fixed ids, no blinking cursor in
view). Update them after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui_fixture as fx
from phys.tui.app import make_app

SIZE = (80, 24)


@pytest.fixture
def app(tmp_path: Path):
    # A fixed path: the runs folder appears in the app's subtitle.
    root = fx.build(tmp_path / "runs")
    return make_app(root, clock=fx.frozen_clock, poll_s=3600)


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_runs_screen(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=settled)


def test_run_screen_overview(app, snap_compare):
    async def open_finished(pilot):
        await settled(pilot)
        await pilot.press("down", "enter")
        await settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_finished)


def test_run_screen_curves(app, snap_compare):
    async def open_curves(pilot):
        await settled(pilot)
        await pilot.press("down", "enter")
        await settled(pilot)
        pilot.app.screen.query_one("#run-tabs").active = "tab-curves"
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_curves)


def test_recipes_screen(app, snap_compare):
    async def recipes(pilot):
        await settled(pilot)
        await pilot.press("1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=recipes)
