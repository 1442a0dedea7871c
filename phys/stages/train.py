"""The `train` stage: pretrain a GPT on the packed documents of an upstream data stage.

Torch-free at import: the config lives here, the implementation (`phys.science.train`) is imported when the stage
runs. Output: model.pt + model.json; checkpoints/ while training (removed when the stage completes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from phys.stages.context import StageContext, data_parallel
from phys.errors import PhysError


@dataclass(frozen=True)
class TrainConfig:
    n_layer: int = 4
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads (head dim = n_embd / n_head)."""
    n_embd: int = 128
    """Hidden width."""
    block_size: int = 128
    """Tokens per training window (the papers use 512)."""
    batch_size: int = 32
    """Windows per step."""
    steps: int = 1400
    """Optimizer steps."""
    lr: float = 5e-3
    """Peak learning rate (after warmup)."""
    min_lr_ratio: float = 0.1
    """Cosine decays to lr * min_lr_ratio ([3.1]: 1e-3 -> 1e-4)."""
    warmup_frac: float = 0.05
    """Fraction of steps of linear warmup."""
    weight_decay: float = 0.1
    """AdamW weight decay on matrices (not on norms and biases)."""
    beta1: float = 0.9
    """AdamW beta1."""
    beta2: float = 0.98
    """AdamW beta2."""
    eps: float = 1e-6
    """AdamW epsilon ([3.1]: 1e-6)."""
    qa_rate: float = 1.0
    """Share of the forward-QA documents in each epoch, a fresh random subset each time (1 = all, every
    epoch). Below 1 each question is seen less often, so it is harder to memorise than to extract."""
    grad_clip: float = 1.0
    """Global gradient-norm clip (0 = off)."""
    rotary_pct: float = 0.25
    """Fraction of each head's dims that get rotary embeddings ([3.1 App. B]: 1/4)."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """auto = bf16 autocast on GPU and on CPUs with native bf16, else fp32."""
    compile: Literal["auto", "on", "off"] = "auto"
    """torch.compile the model: auto = on for CUDA, off on CPU (compile time outweighs a short run)."""
    ckpt_every: int = 200
    """Steps between checkpoints (also written on SIGINT/SIGTERM)."""
    log_every: int = 20
    """Steps between metric records."""
    eval_every: int = 100
    """Steps between in-training probes of the QA accuracies (teacher-forced exact match on up to
    `probe_items` eval questions per kind and half), logged as curves; 0 = off."""
    probe_items: int = 200
    """Eval questions per (kind, half) in each in-training probe."""

    _positive: ClassVar[tuple[str, ...]] = ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "steps",
                                            "ckpt_every", "log_every", "probe_items")

    def model_fields(self) -> dict[str, Any]:
        """The `GPTConfig` fields this config sets (a subclass may add some, e.g. the MLP kind)."""
        return {"n_layer": self.n_layer, "n_head": self.n_head, "n_embd": self.n_embd, "block_size": self.block_size,
                "rotary_pct": self.rotary_pct}

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        for name in self._positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.eval_every < 0:
            raise ValueError("eval_every must be >= 0 (0 = off)")
        if not 0 < self.lr < 1:
            raise ValueError("lr must be in (0, 1)")
        if not 0 <= self.warmup_frac < 1:
            raise ValueError("warmup_frac must be in [0, 1)")
        if not 0 < self.qa_rate <= 1:
            raise ValueError("qa_rate must be in (0, 1]")
        if not 0 < self.rotary_pct <= 1:
            raise ValueError("rotary_pct must be in (0, 1]")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError("min_lr_ratio must be in [0, 1]")


@data_parallel
def run(ctx: StageContext) -> dict[str, Any]:
    from phys.science.data.bios import GROUPS
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer
    from phys.science.train import train

    data = ctx.inputs["data"]
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    docs = Docs.load(data, "train")
    longest = int((docs.offsets[1:] - docs.offsets[:-1]).max()) + 1  # + <eos>
    if longest > ctx.config.block_size:
        raise PhysError(f"{ctx.name}.block_size={ctx.config.block_size} is shorter than the longest document "
                        f"({longest} tokens)", hint=f"use --set {ctx.name}.block_size={longest} or more")
    return train(ctx.config, docs, tokenizer, ctx.out, ctx.seed, ctx.device, ctx, probe=qa_probe(ctx, tokenizer),
                 rates={GROUPS["qa"]: ctx.config.qa_rate})


def qa_probe(ctx: StageContext, tokenizer: Any) -> Any:
    """The QA accuracies during training, on up to `probe_items` questions of each (kind, half) of the data
    stage's eval.jsonl, taken in turn from each task; None where the data has no eval questions or probing
    is off."""
    import json
    from collections import defaultdict
    from functools import partial
    from itertools import chain, zip_longest

    from phys.science.evaluate import teacher_forced_accuracy

    path = ctx.inputs["data"] / "eval.jsonl"
    if not ctx.config.eval_every or not path.exists():
        return None
    per_task: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item.get("final"):
            continue  # scored on the answer after a generated hint: teacher forcing cannot judge that
        per_task[(item["kind"], item["split"])][item["task"]].append(item)
    items = []
    for tasks in per_task.values():  # up to probe_items per (kind, half), taken in turn from each task
        rounds = zip_longest(*tasks.values())
        items += [i for i in chain.from_iterable(rounds) if i is not None][: ctx.config.probe_items]
    return partial(teacher_forced_accuracy, tokenizer=tokenizer, items=items, device=ctx.device)
