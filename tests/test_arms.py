"""Multi-arm recipes: a scale runs a subset of arms, arms share seeds by role, results are named
`metric@arm`, and checks read differences between arms and skip arms that were not run."""

from __future__ import annotations

import json

import pytest
from conftest import SMOKE, phys_json

from phys.errors import PhysError
from phys.core.plan import make_plan
from phys.recipes.knowledge_storage import ARMS, RECIPE
from phys.spec import Check, Recipe, Stage
from phys.stages import qa_eval
from phys.stages.qa_eval import EvalConfig
from phys.core.verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, judge
from phys.views.format import label


def test_a_scale_runs_its_arms_and_arms_share_seeds_by_role():
    smoke = make_plan(RECIPE, "smoke")
    assert smoke.arms == ("single", "multi5+permute")
    assert [s.name for s in smoke.stages][:4] == ["data_single", "pretrain_single", "finetune_single",
                                                   "evaluate_single"]
    assert {s.arm for s in smoke.stages} == {"single", "multi5+permute"}
    assert make_plan(RECIPE, "gpu").arms == ARMS and len(make_plan(RECIPE, "gpu").stages) == 4 * len(ARMS)
    data = {s.arm: s for s in smoke.stages if s.role == "data"}
    assert data["single"].seed == data["multi5+permute"].seed  # the same people in every arm
    assert data["single"].key != data["multi5+permute"].key  # different biographies


def test_checks_read_differences_and_skip_arms_not_run():
    checks = (Check("a beats b", "acc@a", ">=", 0.3, baseline="acc@b", paper="-"),
              Check("c is low", "acc@c", "<=", 0.1, paper="-"))
    verdict, results = judge(checks, {"acc@a": 0.9, "acc@b": 0.2}, arms=("a", "b"))
    assert verdict == REPRODUCED and [r.name for r in results] == ["a beats b"]
    assert results[0].measured == pytest.approx(0.7) and results[0].baseline == "acc@b"
    assert judge(checks, {"acc@a": 0.4, "acc@b": 0.2}, arms=("a", "b"))[0] == NOT_REPRODUCED
    assert judge(checks, {"acc@a": 0.9}, arms=("a", "b"))[0] == INCONCLUSIVE  # baseline never measured


def test_a_run_whose_scale_judges_no_claim_is_not_reproduced_vacuously():
    checks = (Check("c is low", "acc@c", "<=", 0.1, paper="-"),
              Check("a learned", "acc@a", ">=", 0.5, paper="-", role="sanity"))
    assert judge(checks, {"acc@a": 0.9}, arms=("a",))[0] == INCONCLUSIVE  # only a sanity check applies here
    assert judge(checks[:1], {}, arms=("a",))[0] == INCONCLUSIVE  # nothing applies


def test_a_check_kept_for_other_scales_is_not_judged_at_this_one():
    checks = (Check("a beats b", "acc@a", ">=", 0.2, baseline="acc@b", paper="-"),
              Check("a reaches the paper's level", "acc@a", ">=", 0.5, paper="-", scales=("gpu", "paper")))
    metrics = {"acc@a": 0.45, "acc@b": 0.05}
    verdict, results = judge(checks, metrics, arms=("a", "b"), scale="cpu")
    assert verdict == REPRODUCED and [r.name for r in results] == ["a beats b"]
    assert judge(checks, metrics, arms=("a", "b"), scale="gpu")[0] == NOT_REPRODUCED  # judged where it is kept
    with pytest.raises(ValueError, match="unknown scale 'cpus'"):
        Check("x", "acc@a", ">=", 0.5, paper="-", scales=("cpus",))


def test_a_check_against_the_best_of_several_metrics():
    check = Check("x is best", "x", ">", 0.0, baseline=("y", "z"), paper="-")
    verdict, [result] = judge((check,), {"x": 0.5, "y": 0.2, "z": 0.45})
    assert verdict == REPRODUCED and result.measured == pytest.approx(0.05)
    assert judge((check,), {"x": 0.5, "y": 0.2, "z": 0.6})[0] == NOT_REPRODUCED  # z beats x
    assert judge((check,), {"x": 0.5, "y": 0.2})[0] == INCONCLUSIVE
    assert label(result.to_dict()) == "x - max(y, z)"


