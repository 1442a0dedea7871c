"""The in-training probe: teacher-forced exact match must agree with greedy decoding item by item, and it
is logged as curves during training."""

from __future__ import annotations

import json

from conftest import SMOKE, phys_json

from phys.science.data.tokenizer import Tokenizer
from phys.science.evaluate import answer_prompts, teacher_forced_correct


def test_teacher_forced_exact_match_agrees_with_greedy_item_by_item(runs):
    record = phys_json(runs, "run", "recipe", "reversal_curse", *SMOKE, "--set", "train.steps=200",
                       "--set", "train.eval_every=100")
    from phys.science.train import load_model

    folder = runs / record["id"] / "stages"
    tokenizer = Tokenizer.load(folder / "data" / "tokenizer.json")
    items = [json.loads(line) for line in (folder / "data" / "eval.jsonl").read_text().splitlines()]
    model = load_model(folder / "train", "cpu")
    greedy = answer_prompts(model, tokenizer, [i["prompt"] for i in items], 16, 64, "cpu")
    forced = teacher_forced_correct(model, tokenizer, items, "cpu", batch_size=50)  # ragged, right-padded batches
    assert forced == [answer == item["answer"] for item, answer in zip(items, greedy)]
    right = sum(a == i["answer"] for i, a in zip(items, greedy))
    assert 0 < right < len(items)  # both outcomes occur, so the agreement means something

    curves = [json.loads(line) for line in (runs / record["id"] / "metrics.jsonl").read_text().splitlines()]
    probes = [c for c in curves if "forward_test_acc" in c]
    assert [c["step"] for c in probes] == [100, 200]
    assert probes[-1]["forward_train_acc"] == record["metrics"]["forward_train_acc"]  # all items of P_train's 20
