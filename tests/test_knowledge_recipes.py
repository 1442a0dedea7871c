"""The Part 3.1 / 3.2 recipes end to end at smoke scale: every arm runs, results are named by arm, and
stages shared between recipes or arms are computed once."""

from __future__ import annotations

import json

import pytest

from conftest import SMOKE, phys, phys_json


def stage_status(record: dict) -> dict[str, str]:
    return {name: s["status"] for name, s in record["stages"].items()}


def test_mixed_training_shares_its_pretrain_finetune_arm_with_knowledge_storage(runs):
    record = phys_json(runs, "run", "recipe", "mixed_training", *SMOKE)
    assert record["status"] == "done"
    for arm in ("mixed", "pretrain_finetune"):
        assert f"forward_test_acc@{arm}" in record["metrics"]
    assert {c["name"] for c in record["checks"]} >= {"mixed training beats pretrain→finetune on the same data"}
    mixed = runs / record["id"] / "stages" / "data_mixed"
    groups = {int(g) for g in __import__("numpy").load(mixed / "train_group.npy")}
    assert groups == {0, 1}  # biographies and QA in one stream
    storage = phys_json(runs, "run", "recipe", "knowledge_storage", *SMOKE)
    single = [s for s in storage["stages"] if s.endswith("_single")]
    assert single and all(storage["stages"][s]["cached"] for s in single)  # the same stages: computed once


def test_celebrity_minority_finetunes_on_celebrities_and_evaluates_minorities(runs):
    record = phys_json(runs, "run", "recipe", "celebrity_minority", *SMOKE)
    assert {"forward_test_acc@with_celebrities", "forward_test_acc@minority_only"} <= set(record["metrics"])
    people = [json.loads(line) for line in
              (runs / record["id"] / "stages" / "data_celebrities" / "people.jsonl").read_text().splitlines()]
    assert sum(p["split"] == "train" for p in people) == 20 and sum(p["split"] == "test" for p in people) == 40


def test_knowledge_retrieval_names_dual_and_partial_results(runs):
    record = phys_json(runs, "run", "recipe", "knowledge_retrieval", *SMOKE)
    metrics = record["metrics"]
    for arm in ("multi5+permute", "multi5+fullname"):
        assert {f"dual_test_employer+employer_city@{arm}", f"dual_test_employer_city+employer@{arm}",
                f"partial_test_birth_year@{arm}", f"forward_test_birth_date@{arm}"} <= set(metrics)


def test_knowledge_classification_finetunes_three_arms_from_one_pretrained_model(runs):
    record = phys_json(runs, "run", "recipe", "knowledge_classification", *SMOKE)
    names = list(record["stages"])
    assert names.count("pretrain") == 1 and {"finetune_nocot", "finetune_cot", "finetune_nocot_quarter"} <= set(names)
    metrics = record["metrics"]
    assert {"forward_test_birth_date@cot", "forward_test_major@nocot"} <= set(metrics)  # extraction, evaluated
    assert metrics["finetune_docs@nocot_quarter"] == 150 and metrics["finetune_docs@nocot"] > 150
    for arm in ("nocot", "cot", "nocot_quarter"):  # the biographies replayed whole, whatever `samples` takes
        assert metrics[f"finetune_replay_docs@{arm}"] == metrics["data_train_docs"]
    for arm in ("nocot", "cot"):
        assert {f"compare_test_month_diff@{arm}", f"compare_cot_test_month_diff@{arm}",
                f"compare_cot_test_month_diff_hint@{arm}", f"classify_test_luck_mod20@{arm}"} <= set(metrics)


def test_knowledge_probing_probes_trained_and_random_models_and_the_paper_probes_reuse_them(runs):
    """The cpu probes on every arm (the Q-probe at an `<end>` after the name, name tokens' rows fixed); then the
    paper's probing (`probe.per_task`: one probe per attribute; every embedding row free), as the gpu scale
    runs it: on the pretrained model already there, with a key of its own, the per-layer linear probes still
    at the name's last token."""
    record = phys_json(runs, "run", "recipe", "knowledge_probing", *SMOKE)
    metrics = record["metrics"]
    for arm in ("single", "multi5+permute", "random"):
        assert {f"pprobe_before@{arm}", f"qprobe_acc@{arm}", f"linear_qprobe_L2@{arm}", f"chance@{arm}"} <= set(metrics)
    table = json.loads((runs / record["id"] / "stages" / "probe_random" / "probe.json").read_text())
    assert len(table["linear_q_by_layer"]) == 2 and len(table["p_by_slot"]) == 6
    paper = phys_json(runs, "run", "recipe", "knowledge_probing", *SMOKE, "--arms", "single",
                      "--set", "probe.per_task=true", "--set", "probe.fix_names=false")
    assert paper["status"] == "done"
    for name in ("pprobe_before@single", "pprobe_at@single", "qprobe_acc@single", "linear_qprobe_L1@single"):
        assert 0 <= paper["metrics"][name] <= 1
    assert paper["stages"]["probe_single_probing"]["key"] != record["stages"]["probe_single_probing"]["key"]
    assert paper["stages"]["pretrain_single_probing"]["cached"]
    same_site = pytest.approx(metrics["linear_qprobe_L1@single"], abs=0.05)  # the name's last token
    assert paper["metrics"]["linear_qprobe_L1@single"] == same_site


