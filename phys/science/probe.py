"""Probing a frozen GPT: is a person's attribute readable from its hidden states, and where?

Two probes, both trained on one half of the people and scored on the other (a probe must generalise
over people, not memorise them):

- `fit_linear_probes`: multinomial logistic regression on cached activations (LayerNorm without affine,
  then linear), batched over many sites (layer × position) at once. Cheap: every layer of a model in
  seconds, so it draws the per-layer picture.
- `EmbeddingProbe`: the papers' probe ([3.1 §5, App. E]; [2.1 §4]): the model frozen, a trainable rank-r
  update of its input embedding (`phys.science.model.lora.LoRAEmbedding`), then a LayerNorm with affine parameters
  and one linear head per attribute on the last layer, at chosen positions. Rank 2 for P-probing (at the
  positions just before each attribute in a biography), rank 16 for Q-probing (at the end of the name).
  Gradients run through the frozen model to the embedding update, so it recomputes activations.

Science code: tensors in, accuracies out; it knows nothing of stages or the ledger.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from phys.science.model.gpt import GPT
from phys.science.model.lora import LoRAEmbedding


def fit_linear_probes(x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor,
                      n_classes: int, steps: int = 300, lr: float = 0.05, weight_decay: float = 1e-3,
                      seed: int = 0) -> torch.Tensor:
    """Test correctness of one linear probe per site.

    x_train: (S, n, C) features at S sites; y_train: (n,) class ids in [0, n_classes); x_test: (S, m, C);
    y_test: (m,). Full-batch AdamW on the summed per-site cross-entropies. Returns (S, m) bool.
    """
    generator = torch.Generator().manual_seed(seed)
    S, _, C = x_train.shape
    x_train, x_test = F.layer_norm(x_train, (C,)), F.layer_norm(x_test, (C,))
    weight = nn.Parameter(torch.randn(S, C, n_classes, generator=generator) * 0.01)  # (S, C, K)
    bias = nn.Parameter(torch.zeros(S, 1, n_classes))
    optimizer = torch.optim.AdamW([weight, bias], lr=lr, weight_decay=weight_decay)
    targets = y_train.expand(S, -1).reshape(-1)  # (S*n,)
    for _ in range(steps):
        logits = torch.baddbmm(bias, x_train, weight)  # (S, n, K)
        loss = F.cross_entropy(logits.reshape(-1, n_classes), targets) * S
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        pred = torch.baddbmm(bias, x_test, weight).argmax(-1)  # (S, m)
    return pred == y_test


class EmbeddingProbe(nn.Module):
    """Frozen GPT + rank-r input-embedding update + LayerNorm + one linear head per task, read at given
    positions of the last layer."""

    def __init__(self, model: GPT, emb_rank: int, n_classes: list[int], seed: int = 0,
                 frozen_tokens: torch.Tensor | None = None) -> None:
        super().__init__()
        for p in model.parameters():
            p.requires_grad_(False)
        generator = torch.Generator().manual_seed(seed)
        frozen = None
        if frozen_tokens is not None:
            frozen = torch.zeros(model.config.vocab_size, dtype=torch.bool)
            frozen[frozen_tokens.cpu()] = True
        model.wte = LoRAEmbedding(model.wte, emb_rank, alpha=emb_rank, generator=generator, frozen=frozen).to(
            model.lm_head.weight.device)
        self.model = model
        C = model.config.n_embd
        self.norm = nn.LayerNorm(C)
        self.heads = nn.ModuleList(nn.Linear(C, k) for k in n_classes)

    def forward(self, idx: torch.Tensor, positions: torch.Tensor) -> list[torch.Tensor]:
        """idx: (B, T) ids; positions: (B, P) token positions -> per task, logits (B, P, K_task)."""
        h = self.model.layer_states(idx)[-1]  # (B, T, C), the last block's output
        h = h.gather(1, positions.unsqueeze(-1).expand(-1, -1, h.shape[-1]))  # (B, P, C)
        h = self.norm(h)
        return [head(h) for head in self.heads]


def fit_embedding_probe(model: GPT, idx: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor,
                        train: torch.Tensor, n_classes: list[int], emb_rank: int, steps: int, batch_size: int,
                        lr: float = 1e-3, weight_decay: float = 0.3, seed: int = 0, trim: bool = False,
                        frozen_tokens: torch.Tensor | None = None) -> EmbeddingProbe:
    """The papers' probe fitted on the examples `train` (see `train_embedding_probe`), in eval mode. It
    wraps `model`'s input embedding in place: pass a copy to keep the model itself unchanged."""
    probe = EmbeddingProbe(model, emb_rank, n_classes, seed, frozen_tokens)
    params = [p for p in probe.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, eps=1e-6)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    generator = torch.Generator().manual_seed(seed)
    train_ids = train.nonzero().squeeze(1)
    probe.train()
    for _ in range(steps):
        batch = train_ids[torch.randint(len(train_ids), (batch_size,), generator=generator)]
        width = int(positions[batch].max()) + 1 if trim else idx.shape[1]
        logits = probe(idx[batch, :width], positions[batch])
        loss = sum(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), labels[batch, a].repeat_interleave(lg.shape[1]))
                   for a, lg in enumerate(logits) if bool((labels[batch, a] != -100).any()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return probe.eval()


def train_embedding_probe(model: GPT, idx: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor,
                          train: torch.Tensor, n_classes: list[int], emb_rank: int, steps: int, batch_size: int,
                          lr: float = 1e-3, weight_decay: float = 0.3, seed: int = 0, trim: bool = False,
                          frozen_tokens: torch.Tensor | None = None) -> torch.Tensor:
    """Train the papers' probe on the people `train` and return its correctness on everyone.

    idx: (N, T) padded token ids (right padding never reaches the read positions: attention is causal);
    positions: (N, P); labels: (N, A) class ids of A tasks; train: (N,) bool. AdamW, linear decay to 0
    ([3.1 App. E]). Returns (N, P, A) bool: is task a right at position p of person n.
    A label of -100 marks a task an example does not carry (no loss). trim: cut each batch after its
    last read position (causal attention: the same outputs, less work on right padding). frozen_tokens:
    (k,) token ids whose embedding rows the update leaves fixed (None: every row may move).
    """
    probe = fit_embedding_probe(model, idx, positions, labels, train, n_classes, emb_rank, steps, batch_size, lr,
                                weight_decay, seed, trim, frozen_tokens)
    with torch.no_grad():
        out = []
        for start in range(0, len(idx), 256):
            width = int(positions[start : start + 256].max()) + 1 if trim else idx.shape[1]
            logits = probe(idx[start : start + 256, :width], positions[start : start + 256])
            out.append(torch.stack([lg.argmax(-1) for lg in logits], dim=-1)
                       == labels[start : start + 256].unsqueeze(1))  # (b, P, A)
    return torch.cat(out)
