"""Round-to-nearest (RTN) weight quantization, for recounting the bits a quantized model keeps [3.3 Result 8].

Every weight matrix (linear layers and the embedding, which the output layer shares) is quantized per
output row, symmetrically: scale = max |w_row| / (2^(b-1) - 1), w = round(w / scale) * scale. Biases and
LayerNorm stay in float. The paper used GPTQ (auto_gptq, calibrated on 1000 biographies), which
compensates rounding errors column by column; RTN is the simpler baseline and usually loses more at int4.
"""

from __future__ import annotations

import copy

import torch

from phys.science.model.gpt import GPT


@torch.no_grad()
def quantize_rtn(model: GPT, bits: int) -> GPT:
    """A copy of `model` whose weight matrices hold only the values of a `bits`-bit per-row RTN grid."""
    if not 2 <= bits <= 16:
        raise ValueError(f"bits must be in [2, 16], got {bits}")
    levels = 2 ** (bits - 1) - 1
    quantized = copy.deepcopy(model)
    seen: set[int] = set()
    for p in quantized.parameters():
        if p.dim() != 2 or id(p) in seen:  # matrices only; a tied matrix once
            continue
        seen.add(id(p))
        scale = p.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / levels  # (rows, 1)
        p.copy_(torch.round(p / scale).clamp(-levels, levels) * scale)
    return quantized
