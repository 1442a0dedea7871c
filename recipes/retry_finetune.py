"""Finetuning with retry data — Part 2.2 (arXiv 2408.16293), Result 7: the skill to retract mistakes
cannot be added cheaply afterwards. LoRA finetuning of a model pretrained on error-free data, on retry
data (retry_rate 0.2), gives no real gain (small ranks even hurt); full finetuning ("continued
pretraining") on the same retry tokens does improve it.

Stages: the error-free arm r0 of retry_data (data, pretraining, evaluation: the baseline), the retry data
of arm r20 (the same problems with retries at 0.2), then four finetunings of the pretrained model with
equal steps — `lora` (adapters on the query / value projections and the input embedding, merged into the
saved model) and `full` (every weight) on the retry data, and the controls `lora_r0` and `full_r0`, the
same on the error-free data (a model trained briefly may gain from more steps alone) — each evaluated like
the arms of retry_data. The checks compare each finetuning on retry data with its control.

Paper (GPT2-12-12, iGSM-med): LoRA qv4e8 … qv256e512 at retry_rate 0.2, ± masking: no significant gain over
the error-free model (≈ 78% at op = 23), worse at small ranks without masking; full continued pretraining
on T retry tokens gains, but is no better than pretraining on 2T retry tokens from the start.

Deviations at the `cpu` scale: those of retry_data (`phys.recipes._retry.CPU`); finetuning runs 450 steps
× 16 windows (a quarter of the pretraining tokens) on the pretraining problems with retries inserted (the
paper: fresh problems); LoRA rank 8 on q/v and 16 on the embedding (the paper's qv8e16), no masking;
finetuning lr 1e-3 for LoRA and full alike (not tuned for LoRA).

Measured on 2 cores (seed 0), 10 min 33 s after retry_data: **inconclusive**. The pretrained model and every
finetuning solve 0 / 200 problems at op = 5 (in distribution: full finetuning on retry data 1 / 200, all
others 0). What shows is the paper's mechanism in small: full finetuning on retry data learns to retract
(0.365 "BACK" per problem at op = 5) and fits the retry data (final loss 0.186), while LoRA never writes
"BACK" and fits it worse (0.295); on error-free data both reach 0.117.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import finetune, igsm
from phys.stages.finetune import FinetuneConfig
from phys.stages.igsm import IgsmEvalConfig

from . import _retry

R0 = _retry.arm_stages("r0")
DATA_RETRY = _retry.arm_stages("r20")[0]
LORA = {"lora_rank": 8, "lora_emb_rank": 16}
# arm -> (the data it finetunes on, LoRA settings): on retry data, and the controls on error-free data (the
# same extra steps without retries: an undertrained model may gain from more training alone)
FT = {"lora": (DATA_RETRY, LORA), "full": (DATA_RETRY, {}), "lora_r0": (R0[0], LORA), "full_r0": (R0[0], {})}
FT_SCALE = {"smoke": {"steps": 10, "batch_size": 8, "ckpt_every": 5, "log_every": 5},
            "cpu": {"steps": 450, "batch_size": 16, "ckpt_every": 150, "log_every": 50},
            "gpu": {"steps": 3_000, "batch_size": 128, "ckpt_every": 1000, "log_every": 100},
            "paper": {"steps": 20_000, "batch_size": 512, "ckpt_every": 2000, "log_every": 100}}


def finetune_stages(arm: str) -> tuple[Stage, ...]:
    data, lora = FT[arm]
    return (
        Stage(f"finetune_{arm}", finetune.run,
              FinetuneConfig(docs="train", model="train", eval_every=0, **lora),
              deps=(data.name, R0[1].name), device_sensitive=True, arm=arm, role="finetune"),
        Stage(f"evaluate_{arm}", igsm.run_eval, IgsmEvalConfig(model="finetune"), version=igsm.EVAL_VERSION,
              deps=(R0[0].name, f"finetune_{arm}"), arm=arm, role="evaluate"),
    )


def scales() -> dict[str, dict[str, object]]:
    """The retry recipes' settings by role (both data stages, every evaluation), and the finetuning's."""
    return {scale: {**settings, **{f"finetune.{k}": v for k, v in FT_SCALE[scale].items()}}
            for scale, settings in _retry.SCALES.items()}


RECIPE = Recipe(
    name="retry_finetune",
    part="2.2",
    title="Retry data in finetuning: LoRA does not add the skill",
    claim="Finetuning an error-free-pretrained model on retry data with LoRA gives no real gain at the hardest "
          "op; full finetuning (continued pretraining) on the same tokens gains more.",
    stages=(*R0, DATA_RETRY, *(stage for arm in FT for stage in finetune_stages(arm))),
    checks=(
        Check("full finetuning on retry data beats the same finetuning on error-free data", "acc_hardest@full",
              ">", 0.0, baseline="acc_hardest@full_r0", paper="continued pretraining on retry data: a gain",
              description="whole-solution accuracy at the hardest op after full finetuning on retry data minus "
                          "after the same steps on error-free data"),
        Check("LoRA on retry data gives no real gain", "acc_hardest@lora", "<=", 0.03,
              baseline="acc_hardest@lora_r0", paper="≈ 78% before and after (med, op = 23)",
              description="accuracy at the hardest op after LoRA on retry data minus LoRA on error-free data "
                          "(at most 3 points)"),
        _retry.LEARNED,
    ),
    scales=scales(),
    paper_numbers={"LoRA qv4e8 … qv256e512 on retry data (0.2)": "no significant gain; small ranks hurt",
                   "full continued pretraining on T retry tokens": "a gain, ≈ pretraining on 2T retry tokens"},
    estimates={"smoke": "15 s on 2 CPU cores",
               "cpu": "11 min on 2 CPU cores after retry_data", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=_retry.LINTS,
)
