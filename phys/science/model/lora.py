"""LoRA as the papers use it: low-rank updates of the query and value projections plus a low-rank update of
the input embedding ([3.1 App. C], [3.2 App. B–C]: q/v rank r = 8 or 16, embedding rank r′ = 128, α = 4;
"the large embedding-rank update matters").

`add_lora(model, rank, emb_rank, alpha)` freezes every weight of a GPT and wraps its modules in place, so
the forward pass, the loss and decoding are unchanged code; only the adapters train. `merge_lora(model)`
folds the adapters back into a plain `GPT` whose forward equals the adapted one. The embedding update acts
on the input lookup only (as PEFT's embedding LoRA does on GPT-2): the tied output layer keeps the
pretrained matrix, so a merged model with an embedding update has untied embeddings.

Initialisation: one factor Gaussian, the other zero, so the adapted model starts equal to the pretrained
one ([3.2 App. B]: "B Gaussian-initialised and A zero-initialised", in its naming). Here `*_a` is always
the factor applied first (input side) and `*_b` the second: for q/v, a Gaussian and b zero; for the
embedding, whose input is a token id, a (the per-token rows) zero and b Gaussian.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn as nn
import torch.nn.functional as F

from phys.science.model.gpt import GPT


class LoRAQKV(nn.Module):
    """The fused qkv projection plus rank-r updates of its query and value thirds (not the key).

    out = W x + b + (α / r) · [B_q A_q x, 0, B_v A_v x], with A: (r, C) Gaussian and B: (C, r) zero.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float, generator: torch.Generator) -> None:
        super().__init__()
        C = base.in_features
        self.base = base
        self.scale = alpha / rank
        self.q_a = nn.Parameter(torch.randn(rank, C, generator=generator) / C**0.5)
        self.q_b = nn.Parameter(torch.zeros(C, rank))
        self.v_a = nn.Parameter(torch.randn(rank, C, generator=generator) / C**0.5)
        self.v_b = nn.Parameter(torch.zeros(C, rank))

    def delta_weight(self) -> torch.Tensor:
        """(3C, C): the update of the fused weight, zero on the key rows."""
        dq = self.q_b @ self.q_a  # (C, C)
        dv = self.v_b @ self.v_a
        return self.scale * torch.cat([dq, torch.zeros_like(dq), dv], dim=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, T, C) -> (B, T, 3C)
        dq = (x @ self.q_a.T) @ self.q_b.T  # (B, T, C) through rank r
        dv = (x @ self.v_a.T) @ self.v_b.T
        return self.base(x) + self.scale * torch.cat([dq, torch.zeros_like(dq), dv], dim=-1)


class LoRAEmbedding(nn.Module):
    """The token embedding plus a rank-r′ update: E[i] + (α / r′) · A[i] B, with A: (V, r′) zero, B: (r′, C)
    Gaussian. A token's row moves only if the token is seen, as with a full embedding update; with `frozen`
    ((V,) bool), the rows it marks never move (their A rows are held at zero)."""

    def __init__(self, base: nn.Embedding, rank: int, alpha: float, generator: torch.Generator,
                 frozen: torch.Tensor | None = None) -> None:
        super().__init__()
        V, C = base.weight.shape
        self.base = base
        self.scale = alpha / rank
        self.a = nn.Parameter(torch.zeros(V, rank))
        self.b = nn.Parameter(torch.randn(rank, C, generator=generator) / rank**0.5)
        # (V, 1) 0 on frozen rows; not in the state dict (merge_lora and checkpoints see a plain update)
        self.register_buffer("keep", None if frozen is None else (~frozen).float().unsqueeze(1), persistent=False)

    def _a(self) -> torch.Tensor:  # (V, r′), frozen rows zeroed
        return self.a if self.keep is None else self.a * self.keep

    @property
    def weight(self) -> torch.Tensor:  # the (frozen) pretrained matrix, which the output layer is tied to
        return self.base.weight

    def delta_weight(self) -> torch.Tensor:
        return self.scale * self._a() @ self.b  # (V, C)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:  # idx: (B, T) -> (B, T, C)
        return self.base(idx) + self.scale * F.embedding(idx, self._a()) @ self.b


def add_lora(model: GPT, rank: int, emb_rank: int, alpha: float = 4.0, seed: int = 0) -> GPT:
    """Freeze `model` and attach adapters in place (rank 0 = none of that kind), their Gaussian factors
    drawn from `seed` on the CPU; returns the model."""
    if rank < 0 or emb_rank < 0 or rank == emb_rank == 0:
        raise ValueError("LoRA needs rank > 0 or emb_rank > 0 (and neither negative)")
    for p in model.parameters():
        p.requires_grad_(False)
    device = model.lm_head.weight.device
    generator = torch.Generator().manual_seed(seed)
    if rank:
        for block in model.blocks:
            block.attn.qkv = LoRAQKV(block.attn.qkv, rank, alpha, generator).to(device)
    if emb_rank:
        model.wte = LoRAEmbedding(model.wte, emb_rank, alpha, generator).to(device)
    return model


def adapter_parameters(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


@torch.no_grad()
def merge_lora(model: GPT) -> GPT:
    """A plain GPT (no adapter modules) computing the same function as the adapted `model`."""
    config = model.config
    if isinstance(model.wte, LoRAEmbedding):
        config = dataclasses.replace(config, tied=False)
    merged = GPT(config).to(model.lm_head.weight.device)
    state = {}
    for name, module in model.named_modules():
        if isinstance(module, (LoRAQKV, LoRAEmbedding)):
            state[f"{name}.weight"] = module.base.weight + module.delta_weight()
            if isinstance(module, LoRAQKV):
                state[f"{name}.bias"] = module.base.bias
    plain = {k.replace(".base.", "."): v for k, v in model.state_dict().items()
             if not k.rsplit(".", 1)[-1] in ("q_a", "q_b", "v_a", "v_b", "a", "b")}
    plain.update(state)
    plain["lm_head.weight"] = model.lm_head.weight.clone()
    merged.load_state_dict(plain)
    return merged.train(model.training)


def trainable_fraction(model: nn.Module) -> float:
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in adapter_parameters(model)) / max(1, total)