def test_a_stage_may_not_depend_on_an_arm_left_out():
    recipe = Recipe(
        name="bad_arms", part="3.1", title="t", claim="c",
        stages=(Stage("x_a", qa_eval.run, EvalConfig(), arm="a"), Stage("y_b", qa_eval.run, EvalConfig(), deps=("x_a",), arm="b")),
        checks=(), arms={"smoke": ("b",)},
    )
    with pytest.raises(PhysError, match="needs x_a, left out at scale smoke"):
        make_plan(recipe, "smoke")
    with pytest.raises(ValueError, match="unknown"):
        Recipe(name="r", part="3.1", title="t", claim="c", stages=recipe.stages, checks=(), arms={"cpu": ("z",)})


def test_knowledge_storage_smoke_names_results_by_arm(runs):
    record = phys_json(runs, "run", "recipe", "knowledge_storage", *SMOKE)
    metrics = record["metrics"]
    for arm in ("single", "multi5+permute"):
        assert f"forward_test_acc@{arm}" in metrics and f"finetune_final_loss@{arm}" in metrics
    assert not any(k.endswith("@single+permute5") for k in metrics)
    assert len(record["checks"]) == len(RECIPE.checks) - 1  # the permute5 check needs an arm smoke leaves out
    stages = runs / record["id"] / "stages"
    names = [[json.loads(line)["full_name"] for line in (stages / f"data_{s}" / "people.jsonl").read_text().splitlines()]
             for s in ("single", "multi5_permute")]
    assert names[0] == names[1]  # same seed by role: the arms differ only in augmentation
    assert (runs / record["id"] / "figures" / "arms.png").exists()


def test_a_check_over_arms_reads_the_best_arm_of_the_run():
    check = Check("peak", "bits_per_param", ">=", 1.5, over_arms="max", paper="-")
    metrics = {"bits_per_param@a": 1.2, "bits_per_param@b": 1.8, "bits_per_param@c": 3.0}
    verdict, [result] = judge((check,), metrics, arms=("a", "b"))
    assert verdict == REPRODUCED and result.measured == pytest.approx(1.8)  # c was not run
    assert judge((check,), metrics, arms=("a",))[0] == NOT_REPRODUCED
    assert judge((check,), metrics, arms=("a", "d"))[0] == INCONCLUSIVE  # d never measured
    assert judge((check,), metrics)[1][0].measured == pytest.approx(3.0)  # no plan: every arm there is
    low = Check("low", "bits_per_param", "<=", 1.5, over_arms="min", paper="-")
    assert judge((low,), metrics, arms=("a", "b"))[1][0].measured == pytest.approx(1.2)
    assert label(result.to_dict()) == "max over arms of bits_per_param"


def test_arms_chosen_at_run_time_replace_the_scales():
    plan = make_plan(RECIPE, "smoke", arms=["multi5", "single"])
    assert plan.arms == ("single", "multi5")  # in the recipe's order
    assert {s.arm for s in plan.stages} == {"single", "multi5"}
    same = {s.name: s.key for s in make_plan(RECIPE, "smoke").stages}
    assert all(same[s.name] == s.key for s in plan.stages if s.name in same)  # keys never depend on other arms
    with pytest.raises(PhysError, match="unknown arm 'nope'"):
        make_plan(RECIPE, "smoke", arms=["nope"])
    with pytest.raises(PhysError, match="no arm chosen"):
        make_plan(RECIPE, "smoke", arms=[])


def test_a_check_may_read_a_ratio_of_two_arms():
    check = Check("more exposures store more", "bits@e1000", ">=", 1.5, baseline="bits@e100", ratio=True, paper="2x")
    verdict, [result] = judge((check,), {"bits@e1000": 2.0, "bits@e100": 1.0})
    assert verdict == REPRODUCED and result.measured == pytest.approx(2.0)
    assert label(result.to_dict()) == "bits@e1000 / bits@e100"
    assert judge((check,), {"bits@e1000": 2.0, "bits@e100": 0.0})[0] == INCONCLUSIVE  # no ratio to a zero
