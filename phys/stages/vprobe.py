"""The `vprobe` stage: V-probing of a frozen iGSM model [2.1 §4, App. F.2].

Examples (`phys.science.igsm.probes`): fresh problems of the training distribution, train-bin templates for
fitting the probe and test-bin templates for scoring it; each truncated at a probe position and followed
by `<start> A <end>` (dep: `<start> A <mid> B <end>`). The probe (`phys.science.probe.EmbeddingProbe`): the model
frozen, a rank-8 update of its input embedding (which also learns the never-trained marker tokens), a
LayerNorm and one linear head per task on the last layer at `<end>`. Deviation: one probe for all six
tasks (one embedding update, six heads, examples of every task mixed) where the paper trains one probe per
task; and far fewer steps (defaults 600 × 64 examples, igsm_probing's cpu scale 500 × 48; the paper:
100k × 256).

Besides, linear probes on every layer's hidden state at `<end>` (no embedding update: the marker tokens
keep their untrained embeddings) give the per-layer picture of [2.1 Result 8].

Metrics, per task in nece, dep, known, value, can_next, nece_next:
    probe_<task>          V-probe accuracy on test-template examples
    majority_<task>       predicting the most common training label (all-false for the binary tasks
                          where false dominates: the paper's 83% dep, 92% nece_next)
    linear_<task>_L<l>    linear probe on layer l (1 = first block)
    examples_<task>       test examples scored
With `random_init`, a freshly initialised model of the same shape is probed instead (the baseline).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Mapping

from phys.stages.context import StageContext, layer_names, produces


@dataclass(frozen=True)
class VProbeConfig:
    model: str = "train"
    """The upstream stage whose model is probed."""
    random_init: bool = False
    """Probe a freshly initialised model of the same shape instead (the baseline of [2.1])."""
    problems: int = 2000
    """Problems (train-bin templates) the probe is fitted on, 10 examples each."""
    test_problems: int = 500
    """Problems (test-bin templates) the probe is scored on."""
    rank: int = 8
    """Rank of the embedding update ([2.1]: 8)."""
    steps: int = 600
    """Optimizer steps of the V-probe ([2.1]: 100,000 for -med)."""
    batch_size: int = 64
    """Examples per step ([2.1]: 256 for -med, 128 for -hard)."""
    lr: float = 2e-3
    """Peak learning rate, no warmup, linear decay to 0 ([2.1]: 0.002)."""
    weight_decay: float = 0.01
    """AdamW weight decay ([2.1]: 0.01)."""
    linear_examples: int = 3000
    """Examples (train and test together) whose hidden states feed the per-layer linear probes; 0 = none."""

    def __post_init__(self) -> None:
        for name in ("problems", "test_problems", "rank", "steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.linear_examples < 0:
            raise ValueError("linear_examples must be >= 0")


def metrics(cfg: VProbeConfig, upstream: Mapping[str, Any]) -> set[str]:
    """Per V-probing task the probe's test accuracy, the majority baseline and the examples scored; with
    `linear_examples`, a linear probe per task and layer (where the task had enough examples)."""
    from phys.science.igsm.probes import TASKS

    out = {f"{p}_{t}" for p in ("probe", "majority", "examples") for t in TASKS}
    if cfg.linear_examples:
        out |= {f"linear_{t}_{layer}" for t in TASKS for layer in layer_names(upstream.get(cfg.model))}
    return out


@produces(metrics)
def run(ctx: StageContext) -> dict[str, Any]:
    import torch

    from phys.science.igsm.generate import draw, hash_bins
    from phys.science.igsm.probes import IGNORE, TASKS, examples, n_classes
    from phys.science.model.gpt import GPT
    from phys.science.probe import fit_linear_probes, train_embedding_probe
    from phys.stages.igsm import load_upstream

    cfg: VProbeConfig = ctx.config
    data_cfg, tok, model = load_upstream(ctx, cfg.model)
    if cfg.random_init:
        torch.manual_seed(ctx.seed)
        model = GPT(model.config).to(ctx.device)
    room = 2 * model.config.block_size  # the rotary table

    rng = random.Random(f"igsm-vprobe:{ctx.seed}")
    split = []  # (examples, is_train)
    for part, count in (("train", cfg.problems), ("test", cfg.test_problems)):
        bins = hash_bins(data_cfg.hash_split, part)
        for i in range(count):
            problem = draw(rng, data_cfg.max_op, bins=bins, **data_cfg.difficulty())
            split += [(ex, part == "train") for ex in examples(tok, problem, rng) if len(ex.ids) <= room]
            if (i + 1) % 100 == 0:
                ctx.progress(i + 1, count, part=f"drawing {part} problems")
    width = max(len(ex.ids) for ex, _ in split)
    idx = torch.full((len(split), width), tok.pad_id, dtype=torch.long)  # (N, T), right-padded
    for n, (ex, _) in enumerate(split):
        idx[n, : len(ex.ids)] = torch.tensor(ex.ids)
    positions = torch.tensor([[len(ex.ids) - 1] for ex, _ in split])  # (N, 1): the <end> token
    labels = torch.tensor([ex.labels for ex, _ in split])  # (N, 6), IGNORE where not carried
    train = torch.tensor([is_train for _, is_train in split])
    classes = n_classes(data_cfg.mod)
    metrics: dict[str, Any] = {}

    if cfg.linear_examples:  # per-layer linear probes on the frozen model's hidden states at <end>
        pick = torch.randperm(len(split), generator=torch.Generator().manual_seed(ctx.seed))[: cfg.linear_examples]
        feats = []
        model.eval()
        with torch.no_grad():
            for start in range(0, len(pick), 128):
                rows = pick[start : start + 128]
                w = int(positions[rows].max()) + 1
                states = model.layer_states(idx[rows, :w].to(ctx.device))  # n_layer × (b, w, C)
                at = positions[rows, 0].to(ctx.device)
                feats.append(torch.stack([s[torch.arange(len(rows)), at] for s in states]).cpu())  # (L, b, C)
        feats = torch.cat(feats, dim=1)  # (L, n, C)
        for a, task in enumerate(TASKS):
            y = labels[pick, a]
            tr, te = train[pick] & (y != IGNORE), ~train[pick] & (y != IGNORE)
            if tr.sum() < 10 or te.sum() < 10:
                continue
            right = fit_linear_probes(feats[:, tr], y[tr], feats[:, te], y[te], classes[a], seed=ctx.seed)
            for layer, acc in enumerate(right.float().mean(dim=1).tolist(), 1):
                metrics[f"linear_{task}_L{layer}"] = round(acc, 4)

    ctx.log(f"V-probe: {int(train.sum())} training and {int((~train).sum())} test examples, rank {cfg.rank}, "
            f"{cfg.steps} steps" + (" (random-init model)" if cfg.random_init else ""))
    right = train_embedding_probe(model, idx.to(ctx.device), positions.to(ctx.device), labels.to(ctx.device),
                                  train.to(ctx.device), classes, cfg.rank, cfg.steps, cfg.batch_size, lr=cfg.lr,
                                  weight_decay=cfg.weight_decay, seed=ctx.seed, trim=True).cpu()  # (N, 1, 6)
    for a, task in enumerate(TASKS):
        scored = ~train & (labels[:, a] != IGNORE)
        fitted = train & (labels[:, a] != IGNORE)
        majority = int(labels[fitted, a].mode().values)
        metrics[f"probe_{task}"] = round(float(right[scored, 0, a].float().mean()), 4)
        metrics[f"majority_{task}"] = round(float((labels[scored, a] == majority).float().mean()), 4)
        metrics[f"examples_{task}"] = int(scored.sum())
    ctx.log("  ".join(f"{t} {metrics[f'probe_{t}']:.3f} (majority {metrics[f'majority_{t}']:.3f})" for t in TASKS))
    (ctx.out / "probe.json").write_text(json.dumps(metrics, indent=1))
    return metrics
