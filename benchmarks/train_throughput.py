"""Training throughput of a recipe's model at a scale, on its real packed data: tokens/s.

    python benchmarks/train_throughput.py                      # reversal_curse at cpu scale
    python benchmarks/train_throughput.py --steps 200 --scale smoke --set train.precision=bf16

Builds the recipe's `data` stage in a temporary folder, then times `--steps` optimizer steps after
`--warmup` steps, and prints the median and best tokens/s over windows of `--window` steps. The acceptance
figure for the cpu scale of reversal_curse is 18,000 tokens/s (the prototype of CPU_SCALE.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _recipe_data import recipe_data  # noqa: E402

from phys.machine import cpu  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="reversal_curse")
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    from phys.science.data.packing import PackedStream
    from phys.science.train import autocast_dtype, make_optimizer, model_config, train_step
    from phys.science.model.gpt import GPT

    with recipe_data(args.recipe, args.scale, args.overrides) as (cfg, tokenizer, docs, _):
        stream = PackedStream(docs, cfg.block_size, cfg.batch_size, 0, tokenizer.eos_id, tokenizer.pad_id)
        device = args.device
        if device == "cpu":
            cpu.tune_for_training()
        torch.manual_seed(0)
        model = GPT(model_config(cfg, len(tokenizer))).to(device)
        optimizer = make_optimizer(model, cfg, device)
        amp = autocast_dtype(cfg, device)
        device_type = "cuda" if device.startswith("cuda") else "cpu"
        loss_fn = torch.compile(model.loss) if device_type == "cuda" and cfg.compile != "off" else model.loss

        def step(i: int) -> None:
            train_step(model, optimizer, loss_fn, stream, cfg, i, device, amp)

        for i in range(args.warmup):
            step(i)
        rates = []
        tokens_per_step = cfg.batch_size * cfg.block_size
        for w in range(args.steps // args.window):
            if device_type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for i in range(args.window):
                step(args.warmup + w * args.window + i)
            if device_type == "cuda":
                torch.cuda.synchronize()
            rates.append(tokens_per_step * args.window / (time.perf_counter() - t0))
    print(f"{args.recipe} @ {args.scale} on {device} ({'bf16' if amp else 'fp32'}, {torch.get_num_threads()} threads): "
          f"{model.num_params() / 1e6:.2f}M params, batch {cfg.batch_size} x {cfg.block_size} tokens, vocab {len(tokenizer)}")
    print(f"tokens/s: median {statistics.median(rates):,.0f}  best {max(rates):,.0f}  worst {min(rates):,.0f}  "
          f"({len(rates)} windows of {args.window} steps)")


if __name__ == "__main__":
    main()
