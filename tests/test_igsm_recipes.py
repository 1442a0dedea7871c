"""The Part 2.1 recipes end to end at smoke scale, the data stage's independence from its worker count,
the probing examples, and batched decoding of prompts of different lengths."""

from __future__ import annotations

import json
import random

import pytest
from conftest import SMOKE, phys_json

from phys.stages.context import StageContext
from phys.stages import igsm


def test_generalization_smoke_run_grades_every_set(runs):
    record = phys_json(runs, "run", "recipe", "igsm_generalization", *SMOKE)
    assert record["status"] == "done"
    m = record["metrics"]
    for name in ("id", "op3", "op4", "reask"):  # smoke: max_op 3, ops (4,)
        assert 0 <= m[f"acc_{name}"] <= m[f"answer_acc_{name}"] <= 1  # a correct solution has the right answer
        assert 0 < m[f"answer_majority_{name}"] <= 1
        assert f"err_parse_{name}" in m
    assert m["acc_hardest"] == m["acc_op4"] and "acc_hardest_random" in m and m["answer_chance"] == round(1 / 23, 4)
    stage = runs / record["id"] / "stages"
    info = json.loads((stage / "data" / "igsm.json").read_text())
    assert max(map(int, info["op_histogram"])) <= 3 and max(map(int, info["ip_histogram"])) <= 6
    rows = [json.loads(line) for line in (stage / "evaluate" / "solutions.jsonl").read_text().splitlines()]
    assert {r["set"] for r in rows} == {"id", "id_op1", "id_op2", "id_op3", "op3", "op4", "reask"}  # per_op at smoke
    assert all(r["op"] == 4 for r in rows if r["set"] == "op4")


def test_the_in_distribution_sets_per_op_are_unseen_training_template_problems(tmp_path):
    """`evaluate.per_op`: a set per op ≤ max_op of fresh problems whose templates are in the training bin and
    whose text no training problem has; each set has its own majority answer. The test-bin `id` set at a
    small op (the cpu scales') is a few effective templates, which `min_templates` keeps from being scored."""
    from phys.science.igsm.generate import hash_bins
    from phys.science.igsm.tokens import vocabulary
    from phys.science.igsm.world import load

    cfg = igsm.IgsmDataConfig(max_op=3, max_edge=6, problems=300, block_size=512, subcategories=1, items=10)
    igsm.run_data(StageContext("data", cfg, 0, tmp_path, log=lambda line: None))
    seen = igsm.seen_problems(tmp_path, vocabulary(load(), cfg.mod))
    assert all(seen(p) for p in _problems_of(cfg, 0, 5))  # the data stage's own first problems
    sets = igsm.eval_sets(cfg, igsm.IgsmEvalConfig(ops=(4,), items=60, per_op=40), seed=0, seen=seen)
    assert [n for n in sets if n.startswith("id_op")] == ["id_op1", "id_op2", "id_op3"]
    train = hash_bins(cfg.hash_split, "train")
    for k in (1, 2, 3):
        problems = sets[f"id_op{k}"]
        assert len(problems) == 40 and all(p.op == k and p.template_hash() in train and not seen(p) for p in problems)
    assert igsm.effective_templates(sets["id_op1"]) == 1.0  # op = 1 has one training-bin template
    assert igsm.effective_templates(sets["id"]) < 10  # the degenerate test-bin set of AUDIT.md
    metrics, _ = igsm.score(sets["id_op2"], [("", None)] * 40)
    answers = [p.answer for p in sets["id_op2"]]
    assert metrics["answer_majority"] == max(map(answers.count, answers)) / 40 and metrics["acc"] == 0


def _problems_of(cfg, seed: int, n: int) -> list:
    """The first n problems the data stage drew (chunk 0's stream, as `draw_chunk`)."""
    from phys.science.igsm.generate import draw, hash_bins

    rng = random.Random(f"igsm-train:{seed}:0")
    return [draw(rng, cfg.max_op, bins=hash_bins(cfg.hash_split, "train"), **cfg.difficulty()) for _ in range(n)]


def test_a_smoke_run_scores_per_op_sets_and_gates_the_unseen_template_sets(runs):
    record = phys_json(runs, "run", "recipe", "igsm_generalization", *SMOKE, "--set", "evaluate.per_op=4",
                       "--set", "evaluate.min_templates=1000")
    m = record["metrics"]
    for k in (1, 2, 3):
        assert 0 <= m[f"acc_id_op{k}"] <= m[f"answer_acc_id_op{k}"] <= 1 and 0 < m[f"answer_majority_id_op{k}"] <= 1
    assert m["acc_id_worst"] == min(m[f"acc_id_op{k}"] for k in (1, 2, 3)) and "answer_gap_id_worst" in m
    measured = [m[f"unnecessary_id_op{k}"] for k in (1, 2, 3) if f"unnecessary_id_op{k}" in m]  # correct ones only
    assert ("unnecessary_id_ops" in m) == bool(measured)
    if measured:
        assert min(measured) <= m["unnecessary_id_ops"] <= max(measured)
    assert "acc_id" not in m and "acc_reask" not in m and m["templates_id"] < 1000  # not scored: too few templates
    assert "acc_op4" in m and "templates_op4" in m


