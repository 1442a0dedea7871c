import pytest

from phys.errors import PhysError
from phys.core.plan import make_plan, valid_keys
from phys.core.registry import all_recipes, load_recipe
from phys.spec import SCALES, Check, Recipe, Stage
from phys.stages import qa_eval
from phys.stages.qa_eval import EvalConfig


def recipe():
    return load_recipe("reversal_curse")


@pytest.mark.parametrize("scale", SCALES)
def test_every_shipped_recipe_plans_at_every_scale(scale):
    for r in all_recipes():
        plan = make_plan(r, scale)
        assert [s.name for s in plan.stages]
        assert len({s.key for s in plan.stages}) == len(plan.stages)


def test_overrides_are_parsed_through_the_field_type():
    plan = make_plan(recipe(), "smoke", ["train.lr=0.01", "data.mixed=false", "data.inverse_tasks=all_to_first,bdate_to_full",
                                         "train.precision=fp32"])
    assert plan.stage("train").config.lr == 0.01
    assert plan.stage("data").config.mixed is False
    assert plan.stage("data").config.inverse_tasks == ("all_to_first", "bdate_to_full")


@pytest.mark.parametrize("override,needle", [
    ("train.nope=1", "valid keys: data.n_people"),
    ("nostage.lr=1", "valid keys"),
    ("train.lr=fast", "not a number"),
    ("train.steps=1.5", "not an integer"),
    ("train.precision=fp8", "choose one of auto, fp32, bf16"),
    ("train.n_embd=130", "divisible"),
    ("data.augmentation=triple", "augmentation"),
    ("train.lr", "STAGE.FIELD=VALUE"),
])
def test_bad_overrides_raise_a_user_error(override, needle):
    with pytest.raises(PhysError) as info:
        make_plan(recipe(), "cpu", [override])
    assert needle in str(info.value)


def test_cache_keys_follow_config_seed_and_upstream():
    base = make_plan(recipe(), "cpu")
    lr = make_plan(recipe(), "cpu", ["train.lr=0.001"])
    assert base.stage("data").key == lr.stage("data").key
    assert base.stage("train").key != lr.stage("train").key
    assert base.stage("evaluate").key != lr.stage("evaluate").key  # upstream changed
    other_seed = make_plan(recipe(), "cpu", seed=1)
    assert all(a.key != b.key for a, b in zip(base.stages, other_seed.stages))
    assert make_plan(recipe(), "cpu").stages == base.stages


def test_a_field_added_later_changes_no_key_at_its_default_and_is_keyed_when_set():
    """`pure_groups` joined TrainConfig after stores existed (`ADDED_LATER`): at its default a stage keeps the
    key it had, set it is keyed as any field, and the stage's recorded config still shows it."""
    import dataclasses

    from phys.core.plan import config_to_dict, key_config
    from phys.science.config import ADDED_LATER
    from phys.stages.train import TrainConfig

    field = {f.name: f for f in dataclasses.fields(TrainConfig)}["pure_groups"]
    assert field.metadata.get(ADDED_LATER)
    assert "pure_groups" not in key_config(TrainConfig()) and config_to_dict(TrainConfig())["pure_groups"] is False
    assert key_config(TrainConfig(pure_groups=True))["pure_groups"] is True
    base = make_plan(recipe(), "cpu")
    pure = make_plan(recipe(), "cpu", ["train.pure_groups=true"])
    assert base.stage("train").key != pure.stage("train").key and base.stage("data").key == pure.stage("data").key
    assert make_plan(recipe(), "cpu", ["train.pure_groups=false"]).stage("train").key == base.stage("train").key


def test_unknown_scale_is_a_user_error():
    with pytest.raises(PhysError, match="scales are smoke"):
        make_plan(recipe(), "huge")


def test_dependency_cycles_are_named():
    cfg = EvalConfig()
    r = Recipe("cyclic", "0", "t", "c", stages=(Stage("a", qa_eval.run, cfg, deps=("b",)), Stage("b", qa_eval.run, cfg, deps=("a",))),
               checks=(Check("x", "m", ">=", 0, paper="-"),))
    with pytest.raises(PhysError, match="cycle: a -> b -> a"):
        make_plan(r, "cpu")


def test_valid_keys_list_every_field():
    keys = valid_keys(recipe())
    assert "train.steps" in keys and "data.n_people" in keys and "evaluate.batch_size" in keys
