"""Probes ([3.1 §5], [2.1 §4]) must find a planted linear signal and must stay at chance on noise, on
people they were not trained on: otherwise a probing curve says nothing about the model."""

from __future__ import annotations

import copy

import torch

from phys.science.model.gpt import GPT, GPTConfig
from phys.science.probe import fit_embedding_probe, fit_linear_probes, train_embedding_probe

K = 5


def planted(n: int, signal: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(2, n, 32) features at two sites: site 0 carries the class linearly (times `signal`), site 1 only noise."""
    y = torch.randint(K, (n,), generator=generator)
    means = torch.randn(K, 32, generator=torch.Generator().manual_seed(9))
    noise = torch.randn(2, n, 32, generator=generator)
    x = noise.clone()
    x[0] += signal * means[y]
    return x, y


def test_linear_probe_recovers_a_planted_signal_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x_train, y_train = planted(400, 1.0, g)
    x_test, y_test = planted(400, 1.0, g)
    acc = fit_linear_probes(x_train, y_train, x_test, y_test, K).float().mean(1)
    assert acc[0] > 0.9  # the planted site
    assert abs(acc[1] - 1 / K) < 0.08  # pure noise: chance on unseen people, however well it fit the train half


def tiny_model() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=40, n_layer=2, n_head=2, n_embd=32, block_size=16))


def test_embedding_probe_reads_a_planted_token_and_not_noise():
    g = torch.Generator().manual_seed(1)
    n = 600
    idx = torch.randint(1, 40, (n, 8), generator=g)
    positions = torch.tensor([[3, 6]]).expand(n, -1)  # (n, 2)
    train = torch.arange(n) < n // 2
    signal = idx[:, 3] % K  # the token at position 3 is in the residual stream there (any weights)
    noise = torch.randint(K, (n,), generator=g)  # independent of the input
    labels = torch.stack([signal, noise], dim=1)  # (n, 2 tasks)
    correct = train_embedding_probe(tiny_model(), idx, positions, labels, train, [K, K], emb_rank=2, steps=300,
                                    batch_size=50, lr=1e-2, weight_decay=0.0)
    test = correct[~train].float().mean(0)  # (positions, tasks)
    assert test[0, 0] > 0.9
    assert (test[:, 1] - 1 / K).abs().max() < 0.1


def test_embedding_probe_leaves_the_model_frozen():
    model = tiny_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    idx = torch.randint(1, 40, (64, 8))
    train_embedding_probe(model, idx, torch.full((64, 1), 7), torch.zeros(64, 1, dtype=torch.long),
                          torch.ones(64, dtype=torch.bool), [2], emb_rank=2, steps=5, batch_size=16)
    after = {k.replace("wte.base.", "wte."): v for k, v in model.state_dict().items() if k not in ("wte.a", "wte.b")}
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_frozen_tokens_keep_their_embedding_rows_while_the_others_move():
    model = tiny_model()
    base = model.wte.weight.detach().clone()
    idx = torch.randint(1, 40, (64, 8), generator=torch.Generator().manual_seed(2))
    probe = fit_embedding_probe(model, idx, torch.full((64, 1), 7), torch.randint(2, (64, 1)),
                                torch.ones(64, dtype=torch.bool), [2], emb_rank=2, steps=20, batch_size=16, lr=1e-2,
                                frozen_tokens=torch.tensor([5, 6]))
    with torch.no_grad():
        rows = probe.model.wte(torch.arange(1, 40).unsqueeze(0))[0]  # (39, C)
    moved = (rows - base[1:40]).abs().amax(-1) > 0  # (39,)
    assert not moved[[4, 5]].any() and moved.sum() == 37


def test_freezing_identity_tokens_stops_the_probe_from_memorising_people():
    """Each example carries a token of its own (a one-person last name) and a random label: through that
    token's row the rank-r update memorises the training examples; with those rows frozen it cannot, and only
    what the frozen model already computes is left to fit (`probe.fix_names`)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=300, n_layer=2, n_head=2, n_embd=32, block_size=16))
    n = 200
    ids = torch.arange(40, 40 + n)  # (n,) one identity token per example
    idx = torch.ones(n, 6, dtype=torch.long)
    idx[:, 2] = ids
    labels = torch.randint(K, (n, 1), generator=torch.Generator().manual_seed(3))
    train = torch.ones(n, dtype=torch.bool)

    def fit(frozen: torch.Tensor | None) -> float:
        correct = train_embedding_probe(copy.deepcopy(model), idx, torch.full((n, 1), 5), labels, train, [K],
                                        emb_rank=2, steps=300, batch_size=50, lr=1e-2, weight_decay=0.0,
                                        frozen_tokens=frozen)
        return float(correct.float().mean())

    free, frozen = fit(None), fit(ids)
    assert free > 0.9
    assert frozen < free - 0.3
