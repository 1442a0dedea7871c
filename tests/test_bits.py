"""Bit accounting of [3.3 Definitions 4.1 / 4.3]: known answers by hand, and the loss sums of a model
that knows the data exactly (R = R^max)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from phys.science import bits
from phys.science.capacity import capacity_params, summed_losses, token_losses
from phys.science.data.population import build
from phys.science.data.pools import name_space
from phys.science.model.gpt import GPT, GPTConfig


def test_log2_s0_is_the_papers_47_6_bits():
    assert math.log2(bits.S0) == pytest.approx(47.59, abs=0.005)


def test_a_model_certain_of_every_value_stores_the_maximum():
    N, N0 = 1000, 160_000_000
    assert bits.bios_bits(N, N0, p1=math.log(N), p2=0.0) == pytest.approx(bits.bios_max_bits(N, N0))
    assert bits.biod_bits(N, 4, 6, 16, 1, 256, N0, math.log(N), 0.0, 0.0) == pytest.approx(
        bits.biod_max_bits(N, 4, 6, 16, 1, 256, N0))


def test_a_uniform_model_stores_nothing():
    N, N0 = 1000, 27_000
    assert bits.bios_bits(N, N0, p1=math.log(N0), p2=math.log(bits.S0)) == pytest.approx(0.0, abs=1e-6)
    # bioD: uniform over the diversity set for every chunk, and over the names
    K, C, D, L, T = 4, 6, 16, 1, 256
    no_people = bits.biod_bits(N, K, C, D, L, T, N0, math.log(N0), C * math.log(D), math.log(D))
    assert no_people == pytest.approx(K * D * (L * math.log2(T) - 2 * math.log2(D)))  # the diversity term only


def test_bits_by_hand():
    # 10 people out of 1000 names, 1 attribute of 1 chunk from a set of 4 single tokens out of 16
    assert bits.biod_max_bits(10, 1, 1, 4, 1, 16, 1000) == pytest.approx(10 * math.log2(100) + 10 * 2 + 4 * 2)
    half = bits.biod_bits(10, 1, 1, 4, 1, 16, 1000, p1=math.log(10), p2=math.log(2), p3=math.log(2))
    assert half == pytest.approx(10 * math.log2(100) + 10 * 1 + 4 * 1)  # one bit of each value known


class Oracle(torch.nn.Module):
    """Predicts the next token from the empirical continuations of the rendered documents: certain once a
    prefix identifies a person, 1/N over the names at the start."""

    def __init__(self, docs, vocab: int, eos: int) -> None:
        super().__init__()
        self.vocab, self.counts = vocab, {}
        for i in range(len(docs)):
            seq = [eos] + docs.tokens[docs.offsets[i] : docs.offsets[i + 1]].tolist()
            for t in range(1, len(seq)):
                nxt = self.counts.setdefault(tuple(seq[:t]), {})
                nxt[seq[t]] = nxt.get(seq[t], 0) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.full((*x.shape, self.vocab), -1e9)
        for b, row in enumerate(x.tolist()):
            for t in range(len(row)):
                nxt = self.counts.get(tuple(row[: t + 1]), {})
                total = sum(nxt.values())
                for token, n in nxt.items():
                    logits[b, t, token] = math.log(n / total)
        return logits


@pytest.mark.parametrize("kind", ["bioD", "bioS_simple"])
def test_measured_losses_of_a_model_that_knows_the_data_give_the_maximum(kind):
    pop = build(kind, 12, 0, K=2, C=2, D=4, L=1, T=8, name_pool=20)
    rendered = pop.render(np.random.default_rng(0))
    tok = pop.tokenizer
    losses = token_losses(Oracle(rendered.docs, len(tok), tok.eos_id), rendered, tok.eos_id, tok.pad_id, batch_size=5)
    sums = summed_losses(losses, rendered)
    assert sums["name"] == pytest.approx(math.log(12))  # the name: one of N, nothing more
    assert sums["value"] == pytest.approx(0.0, abs=1e-6) and sums["first"] == pytest.approx(0.0, abs=1e-6)
    if kind == "bioD":
        stored = bits.biod_bits(12, 2, 2, 4, 1, 8, name_space(20), sums["name"], 0.0, 0.0)
    else:
        stored = bits.bios_bits(12, name_space(20), sums["name"], sums["value"])
    assert stored == pytest.approx(pop.max_bits())


def test_parameters_count_only_the_embedding_rows_the_data_uses():
    model = GPT(GPTConfig(vocab_size=100, n_layer=1, n_head=2, n_embd=16))
    assert capacity_params(model, used_tokens=40) == model.num_params() - 60 * 16
    untied = GPT(GPTConfig(vocab_size=100, n_layer=1, n_head=2, n_embd=16, tied=False))
    assert capacity_params(untied, used_tokens=40) == untied.num_params() - 2 * 60 * 16


def test_s0_is_the_product_of_the_pools():
    from phys.science.data.pools import load_pools

    pools = load_pools()
    product = 2 * 12 * 28 * 200 * len(pools.cities) * len(pools.universities) * len(pools.majors) * len(pools.companies)
    assert bits.S0 == product


def test_rtn_quantization_keeps_a_grid_of_2_to_the_b_values_per_row():
    from phys.science.quantize import quantize_rtn

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=60, n_layer=1, n_head=2, n_embd=16))
    q8, q4 = quantize_rtn(model, 8), quantize_rtn(model, 4)
    w, w4 = model.blocks[0].mlp[0].weight, q4.blocks[0].mlp[0].weight
    for row, row4 in zip(w, w4):
        assert len(torch.unique(row4)) <= 15  # levels -7 … 7
        scale = row.abs().max() / 7
        assert torch.allclose(row4 / scale, torch.round(row4 / scale), atol=1e-4)
        assert (row - row4).abs().max() <= scale / 2 + 1e-6  # round to nearest
    assert (q8.wte.weight - model.wte.weight).abs().max() < (q4.wte.weight - model.wte.weight).abs().max()
    assert q4.lm_head.weight is q4.wte.weight  # still tied
    assert torch.equal(q4.blocks[0].ln_1.weight, model.blocks[0].ln_1.weight)  # norms stay in float
    assert not torch.equal(q4.wte.weight, model.wte.weight) and torch.equal(model.wte.weight, model.wte.weight)
