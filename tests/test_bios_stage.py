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


def test_extraction_writes_its_own_set_of_forward_questions_and_evaluates_them(tmp_path):
    _, docs, tok = make(tmp_path, qa_attributes=(), inverse_tasks=(), tasks=("month_parity",), mixed=False,
                        extraction=("birth_date", "major"))
    people = [json.loads(line) for line in (tmp_path / "people.jsonl").read_text().splitlines()]
    train = {p["id"] for p in people if p["split"] == "train"}
    extract, finetune = Docs.load(tmp_path, "extract"), Docs.load(tmp_path, "finetune")
    assert len(extract) == len(train) * 2 and set(np.asarray(extract.person)) == train
    assert set(np.asarray(extract.group)) == {GROUPS["qa"]}
    texts = [tok.decode(extract.tokens[extract.offsets[i] : extract.offsets[i + 1]].tolist()) for i in range(4)]
    assert all("birth date" in t or "major" in t for t in texts), texts
    assert len(finetune) == len(train)  # the classification set holds the task only, no forward QA
    items = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    forward = [i for i in items if i["kind"] == "qa"]
    assert {i["task"] for i in forward} == {"birth_date", "major"} and len(forward) == 20 * 2


def test_without_extraction_no_extract_set_is_written(tmp_path):
    make(tmp_path)
    assert not (tmp_path / "extract_tokens.npy").exists()


def test_the_train_stage_packs_pure_windows_when_its_config_asks(tmp_path):
    from phys.stages.train import TrainConfig, stream

    _, docs, tok = make(tmp_path)
    group = {tuple(docs.tokens[docs.offsets[d] : docs.offsets[d + 1]].tolist()): int(docs.group[d])
             for d in range(len(docs))}

    def groups_per_window(pure: bool) -> list[set[int]]:
        windows, _ = stream(TrainConfig(block_size=128, pure_groups=pure), tmp_path, 0, tok).epoch(0)
        out = []
        for row in windows.tolist():  # <eos> doc <eos> doc <eos> … <pad>…
            pieces, current = [], []
            for t in row:
                if t == tok.eos_id:
                    pieces.append(current)
                    current = []
                elif t != tok.pad_id:
                    current.append(t)
            out.append({group[tuple(p)] for p in pieces if p})
        return out

    assert all(len(g) == 1 for g in groups_per_window(True))  # all biographies or all questions ([3.1 §2.1])
    assert any(len(g) > 1 for g in groups_per_window(False))
