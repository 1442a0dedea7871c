import pytest
import torch
import torch.nn.functional as F

from phys.science.model.generate import greedy, greedy_full
from phys.science.model.gpt import GPT, GPTConfig
from phys.science.model.loss import linear_cross_entropy


def tiny(**kw) -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=50, n_layer=2, n_head=2, n_embd=32, block_size=32, **kw)).eval()


def test_changing_a_later_token_never_changes_earlier_logits():
    model = tiny()
    x = torch.randint(0, 50, (2, 16))
    y = x.clone()
    y[:, 10:] = (y[:, 10:] + 7) % 50
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6)
    assert not torch.allclose(a[:, 10:], b[:, 10:], atol=1e-3)


def test_sdpa_and_explicit_attention_agree():
    x = torch.randint(0, 50, (2, 16))
    with torch.no_grad():
        a = tiny(attention="explicit")(x)
        b = tiny(attention="sdpa")(x)
    assert torch.allclose(a, b, atol=1e-5)


def test_kv_cache_decoding_equals_full_recomputation():
    model = tiny()
    prompts = torch.randint(3, 50, (4, 7))
    assert torch.equal(greedy(model, prompts, 12, eos_id=1), greedy_full(model, prompts, 12, eos_id=1))


def test_cached_logits_equal_full_logits():
    from phys.science.model.gpt import KVCache

    model = tiny()
    x = torch.randint(0, 50, (2, 12))
    cache = KVCache(model.config, 2, 12, x.device, torch.float32)
    with torch.no_grad():
        first = model(x[:, :5], cache)
        rest = torch.cat([model(x[:, i : i + 1], cache) for i in range(5, 12)], dim=1)
        full = model(x)
    assert torch.allclose(torch.cat([first, rest], dim=1), full, atol=1e-5)


def test_fused_loss_matches_cross_entropy_and_its_gradients():
    torch.manual_seed(0)
    h = torch.randn(40, 16, dtype=torch.float64, requires_grad=True)
    w = torch.randn(30, 16, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 30, (40,))
    ours = linear_cross_entropy(h, w, t)
    ref = F.cross_entropy(h @ w.t(), t)
    assert torch.allclose(ours, ref)
    for a, b in zip(torch.autograd.grad(ours, (h, w)), torch.autograd.grad(ref, (h, w))):
        assert torch.allclose(a, b)


def test_a_tiny_model_overfits_one_batch():
    model = tiny().train()
    x = torch.randint(0, 50, (4, 16))
    y = torch.roll(x, -1, dims=1)
    mask = torch.ones_like(x, dtype=torch.bool)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss = model.loss(x, y, mask)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert first > 3.5 and loss.item() < 0.1


@pytest.mark.parametrize("mlp", ["gated", "none"])
def test_mlp_variants_are_causal_and_sized_as_stated(mlp):
    base, model = tiny(), tiny(mlp=mlp)
    per_block = lambda m: sum(p.numel() for p in m.blocks[0].parameters())  # noqa: E731
    attention = sum(p.numel() for p in base.blocks[0].attn.parameters()) + 2 * 32  # + ln_1
    if mlp == "gated":  # 2/3 of the hidden width per branch: about GPT-2's MLP parameters
        assert abs(per_block(model) - per_block(base)) / per_block(base) < 0.02
    else:
        assert per_block(model) == attention
    x = torch.randint(0, 50, (2, 12))
    changed = x.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 50
    assert torch.allclose(model(x)[:, :8], model(changed)[:, :8])


def test_the_default_mlp_keeps_gpt2_parameter_names():
    names = set(tiny().state_dict())
    assert {"blocks.0.mlp.0.weight", "blocks.0.mlp.2.weight", "blocks.0.ln_2.weight"} <= names


