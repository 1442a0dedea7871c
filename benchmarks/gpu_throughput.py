"""GPU training throughput and MFU of phys's model at GPT2-small's shape (12 x 768, 12 heads).

    python benchmarks/gpu_throughput.py                       # bf16 autocast, torch.compile, fused AdamW
    python benchmarks/gpu_throughput.py --batch 16 --block 1024 --steps 50 --no-compile

Trains on random tokens (the loss on every position) with `phys.science.train.train_step`, the same step a stage
takes. MFU = achieved FLOP/s / the GPU's peak dense bf16 FLOP/s, counting 6 N per token for the weights
(N without the embedding, plus the tied output layer) and 12 L T d per token for attention (PaLM's
accounting). Peak: `--peak-tflops`, else looked up from the device name (H100/H200 SXM 989, A100 312).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "4090": 165.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--vocab", type=int, default=50304)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--peak-tflops", type=float, default=0.0)
    parser.add_argument("--device", default="cuda", help="cuda; cpu only to try the script on a tiny shape")
    args = parser.parse_args()
    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("error: no GPU visible (this benchmark measures GPU training)")
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    from phys.science.data.packing import RandomStream
    from phys.science.model.gpt import GPT, GPTConfig
    from phys.stages.train import TrainConfig
    from phys.science.train import autocast_dtype, make_optimizer, train_step

    cfg = TrainConfig(n_layer=12, n_head=12, n_embd=768, block_size=args.block, batch_size=args.batch,
                      steps=10**6, compile="off" if args.no_compile else "on")
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=args.vocab, **cfg.model_fields())).to(device)
    optimizer = make_optimizer(model, cfg, device)
    amp = autocast_dtype(cfg, device)
    loss_fn = model.loss if args.no_compile else torch.compile(model.loss)
    stream = RandomStream(args.batch, args.block, args.vocab)
    t0 = time.perf_counter()
    for step in range(args.warmup):
        train_step(model, optimizer, loss_fn, stream, cfg, step, device, amp)
    sync()
    print(f"warm-up ({args.warmup} steps{'' if args.no_compile else ', compile included'}): "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    rates = []
    for w in range(args.steps // 10):
        sync()
        t0 = time.perf_counter()
        for i in range(10):
            train_step(model, optimizer, loss_fn, stream, cfg, args.warmup + 10 * w + i, device, amp)
        sync()
        rates.append(10 * args.batch * args.block / (time.perf_counter() - t0))
    tok_s = statistics.median(rates)
    n = model.num_params(non_embedding=True) + model.lm_head.weight.numel()
    flops_per_token = 6 * n + 12 * cfg.n_layer * args.block * cfg.n_embd
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), 0.0)
    mfu = tok_s * flops_per_token / (peak * 1e12) if peak else float("nan")
    print(f"{name}: GPT2-small shape ({model.num_params() / 1e6:.0f}M params), batch {args.batch} x {args.block}, "
          f"{'bf16' if amp else 'fp32'}{'' if args.no_compile else ', compiled'}: {tok_s:,.0f} tokens/s "
          f"(median of {len(rates)} windows of 10 steps), {tok_s * flops_per_token / 1e12:.1f} TFLOP/s, "
          f"MFU {mfu:.1%} of {peak:.0f} TFLOP/s", flush=True)
    if device.startswith("cuda"):
        print(f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
