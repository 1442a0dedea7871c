"""Data generation against training: tokens/s of a recipe's data stage and of training its model on them.

    python benchmarks/data_vs_train.py                       # reversal_curse (bios) and igsm_generalization
    python benchmarks/data_vs_train.py --recipe igsm_generalization --scale cpu --steps 30

Generation tokens/s = tokens of the training documents (each with its <eos>) / the data stage's wall
time (tokenizing and saving included). Training tokens/s = batch x window x steps / time, over `--steps`
steps after 3 warm-up steps, on the same documents. Data that generates slower than the model trains would
make a recipe's online-data variant wait on the generator; the data stages run once and are cached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _recipe_data import recipe_data  # noqa: E402

from phys.machine import cpu  # noqa: E402


def measure(recipe: str, scale: str, steps: int, device: str) -> None:
    from phys.science.data.packing import PackedStream
    from phys.science.model.gpt import GPT
    from phys.science.train import autocast_dtype, make_optimizer, model_config, train_step

    with recipe_data(recipe, scale) as (cfg, tokenizer, docs, seconds):
        tokens = len(docs.tokens) + len(docs)  # + one <eos> per document
        gen = tokens / seconds
        stream = PackedStream(docs, cfg.block_size, cfg.batch_size, 0, tokenizer.eos_id, tokenizer.pad_id)
        torch.manual_seed(0)
        if device == "cpu":
            cpu.tune_for_training()
        model = GPT(model_config(cfg, len(tokenizer))).to(device)
        optimizer = make_optimizer(model, cfg, device)
        amp = autocast_dtype(cfg, device)
        for step in range(3):
            train_step(model, optimizer, model.loss, stream, cfg, step, device, amp)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for step in range(3, 3 + steps):
            train_step(model, optimizer, model.loss, stream, cfg, step, device, amp)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        train = cfg.batch_size * cfg.block_size * steps / (time.perf_counter() - t0)
    print(f"{recipe} @ {scale}: data stage {seconds:.1f} s for {len(docs):,} documents, {tokens:,} tokens -> "
          f"{gen:,.0f} tokens/s; training {train:,.0f} tokens/s ({model.num_params() / 1e6:.2f}M params, {device}); "
          f"generation / training = {gen / train:.1f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", action="append", help="default: reversal_curse and igsm_generalization")
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    for recipe in args.recipe or ["reversal_curse", "igsm_generalization"]:
        measure(recipe, args.scale, args.steps, args.device)


if __name__ == "__main__":
    main()
