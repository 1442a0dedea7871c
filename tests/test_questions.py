"""The Part 3.2 question families ([3.2 §3–4]) and how the data stage writes them: answers computed from
the people, hints that name the attributes used, CoT at the asked rate, pairs within a half, celebrities."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from phys.stages.context import StageContext
from phys.science.data import questions
from phys.science.data.bios import MONTHS, GROUPS, sample_people
from phys.science.data.packing import Docs
from phys.science.data.tokenizer import Tokenizer
from phys.science.evaluate import accuracy_table, is_correct
from phys.stages.bios import BiosConfig, run

PEOPLE = sample_people(60, random.Random(1))


def test_partial_and_dual_retrieval_answers():
    p = PEOPLE[0]
    assert questions.person_task("birth_year")(p).answer == str(p.birth_year)
    assert questions.person_task("birth_day")(p).answer == str(p.birth_day)
    q = questions.person_task("employer_city+employer")(p)
    assert q.answer == f"{p.employer_city}; {p.employer}" and "company city and the company" in q.text
    assert questions.person_task("employer+employer_city")(p).answer == f"{p.employer}; {p.employer_city}"


def test_classification_answers_and_hints():
    majors = [line.strip() for line in open(questions.__file__.replace("questions.py", "pools/majors.txt"))]
    for p in PEOPLE:
        parity = questions.person_task("month_parity")(p)
        assert parity.answer == ("Yes" if p.birth_month % 2 == 0 else "No")
        assert parity.hint == MONTHS[p.birth_month - 1]
        assert questions.person_task("month_mod6")(p).answer == str(p.birth_month % 6)
        luck = questions.person_task("luck_mod20")(p)
        assert luck.answer == str(majors.index(p.major) % 20) and luck.hint == p.major
    assert questions.luckiness(majors[0]) == 0 and questions.luckiness(majors[99]) == 99


def test_comparison_answers():
    for a, b in zip(PEOPLE, PEOPLE[1:]):
        assert questions.COMPARE["month_diff"](a, b).answer == str(a.birth_month - b.birth_month)
        later = questions.COMPARE["month_later"](a, b)
        assert later.answer == ("Yes" if a.birth_month > b.birth_month else "No")  # a tie is not later
        assert later.hint == f"{MONTHS[a.birth_month - 1]}; {MONTHS[b.birth_month - 1]}"
        diff = questions.COMPARE["luck_diff"](a, b)
        assert int(diff.answer) == questions.luckiness(a.major) - questions.luckiness(b.major)


def test_rendering():
    q = questions.Question("Was X born in an even month?", "No", "May")
    assert q.direct() == ("Was X born in an even month? Answer:", " No.")
    assert q.with_hint() == ("Was X born in an even month? Hint:", " May. No.")


def test_unknown_tasks_are_refused():
    for bad in ("month_mod7", "employer+employer", "birth_city+nowhere"):
        with pytest.raises(ValueError, match="unknown task"):
            BiosConfig(tasks=(bad,))


def test_chain_of_thought_is_scored_on_the_final_answer():
    item = {"kind": "compare_cot", "split": "test", "task": "month_diff", "answer": "May; July. -2", "hint": "May; July",
            "final": True}
    assert is_correct(item, "May; July. -2") and is_correct(item, "June; July. -2")  # a wrong hint, right answer
    assert not is_correct(item, "-2") and not is_correct(item, "May; July. 2")
    table = accuracy_table([item, item], ["May; July. -2", "June; July. -2"])
    assert table["compare_cot_test_month_diff"] == 1.0 and table["compare_cot_test_month_diff_hint"] == 0.5


def make(tmp_path, **kw):
    cfg = BiosConfig(n_people=40, augmentation="single", mixed=False, inverse_tasks=(), **kw)
    run(StageContext("data", cfg, 3, tmp_path, log=lambda line: None))
    people = {p["id"]: p for p in map(json.loads, (tmp_path / "people.jsonl").read_text().splitlines())}
    items = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    return people, items


def test_data_stage_writes_direct_and_hinted_finetune_sets(tmp_path):
    people, items = make(tmp_path, qa_attributes=(), tasks=("month_parity", "month_diff", "birth_year"),
                         compare_pairs=300, cot_rate=0.5)
    tok = Tokenizer.load(tmp_path / "tokenizer.json")
    direct, cot = Docs.load(tmp_path, "finetune"), Docs.load(tmp_path, "finetune_cot")
    assert len(direct) == len(cot) == 20 + 300 + 20  # parity and year per P_train person, 300 pairs
    texts = [tok.decode(cot.tokens[cot.offsets[i] : cot.offsets[i + 1]].tolist()) for i in range(len(cot))]
    hinted = [t for t in texts if " Hint:" in t]
    assert 0.3 < len(hinted) / len(texts) < 0.7
    assert all(" Hint:" not in tok.decode(direct.tokens[direct.offsets[i] : direct.offsets[i + 1]].tolist())
               for i in range(len(direct)))
    assert {people[int(i)]["split"] for i in direct.person} == {"train"}
    assert set(np.asarray(direct.group).tolist()) == {GROUPS["task"]}
    # evaluation: both halves, direct and with CoT for the hinted families; comparisons within a half
    kinds = {(i["kind"], i["split"]) for i in items}
    assert {("classify", "test"), ("classify_cot", "test"), ("compare", "test"), ("compare_cot", "train"),
            ("partial", "test")} <= kinds and ("partial_cot", "test") not in kinds
    names = {p["full_name"]: p for p in people.values()}
    for item in (i for i in items if i["kind"] == "compare"):
        a, b = (p for name, p in names.items() if name in item["prompt"])
        assert a["split"] == b["split"] == item["split"] and a["id"] != b["id"]
    assert all(i["final"] and i["answer"].startswith(i["hint"] + ". ") for i in items if i["kind"].endswith("_cot"))


def test_celebrities_form_p_train(tmp_path):
    people, items = make(tmp_path, celebrities=30, celebrity_augmentation="multi5+permute")
    train = [p for p in people.values() if p["split"] == "train"]
    assert len(train) == 30 and len(people) == 70
    docs = Docs.load(tmp_path, "train")
    entries = np.bincount(np.asarray(docs.person), minlength=70)
    assert all(entries[p["id"]] == (5 if p["split"] == "train" else 1) for p in people.values())
    finetuned = {int(i) for i in Docs.load(tmp_path, "finetune").person}
    assert finetuned == {p["id"] for p in train}  # QA of the celebrities only
    assert {i["split"] for i in items if i["split"] == "test"} and len({i["person"] for i in items}) == 70


def test_dual_retrieval_is_scored_among_people_whose_parts_are_right():
    from phys.science.evaluate import dual_given_parts

    def qa(person, task, answer):
        return {"kind": "qa", "split": "test", "person": person, "task": task, "answer": answer}

    def dual(person, answer):
        return {"kind": "dual", "split": "test", "person": person, "task": "employer+employer_city", "answer": answer}

    items, predictions = [], []
    for person, (company, city, pair) in enumerate([("A", "X", "A; X"), ("A", "X", "A; Y"), ("B", "X", "B; X")]):
        items += [qa(person, "employer", "A"), qa(person, "employer_city", "X"), dual(person, "A; X")]
        predictions += [company, city, pair]
    metrics = dual_given_parts(items, predictions)
    # people 0 and 1 have both parts right; of them only person 0 has the pair right. Person 2's pair is
    # wrong too, but it does not count: their company was wrong alone.
    assert metrics["dual_test_employer+employer_city_given_parts"] == 0.5
    assert metrics["dual_test_employer+employer_city_parts"] == 2
    assert metrics["dual_test_given_parts"] == 0.5 and metrics["dual_test_parts"] == 2
    none = dual_given_parts(items, ["B", "Y", "A; X"] * 3)
    assert "dual_test_given_parts" not in none and none["dual_test_parts"] == 0


def test_dual_retrieval_judges_the_worst_pair_per_half_and_needs_both_parts_asked():
    from phys.science.evaluate import dual_given_parts

    items, predictions = [], []
    for split, person in (("test", 0), ("test", 1), ("train", 2)):
        for task, answer in (("employer", "A"), ("employer_city", "X"), ("birth_city", "C")):
            items.append({"kind": "qa", "split": split, "person": person, "task": task, "answer": answer})
            predictions.append(answer)
        for task, answer, said in (("employer+employer_city", "A; X", "A; X"),
                                   ("employer_city+employer", "X; A", "X; A" if person == 0 else "A; X"),
                                   ("major+employer", "M; A", "M; A")):  # major is never asked alone
            items.append({"kind": "dual", "split": split, "person": person, "task": task, "answer": answer})
            predictions.append(said)
    metrics = dual_given_parts(items, predictions)
    assert metrics["dual_test_employer+employer_city_given_parts"] == 1.0
    assert metrics["dual_test_employer_city+employer_given_parts"] == 0.5
    assert metrics["dual_test_given_parts"] == 0.75 and metrics["dual_test_given_parts_min"] == 0.5
    assert metrics["dual_train_given_parts_min"] == 0.0 and metrics["dual_train_parts"] == 1
    assert not any("major" in k for k in metrics)
