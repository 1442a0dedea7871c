"""LoRA ([3.1 App. C]): q/v rank r plus an input-embedding update of rank r′. Only adapter weights train,
the adapted model starts equal to the pretrained one, and merging gives a plain GPT with the same forward."""

from __future__ import annotations

import pytest
import torch

from phys.science.model.gpt import GPT, GPTConfig
from phys.science.model.lora import LoRAEmbedding, LoRAQKV, adapter_parameters, add_lora, merge_lora

CONFIG = GPTConfig(vocab_size=50, n_layer=2, n_head=2, n_embd=16, block_size=16)


def model_and_batch(seed: int = 0) -> tuple[GPT, torch.Tensor]:
    torch.manual_seed(seed)
    return GPT(CONFIG), torch.randint(0, 50, (3, 12))


def test_adapted_model_starts_equal_to_the_pretrained_one():
    model, x = model_and_batch()
    before = model(x)
    add_lora(model, rank=4, emb_rank=8)
    assert torch.equal(model(x), before)  # one factor of every adapter is zero


def test_only_adapter_weights_change_when_training():
    model, x = model_and_batch()
    add_lora(model, rank=4, emb_rank=8)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    adapters = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    assert set(adapters) == {f"blocks.{i}.attn.qkv.{w}" for i in range(2) for w in ("q_a", "q_b", "v_a", "v_b")} | {
        "wte.a", "wte.b"}
    optimizer = torch.optim.AdamW(adapter_parameters(model), lr=1e-2)
    for _ in range(3):
        loss = model.loss(x[:, :-1], x[:, 1:], torch.ones_like(x[:, 1:], dtype=torch.bool))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], p) for n, p in frozen.items())
    assert all(not torch.equal(params[n], p) for n, p in adapters.items())


def randomise_adapters(model: GPT) -> None:
    with torch.no_grad():
        for p in adapter_parameters(model):
            p.normal_(0, 0.3)


@pytest.mark.parametrize("rank,emb_rank", [(4, 0), (0, 8), (4, 8)])
def test_merged_model_computes_the_same_function(rank, emb_rank):
    model, x = model_and_batch()
    add_lora(model, rank=rank, emb_rank=emb_rank)
    randomise_adapters(model)
    merged = merge_lora(model)
    assert not any(isinstance(m, (LoRAQKV, LoRAEmbedding)) for m in merged.modules())
    assert merged.config.tied == (emb_rank == 0)
    torch.testing.assert_close(merged(x), model(x), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(model(x), model_and_batch()[0](x), atol=1e-3)  # the adapters did change it
    # the merged model survives a save / load through its config, as the evaluate stage loads it
    reloaded = GPT(merged.config)
    reloaded.load_state_dict(merged.state_dict())
    torch.testing.assert_close(reloaded(x), model(x), rtol=1e-5, atol=1e-5)


def test_embedding_update_leaves_the_output_layer_alone():
    model, x = model_and_batch()
    head = model.lm_head.weight.detach().clone()
    add_lora(model, rank=0, emb_rank=8)
    randomise_adapters(model)
    assert torch.equal(merge_lora(model).lm_head.weight, head)


def test_adapters_are_seeded():
    a, _ = model_and_batch()
    b, _ = model_and_batch()
    add_lora(a, 4, 8, seed=3)
    add_lora(b, 4, 8, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(adapter_parameters(a), adapter_parameters(b)))


def test_lora_needs_a_rank():
    with pytest.raises(ValueError):
        add_lora(model_and_batch()[0], 0, 0)


def test_lora_finetune_stage_resumes_exactly_and_saves_a_plain_model(tmp_path):
    """The finetune stage with LoRA: stopped at a checkpoint and resumed, it ends with the same merged
    weights as an uninterrupted run; evaluate-style loading gets a plain, untied GPT."""
    import json

    from phys.errors import StageInterrupted
    from phys.stages.context import StageContext
    from phys.stages.bios import BiosConfig
    from phys.stages.bios import run as data_run
    from phys.stages.finetune import FinetuneConfig
    from phys.stages.finetune import run as finetune_run
    from phys.stages.train import TrainConfig
    from phys.stages.train import run as train_run
    from phys.science.train import load_model

    quiet = {"log": lambda line: None}
    data, pre = tmp_path / "data", tmp_path / "pretrain"
    data.mkdir(), pre.mkdir()
    data_run(StageContext("data", BiosConfig(n_people=20, mixed=False, inverse_tasks=()), 1, data, **quiet))
    train_run(StageContext("pretrain", TrainConfig(n_layer=1, n_embd=32, n_head=2, batch_size=8, steps=10,
                                                   eval_every=0), 2, pre, inputs={"data": data}, **quiet))
    cfg = FinetuneConfig(steps=12, batch_size=8, ckpt_every=5, log_every=3, eval_every=0, lora_rank=2,
                         lora_emb_rank=4)
    inputs = {"data": data, "pretrain": pre}

    whole = tmp_path / "whole"
    whole.mkdir()
    result = finetune_run(StageContext("finetune", cfg, 3, whole, inputs=inputs, **quiet))
    assert result["finetune_docs"] == 60

    resumed = tmp_path / "resumed"
    resumed.mkdir()
    calls = iter(range(100))
    with pytest.raises(StageInterrupted):  # stops before step 7: saves a checkpoint there
        finetune_run(StageContext("finetune", cfg, 3, resumed, inputs=inputs, should_stop=lambda: next(calls) == 7,
                                  **quiet))
    finetune_run(StageContext("finetune", cfg, 3, resumed, inputs=inputs, **quiet))
    a, b = load_model(whole), load_model(resumed)
    assert not a.config.tied and json.loads((whole / "model.json").read_text())["tied"] is False
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    pretrained = load_model(pre)
    assert torch.equal(a.lm_head.weight, pretrained.lm_head.weight)  # the output layer never trained
    assert not torch.equal(a.wte.weight, pretrained.wte.weight)  # the embedding update was merged in
