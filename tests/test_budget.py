"""`phys recipes check`'s budget: parameters from the model itself, tokens from the config, passes and
exposures once the data stage is in the store, and a time from a throughput measured once per shape."""

from __future__ import annotations

import json

from conftest import phys

from phys.core.budget import Throughputs, budget
from phys.core.plan import make_plan
from phys.core.store import Store
from phys.recipes.reversal_curse import RECIPE


def test_before_the_data_stage_runs_the_budget_has_what_the_config_tells(tmp_path, monkeypatch) -> None:
    from phys.core.registry import load_recipe
    from phys.machine import cpu

    monkeypatch.setattr(cpu, "load_warning", lambda: None)  # kept whatever else this machine is doing

    plan = make_plan(load_recipe("igsm_generalization"), "smoke")  # iGSM data: too slow to preview
    calls = []

    def measure(cfg, vocab, device):
        calls.append((cfg.n_layer, cfg.n_embd, cfg.batch_size, cfg.block_size, vocab))
        return 1000.0

    (row,) = budget(plan, tmp_path, "cpu", measure)
    train = plan.stage("train").config
    assert row.stage == "train" and row.tokens == train.steps * train.batch_size * train.block_size
    assert row.params is None and row.params_non_embedding > 0 and row.passes is None
    assert row.tokens_per_s == 1000.0 and row.seconds == row.tokens / 1000.0
    assert calls == [(train.n_layer, train.n_embd, train.batch_size, train.block_size, 2000)]
    (again,) = budget(plan, tmp_path, "cpu", None)  # measured once per shape: from throughput.json now
    assert again.seconds == row.seconds and len(Throughputs(tmp_path).read()) == 1


def test_bios_data_is_previewed_in_a_scratch_folder(tmp_path) -> None:
    plan = make_plan(RECIPE, "smoke")
    (row,) = budget(plan, tmp_path, "cpu", None)
    assert row.params is not None and row.params > row.params_non_embedding  # the previewed tokenizer's vocabulary
    assert row.passes is not None and row.passes > 0 and row.exposures == row.passes * 5
    assert not Store(tmp_path).has(plan.stage("data").key) and not (tmp_path / "store").exists()  # nothing kept


def test_with_the_data_stage_stored_passes_and_exposures_follow(tmp_path) -> None:
    plan = make_plan(RECIPE, "smoke")
    data = plan.stage("data")
    store = Store(tmp_path)
    store.begin(data.key)
    store.commit(data.key, {"stage": "data", "result": {"data_train_doc_tokens": 10_000, "data_vocab": 700}})
    (row,) = budget(plan, tmp_path, "cpu", lambda cfg, vocab, device: 500.0)
    assert row.params is not None and row.params > row.params_non_embedding
    assert row.passes == row.tokens / 10_000
    assert row.exposures == row.passes * 5  # multi5+permute: five biographies per person
    train = plan.stage("train")
    store.begin(train.key)
    store.commit(train.key, {"stage": "train", "result": {}})
    (cached,) = budget(plan, tmp_path, "cpu", None)
    assert cached.cached and cached.seconds == 0.0  # in the store: no training to wait for


def test_recipes_check_prints_the_budget(runs) -> None:
    record = json.loads(phys(runs, "recipes", "check", "reversal_curse", "--scale", "smoke", "--json",
                             "--no-probe").stdout)
    (row,) = record["budget"]
    assert row["stage"] == "train" and row["tokens"] > 0 and row["seconds"] is None  # not measured, not probed
    text = phys(runs, "recipes", "check", "reversal_curse", "--scale", "smoke", "--no-probe").stdout
    assert "budget" in text and "non-emb." in text


def test_igsm_passes_count_each_problem_once_stored(tmp_path) -> None:
    from phys.core.registry import load_recipe

    plan = make_plan(load_recipe("igsm_generalization"), "smoke")
    data = plan.stage("data")
    store = Store(tmp_path)
    store.begin(data.key)
    store.commit(data.key, {"stage": "data", "result": {"problems": 300, "tokens_per_problem": 100.0, "vocab": 90}})
    (row,) = budget(plan, tmp_path, "cpu", None)
    assert row.passes == row.tokens / 30_000 and row.exposures == row.passes  # one document per problem


def test_a_capacity_cell_budgets_the_steps_its_exposures_take_and_the_papers_parameter_count(tmp_path) -> None:
    from phys.core.registry import load_recipe

    plan = make_plan(load_recipe("capacity_scaling"), "smoke")
    rows = budget(plan, tmp_path, "cpu", None)  # the population is previewed: a fraction of a second
    cell = rows[0]
    cfg = plan.stage(cell.stage).config
    assert cell.exposures == cfg.exposures and cell.tokens and cell.tokens % (cfg.batch_size * cfg.block_size) == 0
    # P leaves out the embedding rows of tokens the population never uses [3.3 §2.3]
    assert cell.params_used is not None and cell.params_non_embedding < cell.params_used < cell.params
    shown = json.loads(phys(tmp_path, "recipes", "check", "capacity_scaling", "--scale", "smoke", "--no-probe",
                            "--json").stdout)["budget"][0]
    assert shown["params_used"] == cell.params_used and shown["tokens"] == cell.tokens


def test_passes_are_the_epochs_training_counts(smoke_runs) -> None:
    import pytest

    root, record = smoke_runs
    (row,) = budget(make_plan(RECIPE, "smoke"), root, "cpu", None)  # the run's data is in the store
    # padding is not data (counted as data, passes were 11% too many here); epoch 0's windows stand for every
    # epoch's, which pack a few more or fewer: 4.07 against the run's 3.94 at smoke
    assert row.cached and row.passes == pytest.approx(record["metrics"]["epochs"], rel=0.05)
