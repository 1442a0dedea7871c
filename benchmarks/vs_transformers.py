"""Training tokens/s of phys against Hugging Face `transformers`, side by side in one process.

    pip install transformers                     # the baseline (not a dependency of phys)
    python benchmarks/vs_transformers.py                       # cpu-scale model and GPT2-small
    python benchmarks/vs_transformers.py --size cpu --rounds 9 --baseline llama

The baseline is what a researcher would write with the usual stack: a `GPTNeoXForCausalLM` of the same
shape as phys's model (layers, width, heads, vocabulary, window; rotary on a quarter of each head as in
[3.1 App. B], sequential residual, GELU MLP, tied embeddings) — or with `--baseline llama` a
`LlamaForCausalLM` of the same width and depth — trained by a plain loop: `model(input_ids, labels=…)`,
`backward`, gradient clipping, `torch.optim.AdamW`. Both train on the same packed batches of the recipe's
real data (`labels` = -100 where phys masks the target) with the same optimizer settings.

phys runs as `phys.science.train` does: its own precision policy (bf16 autocast only where the hardware has
bf16), `torch.compile` on CUDA, fused AdamW. The baseline runs in fp32 unless `--baseline-amp`
gives it the same autocast. Each round times `--steps` steps of phys and then of the baseline after
`--warmup` untimed steps of each; the figure is the median over rounds of the per-round ratio, so load
drifting on the machine hits both sides alike.

`--best` compares best against best: every round times each side in fp32 and in bf16 autocast (four
timings a round, interleaved), each side's precision is the one with the higher median over the rounds,
and the figure is the median per-round ratio of those two. Run `phys doctor` first and quote its CPU line
(native bf16 or not) with the figure: the best precision differs between the kinds of CPU.
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

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}
SIZES = {
    # the cpu scale's model as the recipe defines it
    "cpu": [],
    # GPT2-small's shape: 12 layers x 768, 12 heads, 512-token windows
    "gpt2-small": ["train.n_layer=12", "train.n_head=12", "train.n_embd=768", "train.block_size=512",
                   "train.batch_size=8"],
}


def neox_baseline(cfg, vocab: int):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    config = GPTNeoXConfig(
        vocab_size=vocab, hidden_size=cfg.n_embd, num_hidden_layers=cfg.n_layer, num_attention_heads=cfg.n_head,
        intermediate_size=4 * cfg.n_embd, hidden_act="gelu", max_position_embeddings=2 * cfg.block_size,
        use_parallel_residual=False, tie_word_embeddings=True, attention_bias=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10_000.0, "partial_rotary_factor": cfg.rotary_pct},
        bos_token_id=None, eos_token_id=None, pad_token_id=None, use_cache=False,
    )
    return GPTNeoXForCausalLM(config)


def llama_baseline(cfg, vocab: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab, hidden_size=cfg.n_embd, num_hidden_layers=cfg.n_layer, num_attention_heads=cfg.n_head,
        intermediate_size=round(4 * cfg.n_embd * 2 / 3), max_position_embeddings=2 * cfg.block_size,
        tie_word_embeddings=True, bos_token_id=None, eos_token_id=None, pad_token_id=None, use_cache=False,
    )
    return LlamaForCausalLM(config)


def measure(size: str, args: argparse.Namespace) -> float:
    from phys.science.data.packing import PackedStream
    from phys.science.model.gpt import GPT
    from phys.science.train import autocast_dtype, make_optimizer, model_config, train_step

    device = args.device
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    with recipe_data(args.recipe, args.scale, [*SIZES[size], *args.overrides]) as (cfg, tokenizer, docs, _):
        stream = PackedStream(docs, cfg.block_size, cfg.batch_size, 0, tokenizer.eos_id, tokenizer.pad_id)
        vocab = len(tokenizer)
        torch.manual_seed(0)
        if device == "cpu":
            cpu.tune_for_training()
        phys_model = GPT(model_config(cfg, vocab)).to(device)
        phys_opt = make_optimizer(phys_model, cfg, device)
        amp = autocast_dtype(cfg, device)
        compiled = cfg.compile == "on" or (cfg.compile == "auto" and device_type == "cuda")
        phys_loss = torch.compile(phys_model.loss) if compiled else phys_model.loss

        hf = (llama_baseline if args.baseline == "llama" else neox_baseline)(cfg, vocab).to(device)
        hf.train()
        hf_opt = torch.optim.AdamW(hf.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                                   weight_decay=cfg.weight_decay)
        hf_amp = amp if args.baseline_amp else None

        def phys_step(step: int) -> None:
            train_step(phys_model, phys_opt, phys_loss, stream, cfg, step, device, amp)

        def hf_step(step: int) -> None:
            x, y, mask = (torch.from_numpy(a).to(device) for a in stream.batch(step))
            labels = torch.cat([x[:, :1], y], dim=1)[:, :-1].clone()  # HF shifts labels by one itself
            labels[:, 1:][~mask[:, :-1]] = -100
            labels[:, 0] = -100
            with torch.autocast(device_type, dtype=hf_amp or torch.float32, enabled=hf_amp is not None):
                loss = hf(input_ids=x, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(hf.parameters(), cfg.grad_clip)
            hf_opt.step()
            hf_opt.zero_grad(set_to_none=True)

        def phys_in(dtype):
            return lambda step: train_step(phys_model, phys_opt, phys_loss, stream, cfg, step, device, dtype)

        def hf_in(dtype):
            def step_fn(step: int) -> None:
                nonlocal hf_amp
                hf_amp = dtype
                hf_step(step)
            return step_fn

        def timed(step_fn, first: int) -> float:
            if device_type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for i in range(args.steps):
                step_fn(first + i)
            if device_type == "cuda":
                torch.cuda.synchronize()
            return cfg.batch_size * cfg.block_size * args.steps / (time.perf_counter() - t0)

        if args.best:
            return best_against_best(size, args, phys_in, hf_in, timed, cfg, device)
        for i in range(args.warmup):
            phys_step(i)
            hf_step(i)
        n_phys, n_hf = phys_model.num_params(), sum(p.numel() for p in hf.parameters())
        print(f"{size}: phys GPT {n_phys / 1e6:.2f}M params vs {type(hf).__name__} {n_hf / 1e6:.2f}M, batch "
              f"{cfg.batch_size} x {cfg.block_size}, vocab {vocab}, {device} ({torch.get_num_threads()} threads), "
              f"phys {'bf16' if amp else 'fp32'}{' compiled' if compiled else ''}, "
              f"baseline {'bf16' if hf_amp else 'fp32'}", flush=True)
        ratios, phys_rates, hf_rates = [], [], []
        for r in range(args.rounds):
            first = args.warmup + r * args.steps
            p, h = timed(phys_step, first), timed(hf_step, first)
            phys_rates.append(p)
            hf_rates.append(h)
            ratios.append(p / h)
            print(f"  round {r + 1}: phys {p:,.0f} tok/s, transformers {h:,.0f} tok/s, ratio {p / h:.2f}", flush=True)
        ratio = statistics.median(ratios)
        print(f"{size}: median phys {statistics.median(phys_rates):,.0f} tok/s, transformers "
              f"{statistics.median(hf_rates):,.0f} tok/s; median ratio {ratio:.2f}x over {args.rounds} rounds "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})", flush=True)
        return ratio


def best_against_best(size, args, phys_in, hf_in, timed, cfg, device) -> float:
    """Each side in fp32 and bf16 every round; each side's faster precision by median; their per-round ratio."""
    sides = {("phys", name): phys_in(dtype) for name, dtype in PRECISIONS.items()}
    sides |= {("transformers", name): hf_in(dtype) for name, dtype in PRECISIONS.items()}
    for i in range(args.warmup):
        for step_fn in sides.values():
            step_fn(i)
    print(f"{size}: best against best, batch {cfg.batch_size} x {cfg.block_size}, {device} "
          f"({torch.get_num_threads()} threads)", flush=True)
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in sides}
    for r in range(args.rounds):
        first = args.warmup + r * args.steps
        for key, step_fn in sides.items():
            rates[key].append(timed(step_fn, first))
        print(f"  round {r + 1}: " + ", ".join(f"{who} {name} {rates[(who, name)][-1]:,.0f}"
                                              for who, name in sides) + " tok/s", flush=True)
    best = {who: max(PRECISIONS, key=lambda name: statistics.median(rates[(who, name)]))
            for who in ("phys", "transformers")}
    ratios = [p / h for p, h in zip(rates[("phys", best["phys"])], rates[("transformers", best["transformers"])])]
    ratio = statistics.median(ratios)
    medians = ", ".join(f"{who} {name} {statistics.median(rates[(who, name)]):,.0f}" for who, name in sides)
    print(f"{size}: medians {medians} tok/s", flush=True)
    print(f"{size}: best phys ({best['phys']}) vs best transformers ({best['transformers']}): median ratio "
          f"{ratio:.2f}x over {args.rounds} rounds (min {min(ratios):.2f}, max {max(ratios):.2f})", flush=True)
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="reversal_curse")
    parser.add_argument("--scale", default="cpu")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="a recipe override for both models, e.g. train.compile=on")
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--baseline", choices=["neox", "llama"], default="neox")
    parser.add_argument("--baseline-amp", action="store_true", help="give the baseline phys's autocast too")
    parser.add_argument("--best", action="store_true",
                        help="each side in its faster precision (fp32 or bf16 autocast), measured every round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=0, help="timed steps per round (default: 20 cpu, 3 gpt2)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    try:
        import transformers
    except ImportError:
        raise SystemExit("error: this benchmark needs Hugging Face transformers (pip install transformers)")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    for size in (SIZES if args.size == "all" else [args.size]):
        steps = args.steps
        args.steps = steps or (20 if size == "cpu" else 3)
        measure(size, args)
        args.steps = steps


if __name__ == "__main__":
    main()