def test_probing_smoke_run_probes_trained_and_random(runs):
    record = phys_json(runs, "run", "recipe", "igsm_probing", *SMOKE)
    assert record["status"] == "done"
    for task in ("nece", "dep", "known", "value", "can_next", "nece_next"):
        for arm in ("trained", "random"):
            assert 0 <= record["metrics"][f"probe_{task}@{arm}"] <= 1
            assert 0 <= record["metrics"][f"majority_{task}@{arm}"] <= 1


def test_depth_smoke_run_has_an_arm_per_depth(runs):
    record = phys_json(runs, "run", "recipe", "igsm_depth", *SMOKE)
    assert record["status"] == "done"
    assert list(record["stages"]) == ["data", "train_l4", "evaluate_l4", "train_l12", "evaluate_l12"]
    assert "acc_op4@l12" in record["metrics"] and "acc_id@l4" in record["metrics"]


def test_training_data_does_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(igsm, "CHUNK", 7)
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        cfg = igsm.IgsmDataConfig(max_op=4, max_edge=8, problems=20, block_size=512, workers=workers)
        igsm.run_data(StageContext("data", cfg, 3, out, log=lambda line: None))
        outs.append(out)
    import numpy as np

    a, b = (np.load(o / "train_tokens.npy") for o in outs)
    assert a.shape == b.shape and (a == b).all()
    assert json.loads((outs[0] / "igsm.json").read_text())["problems"] == 20
    assert (np.load(outs[0] / "train_loss_start.npy") == 0).all()  # loss on every token


def test_solution_only_loss_starts_after_the_solution_marker(tmp_path):
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer

    cfg = igsm.IgsmDataConfig(max_op=3, max_edge=6, problems=10, block_size=512, loss="solution")
    igsm.run_data(StageContext("data", cfg, 0, tmp_path, log=lambda line: None))
    docs, tok = Docs.load(tmp_path, "train"), Tokenizer.load(tmp_path / "tokenizer.json")
    for i in range(len(docs)):
        doc = docs.tokens[docs.offsets[i] : docs.offsets[i + 1]].tolist()
        assert doc[docs.loss_start[i] - 1] == tok.index["<sol>"]


def test_data_config_rejects_bad_values():
    with pytest.raises(ValueError):
        igsm.IgsmDataConfig(hash_split=23)
    with pytest.raises(ValueError):
        igsm.IgsmDataConfig(max_op=0)
    with pytest.raises(ValueError):
        igsm.IgsmEvalConfig(ops=(0,))


def test_probe_examples_end_at_the_marker_and_carry_the_right_labels():
    from phys.science.igsm.generate import draw
    from phys.science.igsm.labels import dep
    from phys.science.igsm.probes import IGNORE, TASKS, examples
    from phys.science.igsm.tokens import END, SOL, vocabulary
    from phys.science.igsm.world import load

    tok = vocabulary(load())
    rng = random.Random(0)
    seen = set()
    for _ in range(30):
        p = draw(rng, 6, 10)
        closure = dep(p)
        for ex in examples(tok, p, rng):
            assert ex.ids[-1] == tok.index[END] and ex.ids[0] == tok.eos_id
            carried = [t for t, label in zip(TASKS, ex.labels) if label != IGNORE]
            seen.update(carried)
            text = tok.decode(ex.ids, stop_at_eos=False)
            if carried == ["nece"]:
                assert SOL not in text and text.split("<start>")[0].endswith("?")
                name = text.split("<start> ")[1].split("<end>")[0]
                assert ex.labels[0] == int(p.param(name) in p.necessary)
            if carried == ["dep"]:
                a, b = (p.param(n.strip()) for n in text.split("<start>")[1].split("<end>")[0].split("<mid>"))
                assert ex.labels[1] == int(b in closure[a]) and " How many" not in text
            if "known" in carried:
                before = text.split("<start>")[0]
                assert before.endswith(".") or before.endswith(SOL)
                name = text.split("<start> ")[1].split("<end>")[0]
                assert ex.labels[2] == int(f"Define {name} as" in before)
    assert seen == set(TASKS)


def test_padded_decoding_matches_one_prompt_at_a_time():
    import torch

    from phys.science.model.generate import greedy_padded
    from phys.science.model.gpt import GPT, GPTConfig, KVCache

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=40, n_layer=2, n_head=2, n_embd=32, block_size=64)).eval()
    with torch.no_grad():
        for w in model.parameters():
            w.mul_(20)  # sharp, prompt-dependent outputs
    prompts = [[1, 5, 7, 9, 3, 2], [1, 4, 4], [1, 8, 2, 2, 2, 2, 9, 11, 30]]
    together = greedy_padded(model, prompts, 10, eos_id=0, pad_id=39)
    alone = [greedy_padded(model, [p], 10, eos_id=0, pad_id=39)[0] for p in prompts]
    assert together == alone and len({tuple(t) for t in together}) > 1
    ids = torch.tensor([[39, 39, 39, 1, 4, 4]])
    cache = KVCache(model.config, 1, 6, ids.device, torch.float32, pad=torch.tensor([3]))
    with torch.no_grad():
        padded = model(ids, cache)[0, -1]
        plain = model(torch.tensor([[1, 4, 4]]))[0, -1]
    assert torch.allclose(padded, plain, atol=1e-4)
