"""The lints of a recipe's design (`phys.core.lint`): each fires on data made to have the flaw and stays
silent on data without it; shipped recipes fire none that they do not explain; a run records its lints."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import phys

from phys.core.folders import Folders
from phys.core.lint import Lint, lint, lint_plan, unexplained
from phys.core.plan import make_plan
from phys.recipes.reversal_curse import RECIPE
from phys.spec import Check, Lints, Recipe, Stage
from phys.stages.context import LintInput, Measure, StageContext, measures


# ---- the bounds, on measurements made to sit on either side of them ----------------------------------------

@dataclass(frozen=True)
class Given:
    measured: tuple[Measure, ...] = ()


def _given(inp: LintInput) -> list[Measure]:
    return list(inp.config.measured)


@measures(_given)
def given_stage(ctx: StageContext) -> dict:
    return {}


def lints_of(*measured: Measure, scale: str = "cpu", **bounds) -> list[Lint]:
    recipe = Recipe("lint_demo", "3.1", "demo", "demo", (Stage("data", given_stage, Given(measured)),),
                    (Check("c", "x", ">=", 0.0, "—"),), lints=Lints(**bounds))
    with Folders(Path("/nonexistent-runs")) as folders:
        return lint(make_plan(recipe, scale), folders)


@pytest.mark.parametrize("code, fires, silent", [
    ("window_names", 0.01, 0.0),
    ("eval_questions", 49, 50),
    ("eval_templates", 9.9, 10.0),
    ("top_op_share", 0.0625, 0.11),
])
def test_each_bound_fires_on_one_side_only(code, fires, silent) -> None:
    (fired,) = lints_of(Measure(code, "set", fires))
    assert fired.code == code and fired.stage == "data" and fired.explained is None
    assert lints_of(Measure(code, "set", silent)) == []


def test_a_majority_fires_above_its_bound_and_above_its_chance() -> None:
    assert [x.code for x in lints_of(Measure("eval_majority", "id", 0.485, chance=1 / 23))] == ["eval_majority"]
    assert lints_of(Measure("eval_majority", "id", 0.39, chance=1 / 23)) == []
    # a yes/no set is at 0.5 by chance: it fires only 0.1 above that
    assert lints_of(Measure("eval_majority", "parity", 0.55, chance=0.5)) == []
    (skewed,) = lints_of(Measure("eval_majority", "parity", 0.65, chance=0.5))
    assert skewed.bound == 0.6


def test_a_recipe_sets_its_bounds_and_explains_a_lint_by_code_or_by_scale() -> None:
    measured = Measure("eval_questions", "set", 30)
    assert lints_of(measured, min_eval_questions=20) == []
    (explained,) = lints_of(measured, explained={"eval_questions@cpu": "why"})
    assert explained.explained == "why"
    (other_scale,) = lints_of(measured, scale="gpu", explained={"eval_questions@cpu": "why"})
    assert other_scale.explained is None
    (smoke,) = lints_of(measured, scale="smoke")
    assert smoke.explained and "smoke" in smoke.explained  # smoke judges nothing: its lints say so
    with pytest.raises(ValueError, match="codes are"):
        Lints(explained={"eval_question": "a misspelt code"})


# ---- the measurements, on real data --------------------------------------------------------------------------

def bios_data(tmp_path: Path, **config) -> Path:
    from phys.stages.bios import BiosConfig, run

    out = tmp_path / "data"
    out.mkdir(parents=True)
    run(StageContext(name="data", config=BiosConfig(**config), seed=3, out=out, log=lambda line: None))
    return out


def train_input(data: Path) -> LintInput:
    from phys.stages.train import TrainConfig

    cfg = TrainConfig(block_size=512, batch_size=4)
    return LintInput(name="train", config=cfg, seed=0, folder=None, inputs={"data": data}, upstream={})


def test_window_names_finds_paraphrases_of_one_person_in_one_window_from_the_tokens(tmp_path) -> None:
    from phys.stages.train import windows

    data = bios_data(tmp_path, n_people=40, augmentation="multi5+permute")
    (kept_apart,) = windows(train_input(data))
    assert kept_apart.lint == "window_names" and kept_apart.value == 0.0  # the packer keeps a person's docs apart
    # A data stage that labels every document as its own person (as iGSM's does) defeats the packer:
    person = np.load(data / "train_person.npy")
    np.save(data / "train_person.npy", np.arange(len(person), dtype=person.dtype))
    (mixed,) = windows(train_input(data))
    assert mixed.value > 0.2  # five biographies of 40 people: most windows name somebody twice


def test_bios_eval_sets_count_questions_and_the_commonest_answer(tmp_path) -> None:
    from phys.stages.bios import eval_sets

    folder = bios_data(tmp_path, n_people=200, augmentation="single", pool_size=2)
    measured = {(m.lint, m.subject): m for m in eval_sets(LintInput("data", None, 0, folder, {}, {}))}
    city = measured[("eval_majority", "eval set qa birth_city (P_test)")]
    assert city.value >= 0.5 and city.chance == 0.5  # two cities: a coin
    assert measured[("eval_questions", "eval set qa birth_city (P_test)")].value == 100
    one_city = eval_sets(LintInput("data", None, 0, bios_data(tmp_path / "one", n_people=40, augmentation="single",
                                                              pool_size=1), {}, {}))
    (same,) = [m for m in one_city if m.lint == "eval_majority" and m.subject == "eval set qa birth_city (P_test)"]
    assert same.value == 1.0 and same.chance == 0.5  # one answer: degenerate, and it fires (bound 0.6)
    recipe = dataclasses.replace(RECIPE, lints=Lints(min_eval_questions=101))
    plan = make_plan(recipe, "cpu", ["data.n_people=200", "data.augmentation=single", "data.pool_size=2"])
    with Folders(tmp_path / "runs") as folders:
        fired = {(x.code, x.subject) for x in lint(plan, folders)}
    assert ("eval_questions", "eval set qa birth_city (P_test)") in fired  # 100 < 101
    assert not any(code == "eval_majority" and "birth_city" in s for code, s in fired)  # 2 cities: ≤ 0.6 wanted


def test_igsm_eval_sets_at_small_op_are_few_templates_and_op_sets_beyond_are_not() -> None:
    from phys.stages.igsm import IgsmDataConfig, IgsmEvalConfig, eval_mix

    data = IgsmDataConfig(max_op=4, max_edge=6, subcategories=1, items=10)
    measured = {(m.lint, m.subject): m.value for m in
                eval_mix(LintInput("evaluate", IgsmEvalConfig(items=200, ops=(6,)), 0, None, {}, {"data": data}))}
    assert measured[("eval_templates", "eval set id")] < 5  # AUDIT: the hash split leaves op ≤ 4 a few templates
    assert measured[("eval_majority", "eval set id")] > 0.4  # childless totals: 0
    assert measured[("eval_templates", "eval set op6")] > 50
    assert measured[("eval_majority", "eval set op6")] < 0.4


def test_top_op_share_is_the_generators_before_the_run_and_counted_after(tmp_path) -> None:
    from phys.stages.igsm import IgsmDataConfig, op_mix

    (drawn,) = op_mix(LintInput("data", IgsmDataConfig(max_op=4), 0, None, {}, {}))
    assert drawn.value == 1 / 16  # min of two uniforms on 1..4
    (silent,) = op_mix(LintInput("data", IgsmDataConfig(max_op=2), 0, None, {}, {}))
    assert silent.value == 0.25
    (tmp_path / "igsm.json").write_text(json.dumps({"op_histogram": {"1": 50, "2": 30, "3": 20}}))
    (counted,) = op_mix(LintInput("data", IgsmDataConfig(max_op=3), 0, tmp_path, {}, {}))
    assert counted.value == 0.2 and "op = 3" in counted.subject


def test_exposures_below_the_recipes_minimum_fire(tmp_path) -> None:
    def exposures_lints(minimum: float) -> list[Lint]:
        plan = make_plan(dataclasses.replace(RECIPE, lints=Lints(min_exposures={"train": minimum})), "cpu")
        with Folders(tmp_path) as folders:
            return [x for x in lint_plan(plan, folders, "cpu") if x.code == "exposures"]

    (fired,) = exposures_lints(10_000)  # the cpu scale trains 71 exposures per person
    assert fired.stage == "train" and 60 < fired.value < 80 and fired.bound == 10_000
    assert exposures_lints(50) == []


# ---- shipped recipes, check and the run ----------------------------------------------------------------------

def every_plan(scales: tuple[str, ...]):
    from phys.core import registry

    for recipe in registry.all_recipes():
        for scale in scales:
            yield recipe, make_plan(recipe, scale, arms=list(recipe.all_arms) or None)


def assert_explained(scales: tuple[str, ...], tmp_path: Path) -> None:
    for recipe, plan in every_plan(scales):
        with Folders(tmp_path) as folders:
            open_ = unexplained(lint_plan(plan, folders, "cpu"))
        assert not open_, f"{recipe.name} at {plan.scale}: " + "; ".join(x.message() for x in open_)


def test_shipped_recipes_fire_no_lint_they_do_not_explain_at_cpu(tmp_path) -> None:
    assert_explained(("cpu",), tmp_path)  # (at smoke the scale explains every lint)


@pytest.mark.slow
def test_shipped_recipes_fire_no_lint_they_do_not_explain_at_gpu_and_paper(tmp_path) -> None:
    assert_explained(("gpu", "paper"), tmp_path)  # about 2 min: previews of 10-20k people, med iGSM sets


def test_recipes_check_prints_and_returns_the_lints(runs) -> None:
    record = json.loads(phys(runs, "recipes", "check", "igsm_generalization", "--scale", "cpu", "--json",
                             "--no-probe").stdout)
    codes = {x["code"] for x in record["lints"]}
    assert codes == {"top_op_share", "eval_templates", "eval_majority"}
    assert all(x["explained"] for x in record["lints"])  # recipes/_igsm.py says why
    text = phys(runs, "recipes", "check", "igsm_generalization", "--scale", "cpu", "--no-probe").stdout
    assert "lints: 0 not explained by the recipe, 5 explained" in text
    quiet = phys(runs, "recipes", "check", "reversal_curse", "--scale", "cpu", "--no-probe").stdout
    assert "lints: none fired" in quiet


def test_a_run_records_its_lints_and_shows_them(smoke_runs) -> None:
    root, record = smoke_runs
    assert record["lints"] and all(x["explained"] for x in record["lints"])  # smoke: explained by the scale
    assert {x["code"] for x in record["lints"]} == {"eval_questions"}  # 20 people per half
    shown = phys(root, "runs", "show", record["id"]).stdout
    assert "lints: 0 not explained by the recipe" in shown
    report = Path(record["report"]).read_text()
    assert "## Lints" in report and "eval_questions" in report


def test_every_lint_code_has_a_bound_and_a_name_in_the_recipe_vocabulary() -> None:
    from phys.core.lint import BOUNDS
    from phys.spec import LINT_CODES

    assert set(BOUNDS) | {"exposures"} == set(LINT_CODES)
