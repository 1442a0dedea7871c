"""Wall time of the listing commands a user runs over SSH: `phys recipes` and `phys runs ls`.

    python benchmarks/cli_latency.py [--runs-dir runs] [--repeat 7]

Prints the median and best of `--repeat` cold starts (a new process each) and whether torch was imported.
The target is 0.5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CHECK = "import sys, runpy; sys.argv = ['phys', *sys.argv[1:]]; " \
        "import phys.cli.main as m\ntry:\n    m.main()\nexcept SystemExit:\n    pass\n" \
        "print('torch imported' if 'torch' in sys.modules else 'torch not imported', file=sys.stderr)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for command in (["recipes"], ["--runs-dir", args.runs_dir, "runs", "ls"]):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "phys", *command], capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
        torch_note = subprocess.run([sys.executable, "-c", CHECK, *command], capture_output=True,
                                    text=True).stderr.strip().splitlines()[-1]
        print(f"phys {' '.join(command)}: median {statistics.median(times):.3f} s, best {min(times):.3f} s "
              f"({args.repeat} cold starts; {torch_note})")


if __name__ == "__main__":
    main()
