"""Training throughput of every cell of `capacity_scaling` at a scale, on its online data: tokens/s, and the
minutes each cell's exposures would take at that speed.

    python benchmarks/capacity_throughput.py                  # the cpu scale's cells
    python benchmarks/capacity_throughput.py --arms L2-d16,L2-d64 --set data.n_people=300

Times `--steps` optimizer steps after `--warmup` steps for each cell (median tokens/s over windows of
`--window` steps). Nothing is written: the population is built in memory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import torch

from phys.machine import cpu
from phys.core.plan import make_plan
from phys.core.registry import load_recipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--arms", default=None, help="comma-separated cells (default: the scale's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    from phys.science.data.packing import PackedStream
    from phys.science.model.gpt import GPT
    from phys.stages.capacity import build_population
    from phys.science.train import autocast_dtype, make_optimizer, model_config, train_step

    arms = args.arms.split(",") if args.arms else None
    plan = make_plan(load_recipe("capacity_scaling"), args.scale, args.overrides, arms=arms)
    data = plan.stage("data")
    population = build_population(data.config, data.seed)
    tok = population.tokenizer
    if args.device == "cpu":
        cpu.tune_for_training()
    print(f"capacity_scaling @ {args.scale}: {data.config.kind} N={data.config.n_people}, device {args.device}")
    print(f"{'cell':12} {'params':>9} {'tokens/s':>10} {'steps':>7} {'minutes':>8}")
    for stage in (s for s in plan.stages if s.role == "train"):
        cfg = stage.config
        stream = PackedStream(lambda e: population.render(np.random.default_rng([0, e, 1])).docs, cfg.block_size,
                              cfg.batch_size, 0, tok.eos_id, tok.pad_id)
        steps = cfg.steps or math.ceil(cfg.exposures * stream.windows_per_epoch() / cfg.batch_size)
        torch.manual_seed(0)
        model = GPT(model_config(cfg, len(tok))).to(args.device)
        optimizer = make_optimizer(model, cfg, args.device)
        amp = autocast_dtype(cfg, args.device)
        rates, t0, tokens = [], time.perf_counter(), 0
        for step in range(args.warmup + args.steps):
            if step == args.warmup:
                t0, tokens = time.perf_counter(), 0
            loss, n = train_step(model, optimizer, model.loss, stream, cfg, step, args.device, amp)
            loss.item()
            tokens += n
            if step >= args.warmup and (step - args.warmup + 1) % args.window == 0:
                rates.append(tokens / (time.perf_counter() - t0))
                t0, tokens = time.perf_counter(), 0
        rate = statistics.median(rates)
        minutes = steps * cfg.batch_size * cfg.block_size / rate / 60
        print(f"{stage.arm:12} {model.num_params():>9,} {rate:>10,.0f} {steps:>7} {minutes:>8.1f}")


if __name__ == "__main__":
    main()
