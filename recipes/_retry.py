"""Shared pieces of the Part 2.2 recipes (retry_data, retry_fake, retry_finetune, retry_upon_regret):
the arms' retry settings, their data / train / evaluate stages, and the settings of each scale.

Every arm has its own data stage (the retry settings differ) with role `data`, so all arms draw the same
problems (retries come from a separate stream, `phys.stages.igsm.draw_chunk`) and start from the same
weights (role `train`); training runs the same steps × windows at every arm: equal training tokens, so
retry data means fewer distinct problems, as in the paper's controlled comparison [2.2 §5.1]. The arm of
identical settings in two recipes is the same cache entry (e.g. retry_fake's r20 is retry_data's).
"""

from __future__ import annotations

from phys.spec import Check, Stage
from phys.stages import igsm, train
from phys.stages.igsm import IgsmDataConfig, IgsmEvalConfig
from phys.stages.train import TrainConfig

from . import _igsm

LINTS = _igsm.LINTS
"""The lints the Part 2.2 recipes explain: those of the iGSM pipeline (`recipes/_igsm.py`)."""

# arm -> (retry_rate, retry_mask, retry_kind)
ARMS: dict[str, tuple[float, bool, str]] = {
    "r0": (0.0, False, "wrong"),
    "r05": (0.05, False, "wrong"),
    "r10": (0.1, False, "wrong"),
    "r20": (0.2, False, "wrong"),
    "r50": (0.5, False, "wrong"),
    "r20m": (0.2, True, "wrong"),
    "r50m": (0.5, True, "wrong"),
    "weak20": (0.2, False, "weak"),
    "miss20": (0.2, False, "miss"),
}

# The cpu scale of every Part 2.2 recipe: a smaller iGSM than igsm_generalization's cpu scale (which
# learns nothing in its budget): op ≤ 3, ip ≤ 5 on a world of 4 names per sub-category (one sub-category),
# letters a, b, c, … in order, the loss on the solution only; out of distribution at op = 4, 5.
CPU = {"data.max_op": 3, "data.max_edge": 5, "data.subcategories": 1, "data.items": 4, "data.letters": "ordered",
       "data.loss": "solution", "data.problems": 80_000, "data.block_size": 256, "data.workers": 2,
       "train.n_layer": 6, "train.n_head": 4, "train.n_embd": 128, "train.block_size": 256,
       "train.batch_size": 16, "train.steps": 1800, "train.lr": 3e-3, "train.weight_decay": 0.05,
       "train.warmup_frac": 0.05, "train.min_lr_ratio": 0.01, "train.ckpt_every": 300, "train.log_every": 50,
       "evaluate.items": 200, "evaluate.ops": (4, 5), "evaluate.reask": False, "evaluate.baseline_items": 0,
       "evaluate.max_new_tokens": 200}
LEARNED = Check("the error-free model learned the task", "acc_id@r0", ">=", 0.1, paper="≈ 99.9%", role="sanity",
                description="in-distribution whole-solution accuracy of the error-free arm (below it, no "
                            "comparison of arms can be judged)")
HARDEST = {"smoke": 4, "cpu": 5, "gpu": 23, "paper": 23}


def base(scale: str) -> dict[str, object]:
    """The data / train / evaluate settings of every arm at `scale`, by role (igsm_generalization's, but cpu)."""
    if scale == "cpu":
        return dict(CPU)
    out = dict(_igsm.SCALES[scale])
    out.update({"evaluate.ops": (HARDEST[scale],), "evaluate.reask": False, "evaluate.baseline_items": 0})
    return out


def arm_stages(arm: str) -> tuple[Stage, ...]:
    """data (with the arm's retry settings) → train → evaluate, with roles: the scales set them by role."""
    rate, mask, kind = ARMS[arm]
    return (
        Stage(f"data_{arm}", igsm.run_data, IgsmDataConfig(retry_rate=rate, retry_mask=mask, retry_kind=kind),
              version=igsm.WEAK_DATA_VERSION if kind == "weak" else 1, arm=arm, role="data"),
        Stage(f"train_{arm}", train.run, TrainConfig(eval_every=0), version=train.VERSION, deps=(f"data_{arm}",),
              device_sensitive=True, arm=arm, role="train"),
        Stage(f"evaluate_{arm}", igsm.run_eval, IgsmEvalConfig(), version=igsm.EVAL_VERSION,
              deps=(f"data_{arm}", f"train_{arm}"),
              arm=arm, role="evaluate"),
    )


SCALES = {scale: base(scale) for scale in HARDEST}
"""scale -> the settings of every arm's data / train / evaluate stages, by role."""
