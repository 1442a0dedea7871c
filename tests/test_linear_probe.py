"""Probes ([3.1 §5], [2.1 §4]) must find a planted linear signal and must stay at chance on noise, on
people they were not trained on: otherwise a probing curve says nothing about the model."""

from __future__ import annotations

import torch

from phys.science.model.gpt import GPT, GPTConfig
from phys.science.probe import fit_linear_probes, train_embedding_probe

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
