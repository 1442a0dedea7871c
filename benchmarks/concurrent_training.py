"""Two trainings at once against the same two one after the other: the wall of each, side by side.

    python benchmarks/concurrent_training.py                     # reversal_curse at cpu scale, 150 steps each
    python benchmarks/concurrent_training.py --steps 300 --old   # also both at once with 2 threads each

Each training is a whole `phys run recipe` (data, train, evaluate) in its own fresh runs folder, seeds 0
and 1, with `train.eval_every=0` so the training is all the step work. "serial" runs seed 0 and then
seed 1; "concurrent" starts both and waits for both; `--old` adds the two at once with `--threads` fixed
to the cores available (what phys did before it took a share of the cores: every process spinning one
OpenMP thread per core). The target: concurrent wall <= 1.15 x serial wall. On 2 cores the two
trainings at once each take one thread; one alone takes both, so the serial wall is the fair reference.

Print `phys doctor`'s CPU line beside the figures; nothing else may run on the machine meanwhile.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from phys.machine import cpu  # noqa: E402


def command(runs: Path, args: argparse.Namespace, seed: int, threads: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "phys", "--runs-dir", str(runs), "run", "recipe", args.recipe,
           "--scale", args.scale, "--seed", str(seed), "--set", f"train.steps={args.steps}",
           "--set", "train.eval_every=0", *(f"--set={o}" for o in args.overrides)]
    return cmd + (["--threads", str(threads)] if threads else [])


def wall(commands: list[list[str]], at_once: bool) -> float:
    """Seconds to run `commands`, all at once or one after the other; a failing one stops the benchmark."""
    t0 = time.perf_counter()
    if at_once:
        procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for c in commands]
        results = [(p, p.communicate()[1]) for p in procs]
    else:
        results = []
        for c in commands:
            p = subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            results.append((p, p.communicate()[1]))
    elapsed = time.perf_counter() - t0
    for p, err in results:
        if p.returncode not in (0, 3):  # 3: ran, but the verdict is not reproduced (short runs are not meant to)
            raise SystemExit(f"error: {' '.join(p.args)} exited {p.returncode}:\n{err[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="reversal_curse")
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--old", action="store_true", help="also both at once with all cores' threads each")
    args = parser.parse_args()
    cores = cpu.available_cores()
    print(f"{args.recipe} @ {args.scale}, {args.steps} steps a training, {cores} cores available, "
          f"auto precision {'bf16' if cpu.auto_bf16() else 'fp32'}", flush=True)
    if warning := cpu.load_warning(cores):
        print(f"warning: {warning}", flush=True)
    modes = [("serial", False, None), ("concurrent", True, None)]
    if args.old:
        modes.append((f"concurrent, --threads {cores} each", True, cores))
    walls = {}
    for name, at_once, threads in modes:
        with tempfile.TemporaryDirectory(prefix="phys-concurrent-") as tmp:
            commands = [command(Path(tmp) / f"runs{seed}", args, seed, threads) for seed in (0, 1)]
            walls[name] = wall(commands, at_once)
        ratio = walls[name] / walls["serial"]
        print(f"{name:>28}: {walls[name]:6.1f} s  ({ratio:.2f}x serial)", flush=True)
    print(f"concurrent / serial = {walls['concurrent'] / walls['serial']:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
