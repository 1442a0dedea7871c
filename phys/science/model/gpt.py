"""The papers' "GPT2": GPT-2 with rotary position embeddings instead of learned ones, pre-LN, no dropout.

Rotary follows GPT-NeoX as used in [3.1 App. B]: base 10,000, applied to the first `rotary_pct` (1/4) of
each head's dimensions but at least `rotary_min_dims` (the paper's 16 of 64: eight frequencies) or the whole
of a smaller head, as one autograd function (`Rotary`) whose backward is the inverse rotation. Without the
floor the small heads of CPU-scale models rotated 2 dims (8-dim heads: one frequency, capacity cells flat
for 5,000 steps) or 8 (32-dim heads: four).
Embeddings are tied to the output layer as in GPT-2. Attention is `scaled_dot_product_attention` (its
fused flash kernel on CPU and GPU) for training and prefill, written out for padded or cached decoding.
`KVCache` serves batched greedy decoding (`phys.science.model.generate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from phys.science.config import Attention, Mlp
from phys.science.model.loss import linear_cross_entropy


ROTARY_MIN_DIMS = 16
"""The paper's rotated dims per head: 1/4 of GPT2's 64 [3.1 App. B]."""
LEGACY_ROTARY_MIN_DIMS = 2
"""The floor of models saved before `rotary_min_dims` existed (their model.json lacks it): `load` keeps it."""


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    n_layer: int = 4
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads (head dim = n_embd / n_head)."""
    n_embd: int = 128
    """Hidden width."""
    block_size: int = 128
    """Longest sequence (rotary has no table to outgrow; this bounds the KV cache and training windows)."""
    rotary_pct: float = 0.25
    """Fraction of each head's dims that get rotary embeddings ([3.1 App. B]: 1/4)."""
    rotary_min_dims: int = ROTARY_MIN_DIMS
    """Fewest rotated dims of a head, or all of a smaller head (`rotary_dims`)."""
    rope_base: float = 10_000.0
    """Rotary base frequency."""
    attention: Attention = "auto"
    """sdpa: torch's fused kernel; explicit: softmax(QK^T)V written out (faster for bf16 on CPU); auto picks."""
    tied: bool = True
    """Output layer = input embedding (GPT-2); False after merging an embedding LoRA."""
    mlp: Mlp = "gelu"
    """gelu (GPT-2) | gated (LLaMA's SiLU-gated) | none (attention only) [3.3 Results 5-7]."""
    mlp_ratio: float = 4.0
    """Hidden width / n_embd; a gated MLP uses 2/3 of it per branch (the same parameters)."""

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def rotary_dims(self) -> int:
        """Rotated dims of a head: `rotary_pct` of it, at least `rotary_min_dims`, at most all of it; even
        (rotary turns pairs), at least one pair. 64-dim heads: 16; 32: 16; 8: 8."""
        dims = min(self.head_dim, max(self.rotary_min_dims, int(self.head_dim * self.rotary_pct)))
        return max(2, dims // 2 * 2)

    @classmethod
    def load(cls, fields: dict) -> "GPTConfig":
        """The config a model.json holds; one saved before `rotary_min_dims` keeps its old floor of 2."""
        return cls(**{"rotary_min_dims": LEGACY_ROTARY_MIN_DIMS, **fields})


class KVCache:
    """Per-layer key/value buffers of shape (B, nh, T_max, hs), filled left to right.

    `pad`: (B,) number of left-padding positions of each row (prompts of different lengths decoded
    together). Real tokens never attend to a row's padding; rotary is relative, so the shift is harmless.
    """

    def __init__(self, config: GPTConfig, batch: int, max_len: int, device: torch.device, dtype: torch.dtype,
                 pad: torch.Tensor | None = None):
        shape = (batch, config.n_head, max_len, config.head_dim)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.length = 0
        self.pad = pad

    def padding_bias(self, T: int, L: int, dtype: torch.dtype) -> torch.Tensor | None:
        """(B, 1, T, L) additive mask: -inf where a real query (position >= pad) sees a padding key. Padding
        queries keep their causal view (finite values, never read)."""
        if self.pad is None or not bool((self.pad > 0).any()):
            return None
        pos = torch.arange(L, device=self.pad.device)
        key_pad = pos[None, :] < self.pad[:, None]  # (B, L)
        query_real = pos[None, L - T :] >= self.pad[:, None]  # (B, T)
        hidden = key_pad[:, None, :] & query_real[:, :, None]  # (B, T, L)
        bias = torch.zeros(hidden.shape, device=self.pad.device, dtype=dtype).masked_fill(hidden, float("-inf"))
        return bias[:, None]


def rotary_tables(config: GPTConfig, length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of position x frequency, (length, rot/2) each: rot = the rotated dims of a head."""
    rot = config.rotary_dims
    inv_freq = 1.0 / (config.rope_base ** (torch.arange(0, rot, 2, device=device, dtype=torch.float32) / rot))
    freqs = torch.outer(torch.arange(length, device=device, dtype=torch.float32), inv_freq)  # (T, rot/2)
    return freqs.cos(), freqs.sin()


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (..., T, hs); cos, sin: (T, rot/2) -> a new contiguous tensor with dims [0, rot) rotated.

    NeoX's half-split layout: pair (x1, x2) = (dim i, dim i + rot/2) becomes (x1 cos - x2 sin, x2 cos + x1 sin).
    """
    half = cos.shape[-1]
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    out = x.clone(memory_format=torch.contiguous_format)
    x1, x2 = out[..., :half], out[..., half : 2 * half]  # views, rotated in place
    a, b = x1.clone(), x2.clone()  # (..., T, rot/2)
    x1.mul_(cos).addcmul_(b, sin, value=-1)
    x2.mul_(cos).addcmul_(a, sin)
    return out


class Rotary(torch.autograd.Function):
    """Rotary embedding as one function: a rotation is orthogonal, so backward rotates the gradient back
    (sin -> -sin). Autograd of the sliced, concatenated formula zero-filled and copied whole (B, nh, T, hs)
    tensors for every slice. With the fused loss (`phys.science.model.loss`) this made a CPU training step of the
    cpu-scale model 8% faster, measured side by side (205 -> 189 ms), identical losses."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(cos, sin)
        return _rotate(x, cos, sin)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        cos, sin = ctx.saved_tensors
        return _rotate(grad, cos, -sin), None, None


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, nh, T, hs); cos/sin: (T, rot/2) from `rotary_tables` -> x with its first rot dims rotated."""
    return Rotary.apply(x, cos, sin)


_BIAS: dict[tuple[int, int, str, torch.dtype], torch.Tensor] = {}


def causal_bias(T: int, L: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(T, L) additive mask for T queries at positions L-T..L-1 over L keys: 0 where visible, -inf above."""
    key = (T, L, str(device), dtype)
    if key not in _BIAS:
        _BIAS[key] = torch.full((T, L), float("-inf"), device=device, dtype=dtype).triu(L - T + 1)
    return _BIAS[key]


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        B, T, C = x.shape
        nh, hs = self.config.n_head, self.config.head_dim
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, nh, hs).transpose(1, 2)
        v = v.view(B, T, nh, hs).transpose(1, 2)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        offset = 0
        if cache is not None:
            offset = cache.length
            cache.k[layer][:, :, offset : offset + T] = k
            cache.v[layer][:, :, offset : offset + T] = v
            k = cache.k[layer][:, :, : offset + T]  # (B, nh, offset+T, hs)
            v = cache.v[layer][:, :, : offset + T]
        # auto: PyTorch's fused kernel (flash on CPU and GPU) for training and prefill, measured 3% faster than
        # the explicit path on a 2-core CPU at the cpu-scale model in fp32 -- but not in bf16 on a CPU: there
        # its backward took 34 ms a layer against 7 ms for the explicit path (AMD EPYC, native bf16); the
        # explicit path as a whole made a step 27% faster (188 -> 138 ms, side by side). Its bf16 scores are
        # as accurate as an fp32 softmax over bf16 products (relative error 0.0081 vs 0.0079 against fp32),
        # which cost a slow bf16 -> fp32 conversion of every score.
        bf16_cpu = q.dtype == torch.bfloat16 and q.device.type == "cpu"
        use_sdpa = self.config.attention == "sdpa" or (self.config.attention == "auto" and not bf16_cpu)
        padding = cache.padding_bias(T, offset + T, q.dtype) if cache is not None else None
        if padding is not None:
            L = offset + T
            bias = causal_bias(T, L, x.device, q.dtype) + padding  # (B, 1, T, L)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs) + bias  # (B, nh, T, L)
            y = att.softmax(dim=-1) @ v
        elif use_sdpa and offset == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            # One fused scale + causal-mask op: baddbmm(bias, q, k^T) on (B*nh) matrices.
            L = offset + T
            bias = causal_bias(T, L, x.device, q.dtype)  # (T, L), 0 or -inf
            att = torch.baddbmm(
                bias, q.reshape(B * nh, T, hs), k.reshape(B * nh, L, hs).transpose(1, 2), alpha=1.0 / math.sqrt(hs)
            )  # (B*nh, T, L)
            y = (att.softmax(dim=-1) @ v.reshape(B * nh, L, hs)).view(B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class GatedMLP(nn.Module):
    """LLaMA's MLP: down(silu(gate(x)) * up(x)), hidden width 2/3 of `mlp_ratio` x n_embd (equal parameters)."""

    def __init__(self, n_embd: int, hidden: int) -> None:
        super().__init__()
        self.gate = nn.Linear(n_embd, hidden)
        self.up = nn.Linear(n_embd, hidden)
        self.down = nn.Linear(hidden, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))


def make_mlp(config: GPTConfig) -> nn.Module | None:
    hidden = round(config.mlp_ratio * config.n_embd)
    if config.mlp == "gelu":
        return nn.Sequential(nn.Linear(config.n_embd, hidden), nn.GELU(), nn.Linear(hidden, config.n_embd))
    if config.mlp == "gated":
        return GatedMLP(config.n_embd, round(hidden * 2 / 3))
    if config.mlp == "none":
        return None
    raise ValueError(f"unknown mlp {config.mlp!r}; choose gelu, gated or none")


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.mlp = make_mlp(config)
        if self.mlp is not None:
            self.ln_2 = nn.LayerNorm(config.n_embd)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None, layer: int):
        x = x + self.attn(self.ln_1(x), cos, sin, cache, layer)
        return x if self.mlp is None else x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tied:
            self.lm_head.weight = self.wte.weight  # tied, as in GPT-2
        cos, sin = rotary_tables(config, config.block_size * 2, torch.device("cpu"))
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith(("proj.weight", "mlp.2.weight", "mlp.down.weight")):  # GPT-2's scaled residual init
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = False) -> int:
        n = sum(p.numel() for p in self.parameters())
        return n - self.wte.weight.numel() if non_embedding else n

    def hidden(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """idx: (B, T) token ids -> final hidden states (B, T, C) after ln_f."""
        B, T = idx.shape
        offset = cache.length if cache is not None else 0
        if offset + T > self.rope_cos.shape[0]:
            raise ValueError(f"sequence of {offset + T} tokens exceeds the rotary table ({self.rope_cos.shape[0]})")
        cos, sin = self.rope_cos[offset : offset + T], self.rope_sin[offset : offset + T]
        x = self.wte(idx)  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, cache, i)
        if cache is not None:
            cache.length += T
        return self.ln_f(x)

    def layer_states(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """idx: (B, T) -> the residual stream after each block, n_layer tensors of (B, T, C) (probing)."""
        cos, sin = self.rope_cos[: idx.shape[1]], self.rope_sin[: idx.shape[1]]
        x, states = self.wte(idx), []
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, None, i)
            states.append(x)
        return states

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """idx: (B, T) -> logits (B, T, V)."""
        return self.lm_head(self.hidden(idx, cache))

    def loss(self, idx: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy over positions where mask is true.

        idx, targets: (B, T) ids; mask: (B, T) bool. Only masked positions go through the vocabulary
        projection, which saves the softmax over question and padding tokens.
        """
        h = self.hidden(idx)[mask]  # (M, C)
        device = h.device.type
        if device == "cpu" and torch.is_autocast_enabled(device):
            return linear_cross_entropy(h, self.lm_head.weight, targets[mask], torch.get_autocast_dtype(device))
        if torch.is_autocast_enabled(device) or h.dtype != torch.float32:
            return F.cross_entropy(self.lm_head(h).float(), targets[mask])
        return linear_cross_entropy(h, self.lm_head.weight, targets[mask])