def test_the_q_probe_reads_after_the_name_and_the_linear_probes_at_its_last_token():
    from phys.science.data.tokenizer import Tokenizer
    from phys.stages.probing import q_inputs

    tok = Tokenizer.build([" Anya Briar Forger", " Bo Li"])
    names = ["Anya Briar Forger", "Bo Li"]
    ids, read, last = q_inputs(tok, names, end=True)
    for row, r, l, name in zip(ids, read[:, 0].tolist(), last[:, 0].tolist(), names):
        assert row[0] == tok.eos_id and row[-1] == tok.eos_id and r == len(row) - 1  # the <end> token
        assert row[l] == tok.encode(" " + name)[-1] and l == r - 1
    ids, read, last = q_inputs(tok, names, end=False)
    assert read.tolist() == last.tolist() == [[len(row) - 1] for row in ids]


def test_cross_fitting_scores_every_person_once_by_a_probe_that_did_not_train_on_them():
    """`probe.q_folds`: the folds partition the people, each fold's probe trains on all the others, and with
    5 folds at train_fraction 0.8 the last fold is the single split (so one fold reproduces today's probe)."""
    import torch

    from phys.stages.probing import splits

    train, [only] = splits(500, 0.8, 0, seed=3)
    assert only is train and int(train.sum()) == 400
    same_train, folds = splits(500, 0.8, 5, seed=3)
    assert torch.equal(same_train, train) and len(folds) == 5
    scored = torch.stack([~f for f in folds]).long()  # (5, N): fold f scores these people
    assert scored.sum(0).tolist() == [1] * 500 and scored.sum(1).tolist() == [100] * 5
    assert torch.equal(folds[-1], train)
    assert not torch.equal(splits(500, 0.8, 5, seed=4)[1][0], folds[0])  # the shuffle follows the seed


def test_a_cross_fitted_q_probe_scores_everyone(runs):
    record = phys_json(runs, "run", "recipe", "knowledge_probing", *SMOKE, "--arms", "single",
                       "--set", "probe.q_folds=3")
    table = json.loads((runs / record["id"] / "stages" / "probe_single_probing" / "probe.json").read_text())
    assert table["q_scored_people"] == 60  # smoke: 60 people, all scored (one split: 30)
    assert 0 <= record["metrics"]["qprobe_acc@single"] <= 1 and 0 <= record["metrics"]["qprobe_train_acc@single"] <= 1
    from phys.errors import StageInterrupted
    from phys.stages import probing
    from phys.stages.context import StageContext

    stages = runs / record["id"] / "stages"  # a stop between probes ends the stage at once
    ctx = StageContext("probe_single_probing", probing.ProbeConfig(q_folds=3, steps=2, linear_steps=2), 0,
                       runs / "scratch", {"data": stages / "data_single_probing", "pretrain": stages / "pretrain_single_probing"},
                       log=lambda line: None, should_stop=lambda: True)
    with pytest.raises(StageInterrupted):
        probing.run(ctx)
    bad = phys(runs, "run", "recipe", "knowledge_probing", *SMOKE, "--set", "probe.q_folds=1", check=False)
    assert bad.returncode != 0 and "q_folds" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr


def test_knowledge_classification_learns_extraction_before_classification():
    """Every arm's classification finetune starts from M′, the pretrained model finetuned on P_train's forward
    QA of the attributes the tasks use ([3.2 §4]), at every scale."""
    from phys.core import registry
    from phys.core.plan import make_plan
    from phys.spec import SCALES

    recipe = registry.load_recipe("knowledge_classification")
    for scale in SCALES:
        stages = {s.name: s for s in make_plan(recipe, scale).stages}
        extract = stages["extract"]
        assert extract.config.docs == "extract" and extract.deps == ("data", "pretrain")
        assert set(stages["data"].config.extraction) == {"birth_date", "major"}
        arms = [arm for arm in ("nocot", "cot", "nocot_quarter") if f"finetune_{arm}" in stages]
        assert arms == (["nocot", "cot"] if scale == "cpu" else ["nocot", "cot", "nocot_quarter"])
        for arm in arms:
            finetune = stages[f"finetune_{arm}"]
            assert finetune.config.model == "extract" and "extract" in finetune.deps
            lora = finetune.config.lora_rank > 0  # LoRA keeps the stored facts; a full finetune replays the bios
            assert finetune.config.replay == ("" if lora else "train") and lora == (scale in ("gpu", "paper"))


def test_knowledge_retrieval_judges_dual_retrieval_at_gpu_and_partial_retrieval_everywhere():
    """At cpu single retrieval (0.59–0.87) bounds the pairs, so dual retrieval is reported there and judged at
    gpu: weak pairs do not fail a cpu run, they fail a gpu one; a year as good as the whole date fails a cpu
    run."""
    from phys.core.verdict import judge
    from phys.recipes.knowledge_retrieval import RECIPE as RETRIEVAL

    arm = "multi5+permute"
    metrics = {f"dual_test_given_parts_min@{arm}": 0.6, f"dual_test_parts@{arm}": 120,
               f"forward_test_birth_date@{arm}": 0.8, f"partial_test_birth_year@{arm}": 0.3,
               f"forward_test_acc@{arm}": 0.7}
    arms = RETRIEVAL.arms["cpu"]
    assert judge(RETRIEVAL.checks, metrics, arms=arms, scale="cpu")[0] == "reproduced"
    assert judge(RETRIEVAL.checks, metrics, arms=arms, scale="gpu")[0] == "not reproduced"
    year_as_good = {**metrics, f"partial_test_birth_year@{arm}": 0.78}
    assert judge(RETRIEVAL.checks, year_as_good, arms=arms, scale="cpu")[0] == "not reproduced"