def test_fused_loss_is_exact_across_chunks_and_without_gradients(monkeypatch):
    from phys.science.model import loss

    monkeypatch.setattr(loss, "CHUNK_LOGITS", 30 * 64)  # chunks of 64 rows: 64, then 36
    torch.manual_seed(1)
    h = torch.randn(100, 16, dtype=torch.float64, requires_grad=True)
    w = torch.randn(30, 16, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 30, (100,))
    ref = F.cross_entropy(h @ w.t(), t)
    ours = linear_cross_entropy(h, w, t)
    assert torch.allclose(ours, ref)
    for a, b in zip(torch.autograd.grad(3 * ours, (h, w)), torch.autograd.grad(3 * ref, (h, w))):
        assert torch.allclose(a, b)
    with torch.no_grad():
        assert torch.allclose(linear_cross_entropy(h, w, t), ref)


def test_rotary_matches_neox_rotate_half_and_its_gradient():
    from phys.science.model.gpt import GPTConfig, apply_rotary, rotary_tables

    config = GPTConfig(vocab_size=10, n_head=4, n_embd=128, block_size=8, rotary_min_dims=4)  # head 32, rotary on 8
    cos, sin = rotary_tables(config, 8, torch.device("cpu"))
    torch.manual_seed(2)
    x = torch.randn(3, 4, 8, 32, dtype=torch.float64, requires_grad=True)

    def neox(x):  # GPT-NeoX's formula on the first `rot` dims
        rot = 2 * cos.shape[-1]
        c, s = torch.cat((cos, cos), -1).double(), torch.cat((sin, sin), -1).double()
        x_rot, x_pass = x[..., :rot], x[..., rot:]
        half = torch.cat((-x_rot[..., rot // 2 :], x_rot[..., : rot // 2]), dim=-1)
        return torch.cat((x_rot * c + half * s, x_pass), dim=-1)

    assert torch.allclose(apply_rotary(x, cos, sin), neox(x))
    g = torch.randn_like(x)
    assert torch.allclose(torch.autograd.grad(apply_rotary(x, cos, sin), x, g)[0], torch.autograd.grad(neox(x), x, g)[0])


def test_rotary_turns_the_papers_16_dims_or_all_of_a_smaller_head():
    from phys.science.model.gpt import rotary_tables

    def turned(n_embd: int, n_head: int, **kw) -> int:
        config = GPTConfig(vocab_size=10, n_embd=n_embd, n_head=n_head, **kw)
        cos, _ = rotary_tables(config, 4, torch.device("cpu"))
        return 2 * cos.shape[-1]

    assert turned(768, 12) == 16  # GPT2's 64-dim heads: 1/4, as in the paper
    assert turned(128, 4) == 16  # 32-dim heads: the floor (1/4 would be 8)
    assert turned(24, 3) == 8  # 8-dim heads: all of them (1/4 would be 2, one frequency)
    assert turned(22, 1) == 16 and turned(14, 2) == 6  # odd counts round down to whole pairs
    assert turned(1024, 8, rotary_pct=0.5) == 64  # above the floor pct decides
    x = torch.randn(1, 3, 5, 8)
    cos, sin = rotary_tables(GPTConfig(vocab_size=10, n_embd=24, n_head=3), 5, torch.device("cpu"))
    from phys.science.model.gpt import apply_rotary

    assert not torch.allclose(apply_rotary(x, cos, sin)[..., 1:, 2:], x[..., 1:, 2:])  # dims past 2 turn too


def test_a_model_saved_before_the_floor_loads_with_its_old_rotary(tmp_path):
    import json

    from phys.science.train import load_model

    old = {"vocab_size": 10, "n_layer": 1, "n_head": 4, "n_embd": 128, "block_size": 8}  # no rotary_min_dims
    torch.manual_seed(0)
    saved = GPT(GPTConfig(**old, rotary_min_dims=2))
    (tmp_path / "model.json").write_text(json.dumps(old))
    torch.save(saved.state_dict(), tmp_path / "model.pt")
    loaded = load_model(tmp_path)
    assert loaded.config.rotary_dims == 8 and GPTConfig(**old).rotary_dims == 16
    x = torch.randint(0, 10, (1, 8))
    floored = GPT(GPTConfig(**old)).eval()
    floored.load_state_dict(saved.state_dict())
    with torch.no_grad():
        assert torch.allclose(loaded(x), saved.eval()(x))
        assert not torch.allclose(floored(x), saved(x))  # the same weights under the floor: another model


def test_fused_loss_gives_zero_gradients_for_no_rows_and_skips_a_frozen_weight():
    w = torch.randn(30, 16, dtype=torch.float64, requires_grad=True)
    empty = torch.zeros(0, 16, dtype=torch.float64, requires_grad=True)
    (linear_cross_entropy(empty, w, torch.zeros(0, dtype=torch.long)) * 0).backward()  # a DDP rank with no targets
    assert torch.equal(w.grad, torch.zeros_like(w))
    h = torch.randn(5, 16, dtype=torch.float64, requires_grad=True)
    frozen = w.detach()  # LoRA: the output weight takes no gradient
    t = torch.randint(0, 30, (5,))
    linear_cross_entropy(h, frozen, t).backward()
    assert torch.allclose(h.grad, torch.autograd.grad(F.cross_entropy(h @ frozen.t(), t), h)[0])


def test_fused_loss_with_bf16_products_keeps_fp32_accuracy_and_pads_rows_to_few_shapes(monkeypatch):
    """compute=bf16 (training under autocast on a CPU): within bf16 rounding of the exact loss and gradients,
    across a chunk boundary and a padded last chunk, and every GEMM sees a row count that is a multiple of
    ROW_QUANTUM (oneDNN keeps a kernel per shape: a row count per batch grew a training to 1.7 GB)."""
    from phys.science.model import loss

    monkeypatch.setattr(loss, "CHUNK_LOGITS", 30 * 128)  # chunks of 128 rows: 128, then 72 padded to 128
    torch.manual_seed(3)
    h = torch.randn(200, 16, requires_grad=True)
    w = (0.3 * torch.randn(30, 16)).requires_grad_()
    t = torch.randint(0, 30, (200,))
    ref = F.cross_entropy(h.double() @ w.double().t(), t)
    rows_seen = []
    real_mm = torch.Tensor.__matmul__

    def spy(a, b):
        rows_seen.append(a.shape[0] if a.shape[0] != 30 else b.shape[0])  # (c, C) @ (C, V) or (V, c) @ (c, C)
        return real_mm(a, b)

    monkeypatch.setattr(torch.Tensor, "__matmul__", spy)
    ours = linear_cross_entropy(h, w, t, torch.bfloat16)
    grads = torch.autograd.grad(ours, (h, w))
    monkeypatch.undo()
    assert ours.dtype == torch.float32 and abs(ours.item() - ref.item()) < 1e-2 * ref.item()
    for a, b in zip(grads, torch.autograd.grad(ref, (h, w))):
        assert a.dtype == torch.float32 and a.shape == b.shape
        assert (a.double() - b).norm() < 2e-2 * b.norm()
    assert rows_seen and all(r % loss.ROW_QUANTUM == 0 for r in rows_seen), rows_seen


def test_bf16_autocast_on_cpu_takes_the_explicit_attention_and_stays_near_fp32():
    """Under CPU bf16 autocast the model skips SDPA (its bf16 backward was 5x slower) and the fused loss runs
    in bf16: loss and gradients stay within bf16 rounding of the fp32 model's."""
    model = tiny().train()
    torch.manual_seed(4)
    x = torch.randint(0, 50, (4, 16))
    y = torch.roll(x, -1, dims=1)
    mask = torch.rand(4, 16) < 0.7
    ref = model.loss(x, y, mask)
    ref_grad = torch.autograd.grad(ref, model.wte.weight)[0]
    called = []
    real = F.scaled_dot_product_attention
    try:
        F.scaled_dot_product_attention = lambda *a, **k: called.append(1) or real(*a, **k)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ours = model.loss(x, y, mask)
    finally:
        F.scaled_dot_product_attention = real
    grad = torch.autograd.grad(ours, model.wte.weight)[0]
    assert not called and ours.dtype == torch.float32
    assert abs(ours.item() - ref.item()) < 2e-2 * ref.item()
    assert (grad - ref_grad).norm() < 5e-2 * ref_grad.norm()
