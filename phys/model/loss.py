"""Output projection + cross-entropy in one autograd function, for fp32 training on CPU (and fp32 on GPU).

`F.cross_entropy(h @ W.T, t)` materialises the (M, V) logits, log-probabilities, a zero-filled gradient and
the softmax again in backward; over a few-thousand-word vocabulary that was a third of a CPU training step.
Here the rows go through in chunks of about a million logits: each chunk's logits become probabilities in
place (one exp pass), then the gradient of the loss with respect to them, and both GEMMs of the backward
pass run at once while the chunk is still in cache. Backward only scales the two gradients it kept; the
(M, V) logits never exist. Measured on a 2-core CPU at the cpu-scale shapes (M 3,335, C 128, V 2,399):
31 ms per forward + backward, against 39 ms for the unchunked two-pass version it replaced.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

CHUNK_LOGITS = 1 << 20  # logits per chunk: 4 MB in fp32 (chunks of 256 to 4,096 rows measured 31-33 ms)


class LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,  # type: ignore[override]
                need_h: bool, need_w: bool) -> torch.Tensor:
        """h: (M, C), weight: (V, C), targets: (M,) -> mean cross-entropy of softmax(h @ weight.T).

        need_h, need_w: which gradients to compute (forward cannot tell: it runs with grad mode off, and
        `needs_input_grad` is true for parameters under `torch.no_grad()` too; LoRA freezes the weight)."""
        M, V = h.shape[0], weight.shape[0]
        weight_t = weight.t().contiguous()  # (C, V)
        losses = torch.empty(M, dtype=h.dtype, device=h.device)
        grad_h = torch.empty_like(h) if need_h else None
        grad_w = torch.zeros_like(weight) if need_w else None
        chunk = max(64, CHUNK_LOGITS // V)
        for start in range(0, M, chunk):
            rows = slice(start, min(M, start + chunk))
            h_c, t_c = h[rows], targets[rows]  # (c, C), (c,)
            logits = h_c @ weight_t  # (c, V)
            index = torch.arange(len(t_c), device=h.device)
            target_logit = logits[index, t_c]  # (c,)
            peak = logits.amax(dim=-1, keepdim=True)  # (c, 1)
            probs = logits.sub_(peak).exp_()  # unnormalised, in place
            total = probs.sum(dim=-1, keepdim=True)  # (c, 1)
            losses[rows] = total.squeeze(1).log() + peak.squeeze(1) - target_logit
            if need_h or need_w:
                probs.div_(total)
                probs[index, t_c] -= 1.0  # d(sum of the chunk's losses) / d logits
            if need_h:
                torch.mm(probs, weight, out=grad_h[rows])  # (c, C)
            if need_w:
                grad_w.addmm_(probs.t(), h_c)  # (V, C)
        ctx.save_for_backward(grad_h, grad_w)
        ctx.rows = max(M, 1)  # no rows: zero gradients (the loss is NaN, as F.cross_entropy's)
        return losses.mean()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor):  # type: ignore[override]
        grad_h, grad_w = ctx.saved_tensors  # gradients of the summed loss, or None
        scale = grad_out / ctx.rows
        return (None if grad_h is None else grad_h * scale, None if grad_w is None else grad_w * scale,
                None, None, None)


@torch.compiler.disable  # its loop runs per row count: traced, every batch's count would recompile
def linear_cross_entropy(h: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of softmax(h @ weight.T) against targets; h: (M, C), weight: (V, C), targets: (M,)."""
    grad_mode = torch.is_grad_enabled()
    return LinearCrossEntropy.apply(h, weight, targets, grad_mode and h.requires_grad,
                                    grad_mode and weight.requires_grad)
