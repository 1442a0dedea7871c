"""Run a recipe at several seeds and print, per check, the measured value of every seed and whether the
finding's direction held: `python scripts/seeds.py knowledge_storage --scale cpu --seeds 0 1 2`.

Each seed is an ordinary `phys run recipe … --seed N` (cached stages are reused, so a rerun after an
interruption continues); the runs stay in the runs folder for `phys runs compare`. With `--report-only`
nothing runs: the table is built from the latest finished run of each seed (without `--set` overrides)
already in the runs folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--report-only", action="store_true", help="print the table from runs already finished")
    args = parser.parse_args()
    records = finished(args) if args.report_only else []
    for seed in [] if args.report_only else args.seeds:
        print(f"seed {seed}: running {args.recipe} at {args.scale}…", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", "phys", "--runs-dir", args.runs_dir, "run", "recipe", args.recipe,
                               "--scale", args.scale, "--seed", str(seed), "--device", args.device, "--json"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"seed {seed} failed:\n{proc.stderr[-2000:]}")
        records.append(json.loads(proc.stdout))
    names = list(dict.fromkeys(c["name"] for r in records for c in r["checks"]))
    print(f"{args.recipe} @ {args.scale}, seeds {' '.join(map(str, args.seeds))}")
    print(f"{'check':58} " + " ".join(f"{'seed ' + str(s):>11}" for s in args.seeds) + "  held")
    for name in names:
        checks = [next((c for c in r["checks"] if c["name"] == name), None) for r in records]
        cells = ["—" if c is None or c["measured"] is None else f"{c['measured']:.3f} {'ok' if c['passed'] else 'NO'}"
                 for c in checks]
        held = sum(bool(c and c["passed"]) for c in checks)
        print(f"{name[:58]:58} " + " ".join(f"{cell:>11}" for cell in cells) + f"  {held}/{len(records)}")
    print("verdicts: " + ", ".join(f"seed {s} {r['verdict']}" for s, r in zip(args.seeds, records)))
    for r in records:
        print(f"  {r['id']}")


def finished(args: argparse.Namespace) -> list[dict]:
    """The latest finished run of each seed, in seed order; exits when a seed has none."""
    proc = subprocess.run([sys.executable, "-m", "phys", "--runs-dir", args.runs_dir, "runs", "ls", "--json"],
                          capture_output=True, text=True, check=True)
    runs = [r for r in json.loads(proc.stdout) if r["recipe"] == args.recipe and r["scale"] == args.scale
            and r["status"] == "done" and not r["overrides"]]
    records = []
    for seed in args.seeds:
        mine = sorted((r for r in runs if r["seed"] == seed), key=lambda r: r["created"])
        if not mine:
            sys.exit(f"no finished {args.recipe} run at {args.scale} with seed {seed} in {args.runs_dir}")
        records.append(mine[-1])
    return records


if __name__ == "__main__":
    main()
