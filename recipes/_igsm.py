"""The iGSM pipeline of Part 2.1 that igsm_generalization, igsm_depth, igsm_probing and the Part 2.2 recipes
share: the data, train and evaluate stages, and their settings at each scale by role (`data.*`, `train.*`,
`evaluate.*` reach every stage of that role, in every arm)."""

from phys.spec import Stage
from phys.stages import igsm, train
from phys.stages.igsm import IgsmDataConfig, IgsmEvalConfig
from phys.stages.train import TrainConfig

DATA = Stage("data", igsm.run_data, config=IgsmDataConfig())
TRAIN = Stage("train", train.run, TrainConfig(eval_every=0), deps=("data",), device_sensitive=True)
EVALUATE = Stage("evaluate", igsm.run_eval, IgsmEvalConfig(), deps=("data", "train"))

PAPER_TRAIN = {"train.n_layer": 12, "train.n_head": 12, "train.n_embd": 768, "train.block_size": 768,
               "train.batch_size": 512, "train.steps": 100_000, "train.lr": 2e-3, "train.weight_decay": 0.05,
               "train.beta2": 0.98, "train.warmup_frac": 0.01, "train.min_lr_ratio": 0.01,
               "train.ckpt_every": 2000, "train.log_every": 100, "train.eval_every": 0}

SCALES: dict[str, dict[str, object]] = {
    "smoke": {"data.max_op": 3, "data.max_edge": 6, "data.problems": 300, "data.block_size": 256,
              "train.n_layer": 2, "train.n_embd": 32, "train.n_head": 2, "train.block_size": 256,
              "train.batch_size": 8, "train.steps": 20, "train.ckpt_every": 10, "train.log_every": 5,
              "evaluate.items": 6, "evaluate.ops": (4,), "evaluate.baseline_items": 4,
              "evaluate.max_new_tokens": 48},
    "cpu": {"data.max_op": 4, "data.max_edge": 6, "data.subcategories": 1, "data.items": 10,
            "data.problems": 100_000, "data.block_size": 256, "data.workers": 2,
            "train.n_layer": 6, "train.n_head": 4, "train.n_embd": 128, "train.block_size": 256,
            "train.batch_size": 32, "train.steps": 1500, "train.lr": 3e-3, "train.weight_decay": 0.05,
            "train.warmup_frac": 0.05, "train.min_lr_ratio": 0.01, "train.ckpt_every": 250,
            "train.log_every": 25, "evaluate.items": 200, "evaluate.ops": (5, 6),
            "evaluate.max_new_tokens": 300},
    "gpu": {"data.problems": 2_000_000, "data.workers": 16, **PAPER_TRAIN, "train.batch_size": 128,
            "train.steps": 10_000, "evaluate.items": 1024},
    "paper": {"data.problems": 20_000_000, "data.workers": 16, **PAPER_TRAIN},
}


def data_and_train(scale: str) -> dict[str, object]:
    """The data and train settings of `scale` (for recipes that evaluate otherwise)."""
    return {k: v for k, v in SCALES[scale].items() if k.split(".")[0] in ("data", "train")}
