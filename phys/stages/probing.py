"""The `probe` stage: P-probing and Q-probing of a frozen model ([3.1 §5, App. E–F]).

P-probing reads each person's first biography entry (the data stage's probe_bios.jsonl) at the six token
positions just before each attribute's value, and asks every attribute at every one of them: is the
company already readable before the model writes the birth date? Q-probing reads the bare name: at its
last token ("<eos> Anya Briar Forger"), or with `q_end` at a token after it ("… Forger <eos>", the paper's
`<end>`). Labels are the attribute's value (the birth month for the birth
date, as the papers' first-token task), as classes over the people's values.

Two probes (`phys.science.probe`), both trained on a share of the people (`train_fraction`) and scored on the rest
(with `q_folds` the Q-probe is cross-fitted: one probe per fold, trained on the other folds, so that every
person is scored once):
- the papers' probe on the last layer: frozen model + rank-r embedding update (r = 2 for P, 16 for Q) +
  LayerNorm + linear heads (one per attribute, shared over positions here; one embedding update for all
  attributes, or with `per_task` one probe per attribute as the paper trains one per task; LayerNorm also
  for Q-probing, where the paper uses BatchNorm; the Q-probe reads the name's last token, or with `q_end`
  an `<eos>` after it as the paper's `<end>`; with `fix_names` the update leaves the name tokens' rows
  fixed, so that at a few hundred people it cannot memorise each training person through their name);
- linear probes on cached activations of every layer (the per-layer picture, seconds per model).

Inputs: `data`, and the model stage named by `model` (model.json + model.pt; with `random_init`, only its
shape: a freshly initialised model of that shape is the baseline of [2.1]). Output: probe.json (every
accuracy) and summary metrics:
  pprobe_before_<a>  P-probe accuracy on attribute a at positions before it is written (company city: and
                     before the company, from which it follows)
  pprobe_before      their mean over the attributes other than birth date (the same set in every arm)
  pprobe_at          at the position just before the attribute (the model is about to write it)
  qprobe_<a>, qprobe_acc                     Q-probe accuracy per attribute and their mean
  pprobe_before_train, qprobe_train_acc      the same means on the probes' training people (a fit check)
  linear_pprobe_before_L<l>, linear_qprobe_L<l>   linear probes on layer l (1 = first block)
  chance_<a>, chance                         predicting the training people's most common value on the scored ones
Means leave out an attribute with a single class (a pool cut so small that everyone shares the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from phys.machine import cpu
from phys.science.config import added_later
from phys.stages.context import StageContext, layer_names, produces
from phys.science.data.pools import ATTRIBUTES
from phys.errors import PhysError, StageInterrupted


@dataclass(frozen=True)
class ProbeConfig:
    model: str = "pretrain"
    """The upstream stage whose model is probed."""
    random_init: bool = False
    """Probe a freshly initialised model of the same shape instead (the baseline)."""
    p_rank: int = 2
    """Rank of the P-probe's embedding update ([3.1 App. E]: 2)."""
    q_rank: int = 16
    """Rank of the Q-probe's embedding update ([3.1 App. E]: 16)."""
    steps: int = 300
    """Optimizer steps of each embedding probe ([3.1]: 30,000)."""
    p_batch: int = 50
    """People per P-probe step ([3.1]: 50)."""
    q_batch: int = 200
    """People per Q-probe step ([3.1]: 200)."""
    lr: float = 1e-3
    """Peak learning rate of the embedding probes, decayed linearly to 0 ([3.1]: 1e-3)."""
    weight_decay: float = 0.3
    """AdamW weight decay of the embedding probes ([3.1]: 0.3)."""
    linear_steps: int = 300
    """Full-batch steps of each per-layer linear probe."""
    train_fraction: float = 0.5
    """Share of the people the probes train on; the rest scores them."""
    per_task: bool = added_later(False)
    """One embedding probe (update, norm, head) per attribute, as the paper trains one per task; off, one
    update and norm shared by all attributes' heads (a sixth of the work)."""
    q_end: bool = added_later(False)
    """Q-probing reads a token after the name (`<eos>`, standing for the paper's `<end>`: "<eos> Anya Briar
    Forger <eos>"), whose embedding the rank-r update can make a query; off, the name's last token."""

    q_steps: int = added_later(0)
    """Optimizer steps of the Q-probe; 0: `steps`, as P-probing's."""
    q_folds: int = added_later(0)
    """Cross-fit the Q-probe over this many folds of the people: fold f is scored by a probe trained on the
    others, so every person is scored once (k probes' work) and the accuracy's noise shrinks by about
    sqrt(k) against one split. 0: one probe, trained on `train_fraction`. The folds cut the same shuffled
    order as the single split: with 5 folds and train_fraction 0.8 the last fold is that split."""
    fix_names: bool = added_later(False)
    """The embedding update leaves the name tokens' rows fixed (every token of any person's full name), so a
    probe cannot give each training person a code through their name: with 500 people, most last names
    belong to one person. Off, every row may move, as the paper, whose 100,000 people share names drawn from
    pools of hundreds."""

    def __post_init__(self) -> None:
        if self.q_steps < 0:
            raise ValueError("q_steps must be >= 0 (0: steps)")
        if self.q_folds == 1 or self.q_folds < 0:
            raise ValueError("q_folds must be 0 (one split) or >= 2")
        for name in ("p_rank", "q_rank", "steps", "p_batch", "q_batch", "linear_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 < self.train_fraction < 1:
            raise ValueError("train_fraction must be in (0, 1)")


def metrics(cfg: ProbeConfig, upstream: Mapping[str, Any]) -> set[str]:
    """P-probing (`pprobe_*`: an attribute read at earlier positions of its biography) and Q-probing
    (`qprobe_*`: read from the name alone) per attribute and averaged, per-layer linear probes, and the
    majority chance level. A superset: `pprobe_before_<a>` needs a person with <a> after the first sentence."""
    out = {"pprobe_before", "pprobe_at", "qprobe_acc", "chance", "pprobe_before_train", "qprobe_train_acc"}
    out |= {f"{k}_{a}" for k in ("pprobe_before", "qprobe", "chance") for a in ATTRIBUTES}
    for layer in layer_names(upstream.get(cfg.model)):
        out |= {f"linear_pprobe_before_{layer}", f"linear_qprobe_{layer}"}
    return out


@produces(metrics)
def run(ctx: StageContext) -> dict[str, Any]:
    import bisect
    import copy
    import json
    import time

    import torch

    from phys.science.data.tokenizer import Tokenizer
    from phys.science.model.gpt import GPT
    from phys.science.probe import fit_linear_probes, train_embedding_probe
    from phys.science.train import load_model

    cfg: ProbeConfig = ctx.config
    data = ctx.inputs["data"]
    if not (data / "probe_bios.jsonl").exists():
        raise PhysError("the data stage wrote no probe_bios.jsonl", hint="rerun the data stage with this version of phys")
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    people = [json.loads(line) for line in (data / "people.jsonl").read_text().splitlines()]
    probe_bios = {b["person"]: b for b in map(json.loads, (data / "probe_bios.jsonl").read_text().splitlines())}
    if ctx.device == "cpu":
        cpu.tune_for_training()  # as in training: denormal gradients slow CPU matmuls
    torch.manual_seed(ctx.seed)
    model = load_model(ctx.upstream(cfg.model, "probe.model"), "cpu")
    if cfg.random_init:
        model = GPT(model.config)  # seeded above
    model = model.to(ctx.device).eval()

    # Labels: (N, A) class ids, the birth month for the birth date.
    def value(p: dict[str, Any], a: str) -> Any:
        return p["birth_month"] if a == "birth_date" else p[a]

    classes = [sorted({value(p, a) for p in people}) for a in ATTRIBUTES]
    labels = torch.tensor([[classes[i].index(value(p, a)) for i, a in enumerate(ATTRIBUTES)] for p in people])
    n_classes = [len(c) for c in classes]

    # P-probing inputs: (N, T) ids, (N, 6) positions just before each value, (N, 6) order of each attribute.
    p_ids, positions, order = [], [], []
    for p in people:
        bio = probe_bios[p["id"]]
        ids, starts = tokens_with_starts(tokenizer, bio["text"])
        # The value's first token k is the last token starting at or before the value's first character;
        # in [eos] + ids it sits at k + 1, so the position just before it is k.
        positions.append([bisect.bisect_right(starts, offset) - 1 for _, offset in bio["spans"]])
        p_ids.append([tokenizer.eos_id] + ids)
        order.append([[a for a, _ in bio["spans"]].index(a) for a in ATTRIBUTES])
    p_idx, positions, order = pad(p_ids, tokenizer.pad_id), torch.tensor(positions), torch.tensor(order)
    q_ids, q_pos, q_last = q_inputs(tokenizer, [p["full_name"] for p in people], cfg.q_end)
    q_idx = pad(q_ids, tokenizer.pad_id)

    N = len(people)
    train, q_trains = splits(N, cfg.train_fraction, cfg.q_folds, ctx.seed)
    test = ~train
    dev = ctx.device
    steps_total = 2 + len(q_trains)  # the P-probe, each Q-probe, the linear probes
    ctx.progress(0, steps_total)

    # (k,) every token of any person's full name: the rows `fix_names` keeps out of the embedding update
    names = torch.tensor(sorted({t for q in q_ids for t in q} - {tokenizer.eos_id})) if cfg.fix_names else None

    def probe(idx: torch.Tensor, read: torch.Tensor, rank: int, batch: int, steps: int,
              train: torch.Tensor = train) -> torch.Tensor:
        """(N, P, A) correctness of the embedding probe(s) trained on `train` (N,), reading `read` (N, P) of
        `idx` (N, T)."""
        tasks = [[i] for i in range(len(ATTRIBUTES))] if cfg.per_task else [list(range(len(ATTRIBUTES)))]
        return torch.cat([train_embedding_probe(copy.deepcopy(model), idx.to(dev), read.to(dev),
                                                labels[:, t].to(dev), train.to(dev), [n_classes[i] for i in t], rank,
                                                steps, batch, cfg.lr, cfg.weight_decay, ctx.seed,
                                                frozen_tokens=names).cpu()
                          for t in tasks], dim=-1)

    # (N, slot, attribute): slot j reads the position before the j-th attribute of that person's bio.
    started = time.perf_counter()
    p_correct = probe(p_idx, positions, cfg.p_rank, cfg.p_batch, cfg.steps)
    ctx.log(f"P-probe: {time.perf_counter() - started:.0f} s")
    ctx.progress(1, steps_total)
    # (N, A): each person's correctness under the probe that did not train on them; (A,) mean fit on training people
    q_correct = torch.zeros(N, len(ATTRIBUTES), dtype=torch.bool)
    q_scored = torch.zeros(N, dtype=torch.bool)
    q_fit = torch.zeros(len(ATTRIBUTES))
    for f, q_train in enumerate(q_trains):
        if ctx.should_stop():  # between probes: a stop costs this stage's probes so far (it is computed again)
            raise StageInterrupted(f"stopped before Q-probe {f + 1} of {len(q_trains)}")
        started = time.perf_counter()
        ok = probe(q_idx, q_pos, cfg.q_rank, cfg.q_batch, cfg.q_steps or cfg.steps, q_train)[:, 0]  # (N, A)
        q_correct[~q_train] = ok[~q_train]
        q_scored |= ~q_train
        q_fit += ok[q_train].float().mean(0) / len(q_trains)
        fold = f" (fold {f + 1} of {len(q_trains)})" if cfg.q_folds else ""
        ctx.log(f"Q-probe{fold}: {time.perf_counter() - started:.0f} s, {mean(ok[~q_train]):.3f} on its scored people")
        ctx.progress(2 + f, steps_total)

    # Which (slot, attribute) pairs ask for an attribute not yet in the text. Company city is left out once
    # the company is written: it follows from the company in context, not from storage on the name.
    slots = torch.arange(6).view(1, 6, 1)
    before, at = slots < order.unsqueeze(1), slots == order.unsqueeze(1)  # (N, 6, A)
    employer, city = ATTRIBUTES.index("employer"), ATTRIBUTES.index("employer_city")
    before[:, :, city] &= ~(slots[:, :, 0] > order[:, employer : employer + 1])
    # Summaries average per-attribute accuracies over the same attributes in every arm: not birth date (it
    # is never "before" in a single biography, where it comes first) and no attribute with one class.
    summarised = [i for i, a in enumerate(ATTRIBUTES) if n_classes[i] > 1]
    later = [i for i in summarised if ATTRIBUTES[i] != "birth_date"]
    metrics: dict[str, Any] = {}
    for i, a in enumerate(ATTRIBUTES):
        mask = before[test][:, :, i]
        if mask.any():
            metrics[f"pprobe_before_{a}"] = mean(p_correct[test][:, :, i][mask])
    metrics["pprobe_before"] = average(metrics.get(f"pprobe_before_{ATTRIBUTES[i]}") for i in later)
    metrics["pprobe_at"] = average(mean(p_correct[test][:, :, i][at[test][:, :, i]]) for i in summarised)
    for i, a in enumerate(ATTRIBUTES):
        metrics[f"qprobe_{a}"] = mean(q_correct[q_scored][:, i])
    metrics["qprobe_acc"] = average(metrics[f"qprobe_{ATTRIBUTES[i]}"] for i in summarised)
    # the same on the people the probes trained on: far above test, the probe fit those people, not the model
    metrics["pprobe_before_train"] = average(mean(p_correct[train][:, :, i][before[train][:, :, i]]) for i in later)
    metrics["qprobe_train_acc"] = average(round(float(q_fit[i]), 4) for i in summarised)

    # Linear probes on every layer's cached activations.
    with torch.no_grad():
        p_states = torch.stack([s.gather(1, positions.to(dev).unsqueeze(-1).expand(-1, -1, s.shape[-1]))
                                for s in layer_states(model, p_idx.to(dev))]).cpu()  # (L, N, 6, C)
        # the linear probes read the name's last token: an <eos> after a name is a position the frozen model,
        # unlike the embedding probe, cannot adapt to
        q_states = torch.stack([s[torch.arange(N), q_last[:, 0]] for s in layer_states(model, q_idx.to(dev))]).cpu()
    L = p_states.shape[0]
    linear_p = torch.zeros(L, int(test.sum()), 6, len(ATTRIBUTES), dtype=torch.bool)
    linear_q = torch.zeros(L, int(test.sum()), len(ATTRIBUTES), dtype=torch.bool)
    for i in range(len(ATTRIBUTES)):
        y = labels[:, i]
        sites = p_states.permute(0, 2, 1, 3).reshape(L * 6, N, -1)  # (L*6, N, C)
        ok = fit_linear_probes(sites[:, train], y[train], sites[:, test], y[test], n_classes[i], cfg.linear_steps,
                               seed=ctx.seed)  # (L*6, m)
        linear_p[:, :, :, i] = ok.view(L, 6, -1).permute(0, 2, 1)
        linear_q[:, :, i] = fit_linear_probes(q_states[:, train], y[train], q_states[:, test], y[test], n_classes[i],
                                              cfg.linear_steps, seed=ctx.seed)
    for layer in range(L):
        ok, mask = linear_p[layer], before[test]  # (m, 6, A)
        metrics[f"linear_pprobe_before_L{layer + 1}"] = average(mean(ok[:, :, i][mask[:, :, i]]) for i in later)
        metrics[f"linear_qprobe_L{layer + 1}"] = average(mean(linear_q[layer][:, i]) for i in summarised)
    ctx.progress(steps_total, steps_total)

    for i, a in enumerate(ATTRIBUTES):
        top = labels[train, i].mode().values
        metrics[f"chance_{a}"] = mean(labels[test, i] == top)
    metrics["chance"] = average(metrics[f"chance_{ATTRIBUTES[i]}"] for i in summarised)
    table = {
        "attributes": list(ATTRIBUTES),
        "classes": n_classes,
        "q_scored_people": int(q_scored.sum()),
        "p_by_slot": [[mean(p_correct[test][:, j, i]) for i in range(len(ATTRIBUTES))] for j in range(6)],
        "linear_p_by_layer_slot": [[[mean(linear_p[layer][:, j, i]) for i in range(len(ATTRIBUTES))]
                                    for j in range(6)] for layer in range(L)],
        "linear_q_by_layer": [[mean(linear_q[layer][:, i]) for i in range(len(ATTRIBUTES))] for layer in range(L)],
        "metrics": metrics,
    }
    (ctx.out / "probe.json").write_text(json.dumps(table, indent=1))
    ctx.log("  ".join(f"{k} {v:.3f}" for k, v in metrics.items() if not k.startswith(("chance_", "pprobe_before_"))))
    return metrics


def splits(n: int, train_fraction: float, folds: int, seed: int) -> tuple[Any, list[Any]]:
    """The probes' training people: (n,) bool, the first `train_fraction` of a seeded shuffle; and the
    Q-probe's training masks, one per fold (fold f: the f-th contiguous cut of the same shuffle, scored by
    the probe trained on the rest), or with `folds` 0 the single split's."""
    import torch

    shuffled = torch.randperm(n, generator=torch.Generator().manual_seed(seed))  # (n,) shuffled people
    train = torch.zeros(n, dtype=torch.bool)
    train[shuffled[: int(n * train_fraction)]] = True
    if not folds:
        return train, [train]
    fold = torch.empty(n, dtype=torch.long)
    fold[shuffled] = torch.arange(n) * folds // n  # (n,) each person's fold
    return train, [fold != f for f in range(folds)]


def tokens_with_starts(tokenizer: Any, text: str) -> tuple[list[int], list[int]]:
    """Token ids of `text` and the character offset where each token's piece starts (with its space)."""
    from phys.science.data.tokenizer import pieces

    ids, starts, offset = [], [], 0
    for piece in pieces(text):
        ids.append(tokenizer.encode(piece)[0])
        starts.append(offset)
        offset += len(piece)
    return ids, starts


def pad(rows: list[list[int]], pad_id: int) -> Any:
    import torch

    out = torch.full((len(rows), max(map(len, rows))), pad_id, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def q_inputs(tokenizer: Any, names: list[str], end: bool) -> tuple[list[list[int]], Any, Any]:
    """Q-probing's inputs: per person "<eos> name" (with `end`, "<eos> name <eos>"), the position the
    embedding probe reads (N, 1) — the `<eos>` after the name with `end`, else the name's last token — and the
    name's last token (N, 1), which the per-layer linear probes read either way."""
    import torch

    ids = [[tokenizer.eos_id] + tokenizer.encode(" " + name) + ([tokenizer.eos_id] if end else []) for name in names]
    last = torch.tensor([[len(q) - 1 - int(end)] for q in ids])
    return ids, last + int(end), last


def layer_states(model: Any, idx: Any) -> list[Any]:
    """Per layer (L of them), (N, T, C), computed in batches of 256."""
    import torch

    chunks = [model.layer_states(idx[s : s + 256]) for s in range(0, len(idx), 256)]
    return [torch.cat([c[layer] for c in chunks]) for layer in range(len(chunks[0]))]


def mean(x: Any) -> float:
    return round(float(x.float().mean()), 4) if x.numel() else float("nan")


def average(values: Any) -> float:
    """Mean of the finite values (an attribute with no pair to score gives nan and is skipped)."""
    kept = [v for v in values if v is not None and v == v]
    return round(sum(kept) / len(kept), 4) if kept else float("nan")
