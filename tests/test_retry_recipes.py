"""The Part 2.2 recipes end to end at smoke scale, and retry-upon-regret decoding: without a detector it
is greedy decoding, a rejecting detector spends exactly the retry budget, the perfect detector judges
can_next from the graph."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from conftest import SMOKE, phys_json

from phys.science.igsm.generate import draw
from phys.science.igsm.problem import render_step
from phys.science.igsm.tokens import prompt, split_output, vocabulary
from phys.science.igsm.world import load
from phys.stages.regret import RegretConfig, decode_with_regret, perfect_detector


def test_retry_data_smoke_run_trains_every_arm_on_its_own_retry_data(runs):
    record = phys_json(runs, "run", "recipe", "retry_data", *SMOKE)
    assert record["status"] == "done"
    m = record["metrics"]
    for arm in ("r0", "r50m"):
        assert 0 <= m[f"acc_hardest@{arm}"] <= m[f"answer_acc_hardest@{arm}"] <= 1
        assert m[f"backs_id@{arm}"] >= 0 and m[f"solution_tokens_id@{arm}"] > 0
    stages = runs / record["id"] / "stages"
    plain = json.loads((stages / "data_r0" / "igsm.json").read_text())
    retry = json.loads((stages / "data_r50m" / "igsm.json").read_text())
    assert plain["retries_per_problem"] == 0 and retry["retries_per_problem"] > 0.3
    assert retry["config"]["retry_mask"] and not (stages / "data_r0" / "train_ignore.npy").exists()
    assert np.load(stages / "data_r50m" / "train_ignore.npy").any()
    assert record["verdict"] in ("reproduced", "not reproduced", "inconclusive")


def test_retry_fake_and_finetune_smoke_runs(runs):
    fake = phys_json(runs, "run", "recipe", "retry_fake", *SMOKE)
    assert fake["status"] == "done"
    assert {"acc_hardest@weak20", "acc_hardest@miss20", "acc_hardest@r0"} <= set(fake["metrics"])
    tune = phys_json(runs, "run", "recipe", "retry_finetune", *SMOKE)
    assert tune["status"] == "done"
    m = tune["metrics"]
    assert {"acc_hardest@lora", "acc_hardest@full", "acc_hardest@r0"} <= set(m)
    assert tune["stages"]["train_r0"]["cached"]  # retry_fake's error-free arm: one cache entry
    assert not tune["stages"]["finetune_lora"]["cached"]


def test_retry_upon_regret_smoke_run_decodes_three_ways(runs):
    record = phys_json(runs, "run", "recipe", "retry_upon_regret", *SMOKE)
    assert record["status"] == "done"
    m = record["metrics"]
    for kind in ("greedy", "probe", "perfect"):
        assert 0 <= m[f"acc_hardest_{kind}"] <= 1 and 0 <= m[f"acc_id_{kind}"] <= 1
    assert 0 <= m["regrets_hardest_probe"] <= 10 and 0 <= m["probe_can_next"] <= 1


@pytest.fixture(scope="module")
def tiny():
    import torch

    from phys.science.model.gpt import GPT, GPTConfig

    tok = vocabulary(load())
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(tok), n_layer=2, n_head=2, n_embd=32, block_size=256)).eval()
    problems = [draw(random.Random(i), 3, max_edge=6) for i in range(4)]
    return tok, model, problems


def test_regret_decoding_without_a_detector_is_greedy_decoding(tiny):
    import torch

    from phys.science.model.generate import greedy_padded

    tok, model, problems = tiny
    cfg = RegretConfig(max_new_tokens=40)
    for p in problems:
        mine = decode_with_regret(model, tok, p, None, cfg, torch.Generator().manual_seed(0), "cpu")
        plain = greedy_padded(model, [prompt(tok, p)], 40, tok.eos_id, tok.pad_id)[0]
        solution, answer = split_output(tok, plain)
        assert mine[0] == solution and mine[2] == 0
        if answer is not None:
            assert answer.startswith(mine[1])


class Scripted:
    """A stand-in model that writes `script` after the prompt, token by absolute position (the logits at
    position q predict script[q - prompt_len + 1]): a wrong KV-cache rollback would shift what it writes."""

    def __init__(self, tok, prompt_len: int, script: list[int]):
        from phys.science.model.gpt import GPTConfig

        self.config = GPTConfig(vocab_size=len(tok), n_layer=1, n_head=1, n_embd=8, block_size=256)
        self.prompt_len, self.script, self.eos = prompt_len, script, tok.eos_id

    def parameters(self):
        import torch

        return iter([torch.zeros(1)])

    def __call__(self, x, cache):
        import torch

        T, start = x.shape[1], cache.length
        cache.length += T
        logits = torch.full((1, T, self.config.vocab_size), -30.0)
        for i in range(T):
            j = start + i - self.prompt_len + 1
            logits[0, i, self.script[j] if 0 <= j < len(self.script) else self.eos] = 30.0
        return logits


@pytest.fixture()
def scripted():
    tok = vocabulary(load())
    rng = random.Random(11)
    p = next(q for q in (draw(rng, 5, max_edge=8) for _ in range(100)) if len(q.steps) >= 3)
    script = tok.encode(p.solution_text()) + [tok.index["<ans>"]] + tok.encode(p.answer_text()) + [tok.eos_id]
    return tok, p, Scripted(tok, len(prompt(tok, p)), script)


def test_regret_rollback_rewrites_the_same_sentence_and_counts_the_budget(scripted):
    import torch

    tok, p, model = scripted
    cfg = RegretConfig(max_new_tokens=300, max_retries=10)
    run = lambda detector, c=cfg: decode_with_regret(model, tok, p, detector, c, torch.Generator().manual_seed(0),
                                                     "cpu")
    assert run(None) == (p.solution_text(), p.answer_text(), 0)
    seen: list[str] = []

    def once(problem, prefix, sentence, defined):  # regret every sentence the first time it is written
        seen.append(sentence)
        return seen.count(sentence) > 1

    solution, answer, regrets = run(once)
    assert (solution, answer) == (p.solution_text(), p.answer_text())  # sampling from the rolled-back cache
    assert regrets == len(p.steps) and len(seen) == 2 * len(p.steps)
    calls = []
    never = lambda *args: calls.append(args) and False
    solution, _, regrets = run(never, RegretConfig(max_new_tokens=300, max_retries=3))
    assert regrets == len(calls) == 3 and solution == p.solution_text()
    assert run(perfect_detector)[2] == 0  # the true solution is never regretted


def test_the_probe_detector_reads_at_end_after_the_previous_sentence(scripted):
    import torch

    from phys.stages.regret import probe_detector

    tok, p, _ = scripted
    reads = []

    def probe(ids, positions):
        reads.append((ids[0].tolist(), positions.tolist()))
        return [torch.tensor([[[0.0, 1.0]]])]  # can_next = true

    prefix = prompt(tok, p)
    sentence = tok.decode(tok.encode(p.solution_text())[:20]).split(".")[0] + "."
    assert probe_detector(probe, tok, "cpu")(p, prefix, sentence, [])
    ids, positions = reads[0]
    name = tok.encode(" " + p.name(p.steps[0].param))
    assert ids == prefix + [tok.index["<start>"]] + name + [tok.index["<end>"]]
    assert positions == [[len(ids) - 1]]


def test_the_perfect_detector_accepts_the_true_steps_and_rejects_early_ones():
    rng = random.Random(5)
    p = next(q for q in (draw(rng, 6, max_edge=10) for _ in range(50)) if len(q.steps) >= 3)
    defined: list[str] = []
    for step in p.steps:
        assert perfect_detector(p, [], " " + render_step(step, p.name(step.param)) + ".", defined)
        defined.append(p.name(step.param))
    last = p.steps[-1]  # the query needs an earlier step: not computable first
    assert not perfect_detector(p, [], " " + render_step(last, p.name(last.param)) + ".", [])
    assert not perfect_detector(p, [], " Define Nowhere's Nothing as a; so a = 1.", [])
    assert perfect_detector(p, [], f" Define {p.name(last.param)} as BACK.", [])
