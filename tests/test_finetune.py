"""BIO pretraining, then QA finetuning from the pretrained weights ([3.1 §2.1]): the data stage writes the
finetune documents, the finetune stage starts from the pretrained model, and evaluate reads the finetuned one."""

from __future__ import annotations

import json

import numpy as np
from conftest import SMOKE, phys_json

RECIPE = '''
from phys.spec import Check, Recipe, Stage
from phys.stages import bios, finetune, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.finetune import FinetuneConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

RECIPE = Recipe(
    name="pt_ft_probe", part="3.1", title="pretrain then finetune (test recipe)", claim="test",
    stages=(
        Stage("data", bios.run, BiosConfig(n_people=40, augmentation="multi5+permute", mixed=False,
                                                         inverse_tasks=())),
        Stage("pretrain", train.run, TrainConfig(n_layer=2, n_embd=64, batch_size=16, steps=150,
                                                               log_every=10, eval_every=0), deps=("data",)),
        Stage("finetune", finetune.run, FinetuneConfig(steps=40, batch_size=16, eval_every=20),
              deps=("data", "pretrain")),
        Stage("evaluate", qa_eval.run, EvalConfig(model="finetune"), deps=("data", "finetune")),
    ),
    checks=(Check("forward QA on P_train", "forward_train_acc", ">=", 0.0, paper="-"),),
)
'''


def test_pretrain_then_finetune(runs, tmp_path, monkeypatch):
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "pt_ft_probe.py").write_text(RECIPE)
    monkeypatch.setenv("PHYS_RECIPES", str(folder))
    record = phys_json(runs, "run", "recipe", "pt_ft_probe", *SMOKE)
    assert record["status"] == "done" and record["stages"]["finetune"]["status"] == "done"
    stages = runs / record["id"] / "stages"

    # The finetune documents: QA of P_train only, the loss on the answer only; pretraining saw no QA.
    people = {p["id"]: p for p in map(json.loads, (stages / "data" / "people.jsonl").read_text().splitlines())}
    ft_people = np.load(stages / "data" / "finetune_person.npy")
    assert len(ft_people) == 6 * 20 and {people[int(i)]["split"] for i in ft_people} == {"train"}
    assert (np.load(stages / "data" / "finetune_loss_start.npy") > 0).all()
    assert set(np.load(stages / "data" / "train_group.npy").tolist()) == {0}

    # Finetuning starts where pretraining ended: its first loss on QA is far below a fresh model's (~6.2).
    curves = [json.loads(line) for line in (runs / record["id"] / "metrics.jsonl").read_text().splitlines()]
    first = {c["stage"]: c["loss"] for c in reversed(curves) if "loss" in c}
    assert first["finetune"] < first["pretrain"] - 1.0
    probes = [c for c in curves if c["stage"] == "finetune" and "forward_train_acc" in c]
    assert [c["step"] for c in probes] == [20, 40]
    # evaluate read the finetuned model: greedy accuracy on P_train equals the finetune probe's at the end
    # (the probe covers all 20 P_train people here).
    assert probes[-1]["forward_train_acc"] == record["metrics"]["forward_train_acc"]
