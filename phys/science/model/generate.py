"""Batched greedy decoding with a KV cache."""

from __future__ import annotations

import torch

from phys.science.model.gpt import GPT, KVCache


@torch.no_grad()
def greedy(model: GPT, prompts: torch.Tensor, max_new_tokens: int, eos_id: int) -> torch.Tensor:
    """prompts: (B, P) ids, all the same length -> generated ids (B, max_new_tokens).

    After a row emits `eos_id` it keeps emitting `eos_id`; decoding stops early once every row has.
    """
    B, P = prompts.shape
    dtype = next(model.parameters()).dtype
    cache = KVCache(model.config, B, P + max_new_tokens, prompts.device, dtype)
    logits = model(prompts, cache)[:, -1]  # (B, V)
    out = torch.full((B, max_new_tokens), eos_id, dtype=torch.long, device=prompts.device)
    done = torch.zeros(B, dtype=torch.bool, device=prompts.device)
    for i in range(max_new_tokens):
        nxt = logits.argmax(dim=-1)  # (B,)
        nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
        out[:, i] = nxt
        done |= nxt == eos_id
        if bool(done.all()) or i == max_new_tokens - 1:
            break
        logits = model(nxt[:, None], cache)[:, -1]
    return out


@torch.no_grad()
def greedy_padded(model: GPT, prompts: list[list[int]], max_new_tokens: int, eos_id: int, pad_id: int,
                  device: str = "cpu") -> list[list[int]]:
    """Greedy continuations of prompts of different lengths, decoded together (left-padded, the padding
    masked out of attention); each continuation ends before its first `eos_id`."""
    B, P = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((B, P), pad_id, dtype=torch.long)
    for b, p in enumerate(prompts):
        ids[b, P - len(p):] = torch.tensor(p)
    pad = torch.tensor([P - len(p) for p in prompts], device=device)
    ids = ids.to(device)
    dtype = next(model.parameters()).dtype
    cache = KVCache(model.config, B, P + max_new_tokens, ids.device, dtype, pad=pad)
    logits = model(ids, cache)[:, -1]  # (B, V)
    out = torch.full((B, max_new_tokens), eos_id, dtype=torch.long, device=ids.device)
    done = torch.zeros(B, dtype=torch.bool, device=ids.device)
    for i in range(max_new_tokens):
        nxt = torch.where(done, torch.full((B,), eos_id, device=ids.device), logits.argmax(dim=-1))  # (B,)
        out[:, i] = nxt
        done |= nxt == eos_id
        if bool(done.all()) or i == max_new_tokens - 1:
            break
        logits = model(nxt[:, None], cache)[:, -1]
    rows = out.tolist()
    return [row[: row.index(eos_id)] if eos_id in row else row for row in rows]


@torch.no_grad()
def greedy_full(model: GPT, prompts: torch.Tensor, max_new_tokens: int, eos_id: int) -> torch.Tensor:
    """The same decoding without a cache (recomputes the whole sequence each step); the reference in tests."""
    seq = prompts
    out = []
    done = torch.zeros(prompts.shape[0], dtype=torch.bool, device=prompts.device)
    for _ in range(max_new_tokens):
        nxt = model(seq)[:, -1].argmax(dim=-1)
        nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
        out.append(nxt)
        done |= nxt == eos_id
        if bool(done.all()):
            break
        seq = torch.cat([seq, nxt[:, None]], dim=1)
    res = torch.stack(out, dim=1)
    pad = torch.full((prompts.shape[0], max_new_tokens - res.shape[1]), eos_id, dtype=torch.long)
    return torch.cat([res, pad.to(res.device)], dim=1)
