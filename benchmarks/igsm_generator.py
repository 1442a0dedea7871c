"""iGSM generator speed and the distributions it draws, beside the paper's definitions.

    python benchmarks/igsm_generator.py                    # iGSM-med: max_op 15, max_edge 20, 2,000 problems
    python benchmarks/igsm_generator.py --max-op 21 --max-edge 28 --problems 1000     # iGSM-hard
    python benchmarks/igsm_generator.py --max-op 6 --max-edge 10                      # the cpu scale

Prints problems/s and tokens/s (phys's word-level tokens of the whole training document) for the
official rejection procedure (the op budget s drawn independently of the target op, `redraw_s`) and for
the cheaper s = op, then the histograms of op (against P(op = k) = (2(max_op − k) + 1) / max_op²), of ip
(≤ max_edge) and of the solution length in tokens. One process; the data stage scales with `workers`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from phys.science.igsm.generate import draw, hash_bins
from phys.science.igsm.tokens import encode_sample, vocabulary
from phys.science.igsm.world import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-op", type=int, default=15)
    parser.add_argument("--max-edge", type=int, default=20)
    parser.add_argument("--problems", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tok = vocabulary(load())
    bins = hash_bins(17, "train")
    print(f"iGSM max_op={args.max_op} max_edge={args.max_edge}, {args.problems} training problems (hash < 17)")
    drawn = []
    for redraw_s in (True, False):
        rng = random.Random(args.seed)
        start = time.perf_counter()
        problems = [draw(rng, args.max_op, args.max_edge, bins=bins, redraw_s=redraw_s) for _ in range(args.problems)]
        generated = time.perf_counter() - start
        tokens = [len(encode_sample(tok, p)) for p in problems]
        total = time.perf_counter() - start
        label = "official (s redrawn)" if redraw_s else "s = op (cheaper)"
        print(f"  {label:22s} {args.problems / generated:8.0f} problems/s  {sum(tokens) / total:9.0f} tokens/s "
              f"(with tokenization)  {statistics.mean(tokens):.0f} tokens/problem")
        drawn.append(problems)
    problems = drawn[0]
    n, top = len(problems), args.max_op
    ops = Counter(p.op for p in problems)
    print("\nop (official procedure): measured share vs (2(max_op - k) + 1) / max_op^2")
    for k in range(1, top + 1):
        print(f"  op={k:2d}  {ops[k] / n:6.3f}  {(2 * (top - k) + 1) / top ** 2:6.3f}")
    ips = Counter(p.ip for p in problems)
    print(f"\nip (sentences, bound max_edge={args.max_edge}): max {max(ips)}, mean {statistics.mean(p.ip for p in problems):.1f}")
    print("  " + "  ".join(f"{k}:{ips[k] / n:.2f}" for k in sorted(ips)))
    lengths = [len(tok.encode(p.solution_text())) for p in problems]
    q = statistics.quantiles(lengths, n=10)
    print(f"\nsolution length (tokens): mean {statistics.mean(lengths):.0f}, median {statistics.median(lengths):.0f}, "
          f"p10 {q[0]:.0f}, p90 {q[-1]:.0f}, max {max(lengths)}")
    steps = Counter(len(p.steps) for p in problems)
    print("solution sentences: " + "  ".join(f"{k}:{steps[k] / n:.2f}" for k in sorted(steps)))


if __name__ == "__main__":
    main()
