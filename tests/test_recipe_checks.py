"""Recipes fail before running: a stage names its adapter function, every shipped adapter declares the
metrics it produces, and a check whose metric (or baseline, or arm) no stage produces is rejected by
`phys recipes check` and by `phys run`, with one line naming it."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from conftest import SMOKE, phys, phys_json

from phys.core import registry
from phys.core.plan import check_metrics, declared_metrics, make_plan, produced_metrics, role_keys
from phys.errors import PhysError
from phys.recipes.knowledge_storage import RECIPE as STORAGE
from phys.recipes.reversal_curse import RECIPE as REVERSAL
from phys.spec import SCALES, Check, Recipe, Stage
from phys.stages import bios
from phys.stages.bios import BiosConfig


def every_arm(recipe: Recipe) -> tuple[str, ...] | None:
    return recipe.all_arms or None


@pytest.mark.parametrize("name", registry.recipe_names())
def test_every_shipped_check_reads_a_metric_some_stage_produces(name: str) -> None:
    recipe = registry.load_recipe(name)
    for scale in SCALES:
        plan = make_plan(recipe, scale, arms=every_arm(recipe))
        produced, silent = produced_metrics(plan)
        assert silent == [], "every shipped adapter declares its metrics (phys.stages.context.produces)"
        check_metrics(plan)


def misspelt(recipe: Recipe, metric: str) -> Recipe:
    return dataclasses.replace(recipe, checks=(*recipe.checks, Check("misspelt", metric, ">=", 0.5, paper="-")))


def test_a_misspelt_metric_is_named_with_the_metrics_that_exist() -> None:
    plan = make_plan(misspelt(REVERSAL, "forward_tset_acc"), "cpu")
    with pytest.raises(PhysError) as err:
        check_metrics(plan)
    assert "'forward_tset_acc', which no stage produces" in err.value.message
    assert err.value.hint.startswith("did you mean forward_test_acc? the stages produce ")
    assert "inverse_test_acc" in err.value.hint and "final_loss" in err.value.hint


def test_a_misspelt_baseline_and_an_arm_metric_are_caught() -> None:
    bad = dataclasses.replace(STORAGE, checks=(Check("b", "forward_test_acc@single", ">=", 0, paper="-",
                                                     baseline="forward_test_accc@multi5+permute"),))
    with pytest.raises(PhysError, match="'forward_test_accc@multi5\\+permute', which no stage produces"):
        check_metrics(make_plan(bad, "cpu"))
    with pytest.raises(ValueError, match="reads unknown arms \\['multi6'\\]"):
        misspelt(STORAGE, "forward_test_acc@multi6")


def test_checks_of_arms_a_plan_leaves_out_are_not_judged_there() -> None:
    gpu_only = misspelt(STORAGE, "forward_tset_acc@multi5")  # multi5 runs at the gpu scale only
    check_metrics(make_plan(gpu_only, "cpu"))
    with pytest.raises(PhysError, match="forward_tset_acc@multi5"):
        check_metrics(make_plan(gpu_only, "cpu", arms=every_arm(gpu_only)))


def test_declarations_follow_the_config() -> None:
    plan = make_plan(REVERSAL, "smoke", ["data.qa_attributes=birth_date,major"])
    declared = declared_metrics(plan, "evaluate")
    assert {"forward_test_major", "forward_test_acc", "inverse_test_birth_to_full"} <= declared
    assert "forward_test_employer" not in declared


def test_the_data_stage_returns_what_it_declares(tmp_path) -> None:
    from phys.stages.context import StageContext

    config = BiosConfig(n_people=12, augmentation="multi5+permute")
    result = bios.run(StageContext(name="data", config=config, seed=0, out=tmp_path))
    assert set(result) == bios.metrics(config, {})


def test_a_stage_names_a_module_level_function() -> None:
    cfg = BiosConfig()
    assert Stage("data", bios.run, cfg).path == "phys.stages.bios:run"
    with pytest.raises(TypeError, match="adapter function"):
        Stage("data", "phys.stages.bios:run", cfg)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="module-level function"):
        Stage("data", lambda ctx: {}, cfg)


def test_a_key_by_role_sets_every_stage_of_the_role_and_a_stage_key_wins() -> None:
    plan = make_plan(STORAGE, "cpu", ["pretrain.steps=77", "pretrain_single.steps=5"])
    steps = {s.name: s.config.steps for s in plan.stages if s.role == "pretrain"}
    assert steps == {"pretrain_single": 5, "pretrain_single_permute5": 77, "pretrain_multi5_permute": 77}
    assert "pretrain.steps" in role_keys(STORAGE) and "evaluate.model" in role_keys(STORAGE)
    with pytest.raises(PhysError, match="unknown override key 'pretrain.stepz'") as err:
        make_plan(STORAGE, "cpu", ["pretrain.stepz=1"])
    assert "by role (every stage of the role): data.n_people" in err.value.hint


MISSPELT_RECIPE = '''"""reversal_curse with a misspelt check."""
import dataclasses

from phys.recipes.reversal_curse import RECIPE as BASE
from phys.spec import Check

RECIPE = dataclasses.replace(BASE, name="misspelt", checks=(
    Check("forward QA", "forward_tset_acc", ">=", 0.8, paper="96.6%"),))
'''


def test_recipes_check_and_run_reject_a_misspelt_metric_in_one_line(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "misspelt.py").write_text(MISSPELT_RECIPE)
    monkeypatch.setenv("PHYS_RECIPES", str(folder))
    runs = tmp_path / "runs"
    for command in (["recipes", "check", "misspelt"], ["run", "recipe", "misspelt", *SMOKE]):
        proc = phys(runs, *command, check=False)
        assert proc.returncode == 1, proc.stderr
        error, hint = proc.stderr.strip().splitlines()
        assert error == ("error: recipe misspelt: check 'forward QA' reads metric 'forward_tset_acc', which no stage "
                         f"produces at scale {'cpu' if command[0] == 'recipes' else 'smoke'}")
        assert hint.startswith("hint: did you mean forward_test_acc? the stages produce data_bio_tokens_mean, ")
    assert not list(runs.glob("*/run.json")), "nothing is written"


def test_a_variant_in_a_recipes_folder_reuses_the_shipped_stages(smoke_runs, tmp_path, monkeypatch) -> None:
    """README's own-recipe example: reversal_curse's stages with another check, nothing of phys touched."""
    example = Path(__file__).parent / "toy_recipes" / "reversal_gap.py"
    assert len(example.read_text().splitlines()) <= 35
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(example, folder)
    monkeypatch.setenv("PHYS_RECIPES", str(folder))
    root = tmp_path / "runs"
    shutil.copytree(smoke_runs[0], root, symlinks=True)
    record = phys_json(root, "run", "recipe", "reversal_gap", *SMOKE)
    assert record["status"] == "done" and record["recipe"] == "reversal_gap"
    assert all(stage["cached"] for stage in record["stages"].values())
    assert [c["name"] for c in record["checks"]][0] == "forward QA beats inverse search on unseen people"


def test_a_stage_key_wins_over_a_role_key_from_the_command_line_too() -> None:
    exposures = registry.load_recipe("capacity_exposures")
    plan = make_plan(exposures, "smoke", ["train.exposures=50"])
    cells = {s.name: s.config.exposures for s in plan.stages if s.role == "train"}
    assert cells == {"train_l2_d24": 50, "train_l2_d24_gated": 50, "train_l2_d24_mlp1": 50, "train_l2_d24_nomlp": 50,
                     "train_l2_d24_e100": 4, "train_l2_d24_e100_gated": 4,
                     "train_l2_d24_e100_mlp1": 4, "train_l2_d24_e100_nomlp": 4}  # the scale pins its 100-exposure cells


def test_a_role_may_not_share_its_name_with_another_stage() -> None:
    cfg = BiosConfig()
    with pytest.raises(ValueError, match="role 'data' of stage 'data_a' is also the name of another stage"):
        Recipe("r", "3.1", "t", "c", stages=(Stage("data", bios.run, cfg), Stage("data_a", bios.run, cfg, role="data")),
               checks=())
