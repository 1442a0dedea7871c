"""The bioS pretrain → finetune pipeline the Part 3.1 recipes share (knowledge_storage, mixed_training,
celebrity_minority, knowledge_retrieval's scales): one arm's stages, and the scales by role.

An arm's stages have roles (`data`, `pretrain`, `finetune`, `evaluate`), so a scale's `pretrain.steps` sets
every arm's pretraining, and every arm draws the same people and initial weights. A recipe that uses these
stages as they are shares their cache entries with the others.
"""

from phys.spec import Lints, Stage
from phys.stages import bios, finetune, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.finetune import FinetuneConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig


STORED = Lints(min_exposures={"pretrain": 100})
"""The least a knowledge recipe pretrains with: 100 exposures per person, Part 3.3's 100-exposure setting and
the fewest with which the papers store a population's facts (about half the capacity of 1,000); a claim about
extracting stored facts is untested below it (the `exposures` lint)."""

FULLNAME = Lints(min_exposures={"pretrain": 100}, explained={
    "exposures@cpu": "the +fullname arm's biographies repeat the full name in every sentence: at the steps every "
                     "arm trains (equal steps, as the paper's 80,000 for every bioS variant) it sees each person "
                     "81 times where the other arms see 154; its verdict says whether that sufficed"})
"""STORED, for recipes with a +fullname arm, whose longer biographies get fewer exposures at equal steps."""


def slug(arm: str) -> str:
    return arm.replace("+", "_")


def arm_stages(augmentation: str, arm: str | None = None) -> tuple[Stage, ...]:
    """data → pretrain → finetune → evaluate for one augmentation (the arm, unless `arm` names it
    otherwise); roles name the generic stages. Other recipes reuse these stages as they are, so a runs
    folder that has run one recipe has the other's stages cached."""
    s, arm = slug(augmentation), arm or augmentation
    return (
        Stage(f"data_{s}", bios.run, BiosConfig(n_people=500, augmentation=augmentation, mixed=False,
                                                              inverse_tasks=()), version=4, arm=arm, role="data"),
        Stage(f"pretrain_{s}", train.run, TrainConfig(steps=1200, eval_every=0), version=train.VERSION, deps=(f"data_{s}",),
              device_sensitive=True, arm=arm, role="pretrain"),
        Stage(f"finetune_{s}", finetune.run, FinetuneConfig(steps=200, lr=1e-3),
              deps=(f"data_{s}", f"pretrain_{s}"), device_sensitive=True, arm=arm, role="finetune"),
        Stage(f"evaluate_{s}", qa_eval.run, EvalConfig(model="finetune"), version=qa_eval.VERSION,
              deps=(f"data_{s}", f"finetune_{s}"), arm=arm, role="evaluate"),
    )


SMOKE: dict[str, object] = {
    "data.n_people": 40, "pretrain.n_layer": 2, "pretrain.n_embd": 64, "pretrain.batch_size": 16,
    "pretrain.steps": 40, "pretrain.ckpt_every": 20, "pretrain.log_every": 10, "finetune.steps": 20,
    "finetune.batch_size": 16, "finetune.eval_every": 10,
}
"""The `smoke` scale of the pretrain → finetune recipes, by role: every stage runs, in seconds."""
GPU: dict[str, object] = {
    "data.n_people": 10_000, "pretrain.n_layer": 8, "pretrain.n_head": 8, "pretrain.n_embd": 512,
    "pretrain.block_size": 512, "pretrain.batch_size": 96, "pretrain.steps": 20_000, "pretrain.lr": 1e-3,
    "pretrain.ckpt_every": 1000, "pretrain.log_every": 100, "finetune.steps": 5_000, "finetune.batch_size": 48,
    "finetune.ckpt_every": 1000, "finetune.log_every": 100, "finetune.eval_every": 500,
}
"""The `gpu` scale of the pretrain → finetune recipes, by role (a guess, not yet measured)."""
PAPER: dict[str, object] = {
    "data.n_people": 100_000, "pretrain.n_layer": 12, "pretrain.n_head": 12, "pretrain.n_embd": 768,
    "pretrain.block_size": 512, "pretrain.batch_size": 96, "pretrain.steps": 80_000, "pretrain.lr": 1e-3,
    "pretrain.warmup_frac": 0.0125, "pretrain.ckpt_every": 2000, "pretrain.log_every": 200,
    "finetune.steps": 50_000, "finetune.batch_size": 48, "finetune.lr": 3e-4, "finetune.ckpt_every": 2000,
    "finetune.log_every": 200, "finetune.eval_every": 5000,
}
"""The papers' configuration ([3.1 §2.1, App. C]: GPT2-12-12-768, 80k steps × 96 × 512, N = 100k), by role."""
