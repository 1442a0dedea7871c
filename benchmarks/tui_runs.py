"""How the TUI's runs screen copes with a big ledger: time to a filled table, keys while scrolling, a live
refresh, filtering. Run: `python benchmarks/tui_runs.py [--runs 2000]` (headless, 80x24).

The ledger is written directly (2,000 finished, failed and crashed runs, as `phys ledger rebuild` would
write them); nothing trains.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from phys.core.ledger import Ledger
from phys.core.rundir import RunDir


def fill(root: Path, n: int) -> None:
    runs = []
    base = time.mktime(time.strptime("2026-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S"))
    statuses = ("done", "done", "done", "failed", "running")  # `running` with a dead pid: derived `crashed`
    for i in range(n):
        created = base + 3600 * i
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        run_id = f"{stamp}-reversal_curse-{'cpu' if i % 3 else 'smoke'}-{i % 65536:04x}"
        status = statuses[i % len(statuses)]
        RunDir(root, run_id).path.mkdir(parents=True)
        runs.append({
            "id": run_id, "recipe": "reversal_curse", "scale": "cpu" if i % 3 else "smoke", "seed": i, "overrides": [],
            "device": "cpu", "created": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(created)),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(created + 1)),
            "ended": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(created + 300)),
            "status": status, "verdict": "reproduced" if status == "done" else None, "pid": 4_194_303,
            "pid_start": "0", "host": "elsewhere", "error": None, "metrics": {"forward_test_acc": 0.95},
            "checks": [], "stages": {"data": {"status": "done"}, "train": {"status": "done" if status == "done" else "failed"}},
        })
    Ledger(root).replace_all(runs, [])


async def measure(root: Path, n: int) -> dict[str, float]:
    from phys.tui.app import make_app
    from phys.tui.screens.runs import RunsScreen

    t0 = time.perf_counter()
    app = make_app(root, poll_s=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one("#runs")
        first = time.perf_counter() - t0
        while table.row_count < n:
            await pilot.pause()
        filled = time.perf_counter() - t0

        keys = []
        for key in ["down"] * 200 + ["pagedown"] * 30 + ["pageup"] * 30:
            t = time.perf_counter()
            await pilot.press(key)
            keys.append(time.perf_counter() - t)

        refresh = []
        for _ in range(5):
            t = time.perf_counter()
            screen.poll()
            await app.workers.wait_for_complete()
            await pilot.pause()
            refresh.append(time.perf_counter() - t)

        t = time.perf_counter()
        await pilot.press("slash", *"smoke fail", "enter")
        filtered = time.perf_counter() - t
    return {"first_paint_s": first, "filled_s": filled, "key_median_ms": 1000 * statistics.median(keys),
            "key_max_ms": 1000 * max(keys), "refresh_median_ms": 1000 * statistics.median(refresh),
            "filter_s": filtered}


def tmux_first_paint(root: Path, n: int, tries: int = 3) -> list[float]:
    """Seconds from starting `phys tui` in a real 80x24 terminal (tmux) to the filled runs screen on it."""
    import shutil
    import subprocess
    import sys

    if not shutil.which("tmux"):
        return []
    tmux = ["tmux", "-L", "phys-bench"]  # a private server, kept alive by one idle session
    subprocess.run([*tmux, "new-session", "-d", "-s", "keep", "sleep 600"], check=True)
    times = []
    try:
        for i in range(tries):
            session = f"tui{i}"
            t0 = time.perf_counter()
            subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                            f"{sys.executable} -m phys --runs-dir {root} tui"], check=True)
            while time.perf_counter() - t0 < 20:
                pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True)
                if f"{n} runs" in pane.stdout:
                    times.append(time.perf_counter() - t0)
                    break
                time.sleep(0.01)
            subprocess.run([*tmux, "kill-session", "-t", session], capture_output=True)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        fill(root, args.runs)
        size = (root / "ledger.json").stat().st_size / 1e6
        figures = asyncio.run(measure(root, args.runs))
        paints = tmux_first_paint(root, args.runs)
    print(f"runs screen with {args.runs} runs (ledger {size:.1f} MB), headless 80x24:")
    print(f"  app start to first rows     {figures['first_paint_s']:.2f} s")
    print(f"  app start to all rows       {figures['filled_s']:.2f} s (added in chunks between refreshes)")
    print(f"  one key while scrolling     median {figures['key_median_ms']:.1f} ms, max {figures['key_max_ms']:.1f} ms "
          f"(260 keys: down, page down, page up)")
    print(f"  live refresh (poll + diff)  median {figures['refresh_median_ms']:.0f} ms")
    print(f"  typing a 10-key filter      {figures['filter_s']:.2f} s")
    if paints:
        print("  `phys tui` in tmux 80x24, start to runs on screen: "
              + ", ".join(f"{t:.2f}" for t in paints) + " s (includes Python start-up)")
    else:
        print("  (tmux not found: no real-terminal first-paint figure)")


if __name__ == "__main__":
    main()
