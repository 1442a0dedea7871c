"""Knowledge manipulation needs chain of thought — Part 3.2 (arXiv 2309.14402), Results 3–4.

Setup (as in [3.2 §4]): a model pretrained on bioS multi5+permute biographies and finetuned to extract birth
dates and majors (M′, below), then finetuned on classification and comparison questions about P_train and
evaluated on P_test two ways: answering directly ("… Answer: No.") and with chain of thought, where the control word `Hint:`
makes it first write the attributes the answer is computed from ("… Hint: October; September. No."). The
tasks: birth-month parity and mod 6, major luckiness mod 20 (a major's 0-based line in the pool), "was A
born in a later month than B" and "A's birth month minus B's". Arms, all finetuned from the same pretrained
model: `nocot` (direct answers only), `cot` (half the training questions carry their hint), and
`nocot_quarter` (direct, a quarter of the samples: accuracy against the number of training samples; run at
`gpu` and `paper`: no check reads it, and at cpu its ≈ 5 minutes would push a seed past 20).

The paper: without CoT, manipulation needs very many samples (month parity 75% at 10k samples; ranking
months 85% at 50k; ranking majors barely above chance at 2.5M); hints in training do not help direct
answers; with CoT at test accuracy follows the hint's (month subtraction 61.5% vs 8.3% chance). The
verdict rests on the tasks where the paper's gap is largest (month subtraction, month comparison,
luckiness mod 20); parity is reported as measured — at small scale it can be partly learnable without CoT
(`CPU_SCALE.md`: 0.65–0.86).

Extraction before classification (issue 21). The paper starts from models that extract birth month ≈ 100%
and major 98%: M (BIO-pretrained) or M′ (M LoRA-finetuned on the six extraction questions; Result 5: little
difference). Here the `extract` stage makes M′ — full finetuning of the pretrained model on P_train's
birth-date and major questions, the two attributes the tasks are computed from (the paper: all six, LoRA) —
and every arm's classification finetune starts from it. Before, the arms started from M and the finetune
held no forward QA: birth months came only from the hinted half of the training questions, and both months
of a pair were right 0.10–0.25 of the time (seeds 0–2), capping every comparison.

Deviations at the `cpu` scale (2 cores): N = 500 (P_train 250: 250 samples per person task, 4,000 pairs
per comparison task; the paper: 2.5k–50k), a 4-layer 128-wide GPT2 pretrained 1,200 steps, 200 full-
finetuning steps of extraction at lr 1e-3, then full finetuning for 1,400 steps at lr 1e-3 with the
pretraining biographies replayed alongside the classification questions (`finetune.replay`, below; the
paper: LoRA q/v 16 + embedding 128, lr 1e-3, 50,000 steps, no replay — used by the `gpu` and `paper`
scales); 300 people / pairs per half evaluated; word-level tokenizer; greedy decoding.

Why the replay (issue 21; seed 0, Intel Xeon, fp32, N = 1,000 and 2,000 pretraining steps as designed then, the
`cot` arm alone from the same M′, `--arms cot`;
P_test). M′ itself extracts P_test's birth month 0.817 (the date's first word; the whole date 0.730) and
major 0.887. A full finetune on classification questions about P_train alone forgets P_test's stored facts:
the months the model writes in its hint fall to ≈ 0.47. LoRA, which keeps them in the paper, learns nothing
in the steps 2 cores allow. Replaying the biographies every person was pretrained on keeps the facts; it
needs twice the steps to learn the tasks beside them.

| cot arm's finetune (from M′)                | hint: month | both months | major | subtraction CoT / direct | later CoT / direct | luck mod 20 CoT / direct | CoT train acc (classify, compare) |
|---------------------------------------------|-------------|-------------|-------|--------------------------|--------------------|--------------------------|-----------------------------------|
| full, lr 1e-3, 400 steps (the first design) | 0.467       | 0.163       | 0.547 | 0.153 / 0.073            | 0.657 / 0.617      | 0.490 / 0.040            | 0.939, 0.942                      |
| full, lr 3e-4, 400 steps                    | 0.603       | 0.290       | 0.540 | 0.133 / 0.077            | 0.710 / 0.580      | 0.250 / 0.060            | 0.706, 0.653                      |
| full, 400 steps, replay the extraction QA   | 0.500       | 0.180       | 0.617 | 0.170 / 0.070            | 0.627 / 0.637      | 0.557 / 0.057            | 0.979, 0.932                      |
| LoRA q/v 16 + emb 128, lr 1e-3, 400 steps   | 0.467       | 0.000       | 0.003 | 0.000 / 0.033            | 0.000 / 0.000      | 0.030 / 0.003            | 0.018, 0.000                      |
| LoRA, lr 3e-3, 400 steps                    | 0.623       | 0.143       | 0.327 | 0.037 / 0.080            | 0.000 / 0.000      | 0.077 / 0.067            | 0.083, 0.018                      |
| LoRA, lr 1e-2, 400 steps                    | 0.520       | 0.177       | 0.397 | 0.083 / 0.083            | 0.000 / 0.000      | 0.137 / 0.050            | 0.350, 0.090                      |
| full, 400 steps, replay the biographies     | 0.873       | 0.510       | 0.663 | 0.083 / 0.060            | 0.727 / 0.563      | 0.107 / 0.050            | 0.558, 0.525                      |
| full, 800 steps, replay the biographies     | 0.887       | 0.490       | 0.787 | 0.247 / 0.070            | 0.820 / 0.630      | 0.290 / 0.053            | 0.831, 0.738                      |

(hint: month = the month written in month mod 6's hint; both months = month subtraction's hint right for
both people; major = luckiness's hint.) The first design ran whole in 13 min 41 s (pretrain 8:26, extract
0:43, each arm 1:20–1:32); the cot arm with replay at 800 steps took 3:15. Seed 0 with every arm at 800
steps and replay (7:19 with pretrain and extract cached; the arms 3:26–3:36): not reproduced — month
subtraction CoT 0.247 vs direct 0.070 (+0.177, the check wants 0.2), later month +0.190, luckiness +0.237,
hints in training −0.013, both months hinted 0.490, majors 0.787: every other check passes. The subtraction
is computed from a right hint half the time (the CoT training accuracy of the comparisons is still rising,
0.738), so the design trains 1,000 steps, on the two arms the checks read. The thresholds are those set
before these runs.

With N = 1,000, 2,000 pretraining steps and arms of 1,000 steps (the design before N = 500, below): seed 0
(`phys run recipe knowledge_classification --scale cpu`, 9:02 with pretrain and extract
cached, the arms 4:08 / 4:34; a whole seed ≈ 18 min): **not reproduced** — month subtraction CoT 0.273 vs
direct 0.087 (+0.187, the check wants 0.2), later month 0.827 vs 0.613 (+0.213), luckiness mod 20 0.383 vs
0.077 (+0.307), hints in training +0.010 (≤ 0.1), both months hinted 0.480, majors 0.800. One check short,
by 0.013. Seed 1 (`--seed 1`, whole: 18:32, pretrain 8:40, extract 0:48, the arms 4:16 / 4:29): **inconclusive** —
its hints name both months 0.247 (the sanity check wants 0.3; one month 0.570, majors 0.630): subtraction CoT
0.177 vs direct 0.047 (+0.130), later month +0.190, luckiness +0.287, hints in training −0.053. The
extraction of P_test's months varies with the seed as much as the manipulation.

N = 500 (issue 21). Half the people shorten the pretraining (1,200 steps, ≈ 30 passes over the five entries,
as knowledge_storage's multi5+permute at N = 500, which extracts 0.83–0.87 there: 4:29 instead of 8:26), and
the time saved gives each arm 1,400 steps. Seed 1, the inconclusive one (`--seed 1 --set data.n_people=500 --set
pretrain.steps=1200 --set finetune.steps=1400`, 15:23 whole: pretrain 4:29, extract 0:43, the arms 5:02 /
4:55): **reproduced** — month subtraction CoT 0.463 vs direct 0.057 (+0.407), later month 0.803 vs 0.593
(+0.210), luckiness mod 20 0.428 vs 0.076 (+0.352), hints in training +0.017, both months hinted 0.593 (was
0.247), majors 0.888. The thresholds are those set before any of these runs.

Over seeds with N = 500 (`phys run recipe knowledge_classification --scale cpu --seeds 3`, Intel Xeon, fp32,
nothing else training; seed 1 cached from the run above): **reproduced 3/3**, the group 33:15 for seeds 0 and 2
(their stages 16:22 / 16:45; seed 1 15:23 whole). P_test, the `cot` arm, CoT at test vs a direct answer:

| seed | subtraction (≥ +0.2)  | later month (≥ +0.15) | luck mod 20 (≥ +0.15) | hints in training (≤ 0.1) | both months hinted (≥ 0.3) | majors hinted (≥ 0.3) |
|------|-----------------------|-----------------------|-----------------------|---------------------------|----------------------------|-----------------------|
| 0    | 0.407 / 0.067 (+0.340) | 0.800 / 0.610 (+0.190) | 0.340 / 0.040 (+0.300) | +0.020                  | 0.573                      | 0.916                 |
| 1    | 0.463 / 0.057 (+0.407) | 0.803 / 0.593 (+0.210) | 0.428 / 0.076 (+0.352) | +0.017                  | 0.593                      | 0.888                 |
| 2    | 0.430 / 0.060 (+0.370) | 0.697 / 0.547 (+0.150) | 0.312 / 0.048 (+0.264) | −0.027                  | 0.493                      | 0.688                 |

Every check holds in every seed; the narrowest is seed 2's later month, at its threshold (+0.150). The
paper's subtraction: 61.5% with CoT (hint 78.1%) vs ≈ chance (8.3%) direct; here 0.41–0.46 with hints 0.49–0.59
vs 0.06–0.07 direct.

Measured before the extraction stage and the rotary floor (seed 0, 11 min 44 s on 2 cores), P_test, the
`cot` arm with CoT at test vs a direct answer: luckiness mod 20 0.417 vs 0.080 (chance 0.05), month mod 6 0.563 vs 0.303, parity 0.737 vs
0.620, later month 0.663 vs 0.587, month subtraction 0.147 vs 0.050. Direct answers after training with
hints are no better than after training without them (subtraction 0.050 vs 0.120; `nocot`: parity 0.510,
mod 6 0.207, luck mod 20 0.063, later 0.560), and a quarter of the samples changes little (the direct
answers are near chance with either count). The generated hint is right for one birth month about half the
time (0.51) and for both months of a pair 0.247, under the sanity check's 0.3: extraction from this
pretrained model is the bottleneck of the comparisons, so the verdict is inconclusive.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import bios, finetune, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.finetune import FinetuneConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

from ._bios import STORED

TASKS = ("month_parity", "month_mod6", "luck_mod20", "month_later", "month_diff")
EXTRACTED = ("birth_date", "major")
"""The attributes the tasks are computed from: the extraction finetune teaches the model to write them."""
ARMS = {"nocot": FinetuneConfig(steps=1400, lr=1e-3, model="extract", replay="train"),
        "cot": FinetuneConfig(steps=1400, lr=1e-3, docs="finetune_cot", model="extract", replay="train"),
        "nocot_quarter": FinetuneConfig(steps=1400, lr=1e-3, samples=2_188, model="extract", replay="train")}
"""The classification finetunes, from M′. At cpu (full finetuning) each replays the pretraining biographies
(`replay="train"`), without which it forgets P_test's facts (the docstring's table); the LoRA of the gpu and
paper scales keeps them as the paper's does, and replays nothing. nocot_quarter's 2,188 samples are a quarter
of the 8,750 questions N = 500 gives (250 P_train people × 3 person tasks + 2 × 4,000 pairs)."""

SHARED = (
    Stage("data", bios.run, BiosConfig(n_people=500, augmentation="multi5+permute", mixed=False,
                                                     qa_attributes=(), inverse_tasks=(), tasks=TASKS,
                                                     compare_pairs=4000, cot_rate=0.5, max_eval_people=300,
                                                     extraction=EXTRACTED),
          version=4),
    Stage("pretrain", train.run, TrainConfig(steps=1200, eval_every=0), version=train.VERSION, deps=("data",),
          device_sensitive=True),
    Stage("extract", finetune.run, FinetuneConfig(steps=200, lr=1e-3, docs="extract"), deps=("data", "pretrain"),
          device_sensitive=True),
)
"""data → pretrain (model M) → extract (M′: M finetuned on P_train's birth-date and major QA, [3.2 §4]), which
every arm's classification finetune starts from."""


def arm_stages(arm: str, config: FinetuneConfig) -> tuple[Stage, ...]:
    return (
        Stage(f"finetune_{arm}", finetune.run, config, deps=("data", "extract"), device_sensitive=True,
              arm=arm, role="finetune"),
        Stage(f"evaluate_{arm}", qa_eval.run, EvalConfig(model="finetune", max_new_tokens=12), version=qa_eval.VERSION,
              deps=("data", f"finetune_{arm}"), arm=arm, role="evaluate"),
    )


def extract(**fields: object) -> dict[str, object]:
    """The extraction finetune at a GPU scale: LoRA as the paper's M′ (q/v rank 8, embedding rank 128, lr 3e-4,
    batch 48), with these fields."""
    return {f"extract.{k}": v for k, v in {"lora_rank": 8, "lora_emb_rank": 128, "lr": 3e-4, "batch_size": 48,
                                           "weight_decay": 0.01, **fields}.items()}


_LORA = {"finetune.lora_rank": 16, "finetune.lora_emb_rank": 128, "finetune.lr": 1e-3, "finetune.weight_decay": 0.01,
         "finetune.replay": ""}

RECIPE = Recipe(
    name="knowledge_classification",
    part="3.2",
    title="Manipulating knowledge needs chain of thought",
    claim="A model that extracts birth months and majors cannot classify or compare them in one step (month "
          "subtraction, later-month, luckiness mod 20), even after training with hints; writing the "
          "attributes first (CoT) makes it work.",
    stages=SHARED + tuple(stage for arm, config in ARMS.items() for stage in arm_stages(arm, config)),
    checks=(
        Check("month subtraction: CoT at test beats a direct answer", "compare_cot_test_month_diff@cot", ">=", 0.2,
              baseline="compare_test_month_diff@cot", paper="61.5% vs ≈ chance (8.3%)"),
        Check("later month: CoT at test beats a direct answer", "compare_cot_test_month_later@cot", ">=", 0.15,
              baseline="compare_test_month_later@cot", paper="ranking months needs 50k samples for 85% without CoT"),
        Check("luckiness mod 20: CoT at test beats a direct answer", "classify_cot_test_luck_mod20@cot", ">=", 0.15,
              baseline="classify_test_luck_mod20@cot", paper="majors: barely above chance without CoT"),
        Check("hints in training do not help direct answers (month subtraction)", "compare_test_month_diff@cot",
              "<=", 0.1, baseline="compare_test_month_diff@nocot", paper="no gain (Result 4)"),
        Check("the hint is extracted: birth months with CoT (P_test)", "compare_cot_test_month_diff_hint@cot", ">=",
              0.3, paper="78.1% (month subtraction hint)", role="sanity",
              description="CoT can only work where the model extracts the attributes"),
        Check("the hint is extracted: majors with CoT (P_test)", "classify_cot_test_luck_mod20_hint@cot", ">=", 0.3,
              paper="majors extracted 98% (M, M′)", role="sanity",
              description="luckiness needs the major written right first"),
    ),
    arms={"cpu": ("nocot", "cot")},
    scales={
        "smoke": {"data.n_people": 60, "data.compare_pairs": 200, "data.max_eval_people": 30,
                  "pretrain.n_layer": 2, "pretrain.n_embd": 64, "pretrain.batch_size": 16,
                  "pretrain.steps": 40, "pretrain.ckpt_every": 20, "pretrain.log_every": 10,
                  "finetune.steps": 20, "finetune.batch_size": 16, "finetune.eval_every": 10,
                  "extract.steps": 20, "extract.batch_size": 16, "extract.eval_every": 10}
        | {"finetune_nocot_quarter.samples": 150},
        "cpu": {},
        "gpu": {"data.n_people": 20_000, "data.compare_pairs": 50_000, "data.max_eval_people": 1000,
                "pretrain.n_layer": 8, "pretrain.n_head": 8, "pretrain.n_embd": 512,
                "pretrain.block_size": 512, "pretrain.batch_size": 96, "pretrain.steps": 30_000,
                "pretrain.lr": 1e-3, "pretrain.ckpt_every": 1000, "pretrain.log_every": 100,
                "finetune.steps": 10_000, "finetune.batch_size": 48, "finetune.ckpt_every": 1000,
                "finetune.log_every": 100, "finetune.eval_every": 1000, **_LORA}
        | extract(steps=5_000, ckpt_every=1000, log_every=100, eval_every=1000)
        | {"finetune_nocot_quarter.samples": 32_500},
        "paper": {"data.n_people": 100_000, "data.compare_pairs": 50_000, "data.max_eval_people": 1000,
                  "pretrain.n_layer": 12, "pretrain.n_head": 12, "pretrain.n_embd": 768,
                  "pretrain.block_size": 512, "pretrain.batch_size": 96, "pretrain.steps": 80_000,
                  "pretrain.lr": 1e-3, "pretrain.warmup_frac": 0.0125, "pretrain.ckpt_every": 2000,
                  "pretrain.log_every": 200, "finetune.steps": 50_000, "finetune.batch_size": 48,
                  "finetune.ckpt_every": 2000, "finetune.log_every": 200, "finetune.eval_every": 5000,
                  **_LORA}
        | extract(steps=50_000, ckpt_every=2000, log_every=200, eval_every=5000)
        | {"finetune_nocot_quarter.samples": 62_500},
    },
    paper_numbers={"month parity, no CoT, 10k samples": "75%", "month ranking, no CoT, 50k samples": "85%",
                   "month subtraction with CoT (hint 78.1%)": "61.5% (chance 8.3%)",
                   "month parity with CoT (hint 91.0%)": "94.2%", "major ranking, no CoT, 2.5M samples": "≈ chance"},
    estimates={"smoke": "25 s on 2 CPU cores", "cpu": "≈ 15.5 min per seed on 2 CPU cores (Intel Xeon, fp32; seed 1: 15:23)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=STORED,
)
