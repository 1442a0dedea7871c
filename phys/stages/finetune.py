"""The `finetune` stage: continue training a pretrained GPT on the data stage's finetune documents (the QA of
P_train, [3.1 §2.1] "BIO pretrain + QA finetune"), with a fresh AdamW and its own schedule. Full finetuning
(every weight trains) by default; with `lora_rank` / `lora_emb_rank` only LoRA adapters on the query/value
projections and the input embedding train (`phys.science.model.lora`), merged into the saved model.

Inputs: `data` (finetune_*.npy, tokenizer, eval.jsonl for the in-training probe) and `pretrain` (model.pt +
model.json of a train stage; another role with `model`). Output: model.pt + model.json, like `train`, so `evaluate` reads either.
Torch-free at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from phys.errors import PhysError
from phys.science.config import OptimConfig, added_later
from phys.stages.context import StageContext, data_parallel, produces


@dataclass(frozen=True)
class FinetuneConfig(OptimConfig):
    """The optimisation fields of pretraining with the finetuning defaults of [3.1 App. C], plus LoRA and
    the choice of documents and model."""

    steps: int = 200
    """Optimizer steps ([3.1 App. C]: 50,000)."""
    lr: float = 1e-3
    """Peak learning rate ([3.1]: best of 1e-3, 3e-4, 1e-4)."""
    warmup_frac: float = 0.0
    """Fraction of steps of linear warmup ([3.1]: none)."""
    weight_decay: float = 0.01
    """AdamW weight decay ([3.1]: 0.01 or 0.001)."""
    ckpt_every: int = 100
    """Steps between checkpoints (also written on SIGINT/SIGTERM)."""
    log_every: int = 10
    """Steps between metric records."""
    eval_every: int = 50
    """Steps between in-training probes of the QA accuracies; 0 = off."""
    lora_rank: int = 0
    """LoRA rank r on the query/value projections; 0 with lora_emb_rank 0 = full finetuning ([3.1]: 8 or 16)."""
    lora_emb_rank: int = 0
    """LoRA rank r′ of the input-embedding update ([3.1 App. C]: 128; it matters)."""
    lora_alpha: float = 4.0
    """LoRA α: adapters are scaled by α / rank ([3.2 App. B]: 4)."""
    docs: str = "finetune"
    """Which document set of the data stage to train on (`<docs>_tokens.npy`)."""
    model: str = "pretrain"
    """The upstream stage (by role) whose model.pt is finetuned."""
    samples: int = 0
    """Train on this many documents only (a seeded subset of the set, counting `qa_repeats` copies as
    documents); 0 = all."""
    replay: str = added_later("")
    """Another document set of the data stage trained on whole alongside `docs` (never subsampled by
    `samples`); "" = none. A full finetune forgets what LoRA would keep: replaying the pretraining biographies
    (`train`) keeps the stored facts of people the finetune never asks about (knowledge_classification at cpu)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lora_rank < 0 or self.lora_emb_rank < 0 or self.samples < 0:
            raise ValueError("lora_rank, lora_emb_rank and samples must be >= 0")


def metrics(cfg: FinetuneConfig, upstream: Mapping[str, Any]) -> set[str]:
    from phys.stages.train import TRAIN_RESULT

    replay = {"finetune_replay_docs"} if cfg.replay else set()
    return {f"finetune_{k}" for k in TRAIN_RESULT} | {"finetune_docs"} | replay


@produces(metrics)
@data_parallel
def run(ctx: StageContext) -> dict[str, Any]:
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer
    from phys.stages.train import qa_probe
    from phys.science.train import load_model, train

    import numpy as np

    from phys.science.model.lora import add_lora, merge_lora, trainable_fraction

    cfg: FinetuneConfig = ctx.config
    data, pretrained = ctx.inputs["data"], ctx.inputs[cfg.model]
    for name, option in ((cfg.docs, "docs"), (cfg.replay, "replay")):
        if name and not (data / f"{name}_tokens.npy").exists():
            sets = sorted(p.name.removesuffix("_tokens.npy") for p in data.glob("*_tokens.npy")
                          if p.name != "train_tokens.npy")
            if name == "finetune" and not sets:
                raise PhysError("the data stage wrote no finetune documents (it mixes P_train's QA into pretraining)",
                                hint="set data.mixed=false for pretrain-then-finetune")
            raise PhysError(f"the data stage wrote no document set {name!r}",
                            hint=f"finetune.{option} is one of {', '.join(sets) or '(none)'}")
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    docs = Docs.load(data, cfg.docs)
    if cfg.samples:
        if cfg.samples > len(docs):
            raise PhysError(f"finetune.samples={cfg.samples} is more than the {len(docs)} documents of {cfg.docs!r}",
                            hint=f"use at most {len(docs)}, or 0 for all")
        docs = docs.subset(np.sort(np.random.default_rng(ctx.seed).permutation(len(docs))[: cfg.samples]))
    counts = {"finetune_docs": len(docs)}
    if cfg.replay:
        replayed = Docs.load(data, cfg.replay)
        docs, counts["finetune_replay_docs"] = Docs.concat(docs, replayed), len(replayed)
    model = load_model(pretrained, ctx.device).train()
    longest = int((docs.offsets[1:] - docs.offsets[:-1]).max()) + 1  # + <eos>
    if longest > model.config.block_size:
        raise PhysError(f"a finetune document has {longest} tokens, more than the model's block size "
                        f"({model.config.block_size})", hint="raise train.block_size of the pretraining")
    lora = bool(cfg.lora_rank or cfg.lora_emb_rank)
    if lora:
        add_lora(model, cfg.lora_rank, cfg.lora_emb_rank, cfg.lora_alpha, seed=ctx.seed)
        ctx.log(f"LoRA q/v rank {cfg.lora_rank}, embedding rank {cfg.lora_emb_rank}: "
                f"{trainable_fraction(model):.2%} of the weights train")
    result = train(cfg, docs, tokenizer, ctx.out, ctx.seed, ctx.device, ctx, probe=qa_probe(ctx, tokenizer),
                   model=model, export=merge_lora if lora else None)
    return {f"finetune_{k}": v for k, v in result.items()} | counts
