"""The `data` stage of the knowledge recipes: files, QA share, and names tokenized alike everywhere."""

import json

import numpy as np

from phys.stages.context import StageContext
from phys.science.data.bios import GROUPS
from phys.science.data.packing import Docs
from phys.science.data.tokenizer import Tokenizer
from phys.stages.bios import BiosConfig, run


def make(tmp_path, **kw):
    cfg = BiosConfig(n_people=20, **kw)
    result = run(StageContext("data", cfg, 7, tmp_path, log=lambda line: None))
    return result, Docs.load(tmp_path, "train"), Tokenizer.load(tmp_path / "tokenizer.json")


def test_documents_and_eval_items(tmp_path):
    result, docs, tok = make(tmp_path)
    people = [json.loads(line) for line in (tmp_path / "people.jsonl").read_text().splitlines()]
    items = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    train = {p["id"] for p in people if p["split"] == "train"}
    assert result["data_train_people"] == len(train) == 10
    groups = np.asarray(docs.group)
    assert (groups == GROUPS["bio"]).sum() == 20 * 5  # multi5
    assert (groups == GROUPS["qa"]).sum() == len(train) * 6  # QA of P_train only
    assert (groups == GROUPS["inverse"]).sum() == len(train)
    assert set(np.asarray(docs.person)[groups != GROUPS["bio"]]) == train
    assert len(items) == 20 * 7 and {i["split"] for i in items} == {"train", "test"}


def test_qa_repeats_multiply_the_questions(tmp_path):
    _, docs, _ = make(tmp_path, qa_repeats=3)
    assert (np.asarray(docs.group) == GROUPS["qa"]).sum() == 10 * 6 * 3


def test_a_name_is_the_same_tokens_in_biographies_and_questions(tmp_path):
    _, docs, tok = make(tmp_path)
    people = [json.loads(line) for line in (tmp_path / "people.jsonl").read_text().splitlines()]
    items = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    for p in people[:5]:
        name = tok.encode(" " + p["full_name"])
        bio = docs.tokens[docs.offsets[p["id"] * 5] : docs.offsets[p["id"] * 5 + 1]].tolist()
        assert bio[: len(name)] == name  # the biography opens with the name, prefix space included
        question = next(i["prompt"] for i in items if i["person"] == p["id"] and i["kind"] == "qa")
        ids = tok.encode(question)
        assert any(ids[k : k + len(name)] == name for k in range(len(ids)))
