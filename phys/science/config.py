"""The training configs, torch-free: `OptimConfig` (what every training loop reads, and its validation) and
`TrainConfig` (pretraining: the model's shape on top). `phys.science.train` takes either kind; the stage
adapters (`phys.stages.train`, `phys.stages.finetune`, `phys.stages.capacity`) declare them.

Validation raises ValueError naming the field; `phys.core.plan` turns it into a PhysError that names the
override (`train.lr`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Precision = Literal["auto", "fp32", "bf16"]
Compile = Literal["auto", "on", "off"]
Attention = Literal["auto", "sdpa", "explicit"]
Mlp = Literal["gelu", "gated", "none"]
"""gelu (GPT-2) | gated (LLaMA's SiLU-gated) | none (attention only) [3.3 Results 5-7]."""


ADDED_LATER = "added_later"
"""Field metadata of a config field added after stores existed: at its default the cache key leaves it out
(`phys.core.plan.key_config`), so the stages that do not use it keep their keys (and users their caches); set to
anything else it is keyed as any field."""


def added_later(default: Any) -> Any:
    """A config field added after stores existed (ADDED_LATER), with this (immutable) default."""
    return field(default=default, metadata={ADDED_LATER: True})


@dataclass(frozen=True)
class OptimConfig:
    """AdamW with linear warmup and cosine decay, checkpoints, metric records and in-training QA probes."""

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
    grad_clip: float = 1.0
    """Global gradient-norm clip (0 = off)."""
    precision: Precision = "auto"
    """auto = bf16 autocast on GPU and on CPUs with native bf16, else fp32."""
    compile: Compile = "auto"
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

    _positive: ClassVar[tuple[str, ...]] = ("batch_size", "steps", "ckpt_every", "log_every", "probe_items")
    """Fields that must be >= 1 (a subclass counting in other units leaves `steps` out)."""

    def __post_init__(self) -> None:
        for name in self._positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.eval_every < 0:
            raise ValueError("eval_every must be >= 0 (0 = off)")
        if not 0 < self.lr < 1:
            raise ValueError("lr must be in (0, 1)")
        if not 0 <= self.warmup_frac < 1:
            raise ValueError("warmup_frac must be in [0, 1)")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError("min_lr_ratio must be in [0, 1]")


@dataclass(frozen=True)
class TrainConfig(OptimConfig):
    """Pretraining a GPT2 with rotary embeddings ([3.1 App. B]) on packed windows of documents."""

    n_layer: int = 4
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads (head dim = n_embd / n_head)."""
    n_embd: int = 128
    """Hidden width."""
    block_size: int = 128
    """Tokens per training window (the papers use 512)."""
    qa_rate: float = 1.0
    """Share of the forward-QA documents in each epoch, a fresh random subset each time (1 = all, every
    epoch). Below 1 each question is seen less often, so it is harder to memorise than to extract."""
    rotary_pct: float = 0.25
    """Fraction of each head's dims that get rotary embeddings ([3.1 App. B]: 1/4)."""
    pure_groups: bool = added_later(False)
    """Each window holds documents of one group only: all biographies or all QA, as the paper's mixed
    training packs its 512-token sequences ([3.1 §2.1]); off, a window mixes them."""

    _positive: ClassVar[tuple[str, ...]] = (*OptimConfig._positive, "n_layer", "n_head", "n_embd", "block_size")

    def model_fields(self) -> dict[str, Any]:
        """The `GPTConfig` fields this config sets (a subclass may add some, e.g. the MLP kind)."""
        return {"n_layer": self.n_layer, "n_head": self.n_head, "n_embd": self.n_embd, "block_size": self.block_size,
                "rotary_pct": self.rotary_pct}

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        super().__post_init__()
        if not 0 < self.qa_rate <= 1:
            raise ValueError("qa_rate must be in (0, 1]")
        if not 0 < self.rotary_pct <= 1:
            raise ValueError("rotary_pct must be in (0, 1]")
