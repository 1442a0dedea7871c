"""A big ledger: `phys runs ls --json` over 10,000 runs, and the time a run spends on a cached stage.

    python benchmarks/ledger_scale.py [--runs 10000] [--repeat 7]

1. Writes a ledger of `--runs` finished, failed and crashed runs (as `benchmarks/tui_runs.py` does), then
   times `phys runs ls --json` and `phys runs ls` as a user runs them: a new process each, median of
   `--repeat`. Target: 0.3 s for `--json`.
2. Runs reversal_curse at smoke scale once in that folder (it trains, a few seconds), then a second run
   of the same recipe whose every stage is a cache hit, and prints the time the runner spends on each
   cached stage (lock, store check, link, ledger record). Target: 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tui_runs import fill  # noqa: E402


def cold(root: Path, args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "phys", "--runs-dir", str(root), *args], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


def cached_stage_times(root: Path) -> dict[str, float]:
    from phys.core import launch, runner

    spent: dict[str, float] = {}
    original = runner.RunExecution._run_stage

    def timed(self, plan, name):
        t0 = time.perf_counter()
        try:
            return original(self, plan, name)
        finally:
            spent[name] = time.perf_counter() - t0

    runner.RunExecution._run_stage = timed
    try:
        args = ("reversal_curse", "smoke", [], 0, "cpu")
        runner.execute(root, launch.create_run(root, *args))  # computes every stage
        spent.clear()
        runner.execute(root, launch.create_run(root, *args))  # every stage a cache hit
    finally:
        runner.RunExecution._run_stage = original
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        fill(root, args.runs)
        size = (root / "ledger.json").stat().st_size
        print(f"ledger: {args.runs:,} runs, {size / 1e6:.1f} MB")
        for command in (["runs", "ls", "--json"], ["runs", "ls"]):
            times = cold(root, command, args.repeat)
            print(f"phys {' '.join(command)}: median {statistics.median(times):.3f} s, best {min(times):.3f} s "
                  f"({args.repeat} cold starts)")
        empty = Path(tmp) / "empty"
        times = cold(empty, ["runs", "ls", "--json"], args.repeat)
        print(f"phys runs ls --json on an empty folder (start-up alone): median {statistics.median(times):.3f} s")
        for label, folder in ((f"{args.runs:,} runs in the ledger", root), ("a fresh folder", Path(tmp) / "fresh")):
            spent = cached_stage_times(folder)
            per = ", ".join(f"{name} {1000 * s:.1f} ms" for name, s in spent.items())
            print(f"cached stages with {label}: {per} (max {1000 * max(spent.values()):.1f} ms)")


if __name__ == "__main__":
    main()
