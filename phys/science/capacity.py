"""How many bits of knowledge a trained model holds [3.3 §3–4]: its summed losses on names and values,
and its parameter count without unused embedding rows.

Science code (torch): a model, a rendered exposure (`phys.science.data.population.Rendered`) and the population in;
plain numbers out. The formulas themselves are `phys.science.bits`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from phys.science import bits
from phys.science.data.pools import name_space
from phys.science.data.population import FIRST, NAME, VALUE, BioD, BioS, Rendered
from phys.science.model.gpt import GPT


@torch.no_grad()
def token_losses(model: GPT, rendered: Rendered, eos_id: int, pad_id: int, device: str = "cpu",
                 batch_size: int = 256) -> np.ndarray:
    """(n_tokens,) nats: -log Pr(token | the tokens before it in its document), each document read from a
    leading <eos> (so its first token, the name, is predicted from nothing)."""
    docs = rendered.docs
    offsets = np.asarray(docs.offsets)
    out = np.zeros(int(offsets[-1]), dtype=np.float64)
    model.eval()
    for start in range(0, len(docs), batch_size):
        ids = range(start, min(start + batch_size, len(docs)))
        longest = max(int(offsets[i + 1] - offsets[i]) for i in ids)
        rows = np.full((len(ids), longest + 1), pad_id, dtype=np.int64)  # (B, 1 + longest)
        rows[:, 0] = eos_id
        for r, i in enumerate(ids):
            n = int(offsets[i + 1] - offsets[i])
            rows[r, 1 : 1 + n] = docs.tokens[offsets[i] : offsets[i + 1]]
        x = torch.from_numpy(rows).to(device)
        logits = model(x[:, :-1]).float()  # (B, longest, V)
        nll = F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none").cpu().numpy()  # (B, longest)
        for r, i in enumerate(ids):
            n = int(offsets[i + 1] - offsets[i])
            out[offsets[i] : offsets[i + 1]] = nll[r, :n]
    return out


def summed_losses(losses: np.ndarray, rendered: Rendered) -> dict[str, float]:
    """Per-person sums of the losses over name, value and first-chunk tokens, averaged over people (nats)."""
    offsets = np.asarray(rendered.docs.offsets)
    person_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))  # (n_tokens,)
    n = len(offsets) - 1

    def per_person(mask: np.ndarray) -> float:
        return float(np.bincount(person_of[mask], weights=losses[mask], minlength=n).mean())

    part = rendered.part
    return {"name": per_person(part == NAME), "value": per_person((part == VALUE) | (part == FIRST)),
            "first": per_person(part == FIRST)}


def capacity_params(model: GPT, used_tokens: int) -> int:
    """P of [3.3 §2.3]: every parameter, but the embedding only for the tokens the data uses."""
    unused_rows = model.wte.weight.shape[0] - used_tokens
    matrices = 1 if model.config.tied else 2  # an untied output layer has unused rows too
    return model.num_params() - unused_rows * model.config.n_embd * matrices


def measure(model: GPT, population: BioD | BioS, rendered: Rendered, used_tokens: int, device: str = "cpu"
            ) -> dict[str, Any]:
    """p1, p2, p3 (nats), the stored and the maximal bits, P, bits/param and R^max/param of one model."""
    tokenizer = population.tokenizer
    losses = token_losses(model, rendered, tokenizer.eos_id, tokenizer.pad_id, device)
    sums = summed_losses(losses, rendered)
    N = population.n_people
    if isinstance(population, BioD):
        s = population.shape
        p1, p2, p3 = sums["name"], sums["value"] / s.K, sums["first"] / s.K  # p2, p3 per (person, attribute)
        stored = bits.biod_bits(N, s.K, s.C, s.D, s.L, s.T, name_space(s.name_pool), p1, p2, p3)
    else:
        p1, p2, p3 = sums["name"], sums["value"], 0.0
        stored = bits.bios_bits(N, name_space(population.shape.name_pool), p1, p2)
    most = population.max_bits()
    P = capacity_params(model, used_tokens)
    return {"p1": round(p1, 4), "p2": round(p2, 4), "p3": round(p3, 4), "bits": round(stored, 1),
            "max_bits": round(most, 1), "params": P, "bits_per_param": round(stored / P, 4),
            "max_bits_per_param": round(most / P, 4), "stored_fraction": round(stored / most, 4)}
