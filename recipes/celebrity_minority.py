"""Celebrities help minorities — Part 3.1 (arXiv 2309.14316), Result 6.

Setup (as in [3.1 §6]): the N "minority" people have one biography each, written once in a permuted order
(bioS single+permute1, the worst augmentation of Result 3). Arm `with_celebrities`: pretraining also reads
the biographies of extra "celebrity" people in multi5+permute form; QA finetuning uses the celebrities'
questions only, and the minorities are evaluated. Arm `minority_only`: the same minorities alone, QA
finetuned on half of them and evaluated on the other half (the single+permute1 arm of `knowledge_storage`,
whose stages it shares where the scales agree). The paper: minority QA accuracy 4.4% → 86.8%: learning to
store knowledge in an extractable form on the celebrities carries over to the minorities, whose data alone
never teaches it.

Deviations at the `cpu` scale (2 cores): N = 500 minorities and 500 celebrities (equal populations as in
the paper, which has 100k each), so celebrities' biographies are 5/6 of the biographies, as the paper's; 6
sentence templates per attribute (issue 21, as knowledge_storage and mixed_training: all 46–52 would leave
≈ 10 people per template); a 4-layer 128-wide GPT2; the celebrity arm pretrains 3,000 steps (≈ 64 passes:
every minority biography is read ≈ 64 times, each celebrity ≈ 320 times over its 5 entries; `phys recipes
check` prints the budget), the minority arm 1,200 steps (≈ 154 passes); 200 full-finetuning steps at lr 1e-3 (the paper: 50,000 at batch 48);
word-level tokenizer; greedy decoding.

Design runs (issue 21; Intel Xeon, 2 cores, fp32, nothing else training; minority P_test QA alone → with
celebrities; the check wants a gain ≥ 0.3, between no effect and the paper's +82 points; wall: the stages'
times summed):

| config (cpu)                                           | seed | alone | with celebrities | gain   | wall     |
|--------------------------------------------------------|------|-------|------------------|--------|----------|
| every template, 250 celebrities, 2,000 steps (before)  | 0    | 0.039 | 0.319            | +0.280 | 12:48    |
| the same                                               | 1    | 0.034 | 0.213            | +0.179 | —        |
| the same                                               | 2    | 0.039 | 0.419            | +0.380 | —        |
| 6 templates, 250 celebrities, 2,000 steps              | 0    | 0.047 | 0.342            | +0.295 | 13:25    |
| … finetune 400 / 100 steps, or lr 3e-4                 | 0    |       | 0.340 / 0.343 / 0.355 |   | 0:40 each |
| 6 templates, 500 celebrities, 3,000 steps (now)        | 0    | 0.047 | 0.646            | +0.599 | 18:35    |

The celebrity finetune's length and rate change nothing; what carries extraction over to the minorities is
how many celebrities pretraining shows (and for how long). At 500 + 500 people the celebrity arm's
pretraining is 12:33 of a seed's ≈ 18.5 min (the minority arm 5:19).

Over seeds as now designed (`phys run recipe celebrity_minority --scale cpu --seeds 3`, Intel Xeon, fp32,
nothing else training; seed 0 cached from the design runs): **reproduced 3/3**, 32:41 for the group (seed 1
16:21, seed 2 16:17; seed 0's stages 18:35 summed).

| seed | minorities alone (≤ 0.3) | with celebrities | gain (≥ 0.3) | verdict    |
|------|--------------------------|------------------|--------------|------------|
| 0    | 0.047                    | 0.646            | +0.599       | reproduced |
| 1    | 0.067                    | 0.670            | +0.603       | reproduced |
| 2    | 0.084                    | 0.604            | +0.520       | reproduced |

Both arms fit their finetuning QA (1.000) in every seed. Seed 0 by attribute, alone → with celebrities:
birth date 0.016 → 0.472, birth city 0.024 → 0.628, university 0.060 → 0.600, major 0.064 → 0.716, company
0.040 → 0.786, company city 0.076 → 0.672.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import bios, finetune, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.finetune import FinetuneConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

from ._bios import GPU, PAPER, SMOKE, arm_stages

ARM = "with_celebrities"
CELEBRITY = (
    Stage("data_celebrities", bios.run,
          BiosConfig(n_people=500, augmentation="single+permute1", mixed=False, inverse_tasks=(), celebrities=250,
                     celebrity_augmentation="multi5+permute"), version=4, arm=ARM, role="data"),
    Stage("pretrain_celebrities", train.run, TrainConfig(steps=2000, eval_every=0), version=train.VERSION,
          deps=("data_celebrities",), device_sensitive=True, arm=ARM, role="pretrain"),
    Stage("finetune_celebrities", finetune.run, FinetuneConfig(steps=200, lr=1e-3),
          deps=("data_celebrities", "pretrain_celebrities"), device_sensitive=True, arm=ARM, role="finetune"),
    Stage("evaluate_celebrities", qa_eval.run, EvalConfig(model="finetune"), version=qa_eval.VERSION,
          deps=("data_celebrities", "finetune_celebrities"), arm=ARM, role="evaluate"),
)


def scale(values: dict[str, object], celebrities: int, celebrity_steps: int) -> dict[str, object]:
    """Both arms as `knowledge_storage` sets its stages (by role); the celebrity arm with `celebrities` extra
    people and `celebrity_steps` of pretraining (a stage's own key wins over its role's)."""
    return values | {"data_celebrities.celebrities": celebrities, "pretrain_celebrities.steps": celebrity_steps}


RECIPE = Recipe(
    name="celebrity_minority",
    part="3.1",
    title="Celebrities help minorities: augmented people teach extraction for the rest",
    claim="Minorities with one biography each become answerable when the pretraining data also holds "
          "augmented 'celebrity' people and QA finetuning uses the celebrities only (4.4% → 86.8%).",
    stages=arm_stages("single+permute1", arm="minority_only") + CELEBRITY,
    checks=(
        Check("celebrities lift minority QA by a wide margin", "forward_test_acc@with_celebrities", ">=", 0.3,
              baseline="forward_test_acc@minority_only", paper="86.8% vs 4.4% (+82.4 points)"),
        Check("minorities alone barely extract", "forward_test_acc@minority_only", "<=", 0.3, paper="4.4%"),
        Check("finetuning fit the celebrities' QA", "forward_train_acc@with_celebrities", ">=", 0.5, paper="≈ 100%",
              role="sanity"),
        Check("finetuning fit P_train's QA (minority only)", "forward_train_acc@minority_only", ">=", 0.5,
              paper="≈ 100%", role="sanity"),
    ),
    scales={
        "smoke": scale(SMOKE, 20, 60),
        "cpu": scale({"data.templates_per_attribute": 6}, 500, 3000),
        "gpu": scale(GPU, 10_000, 40_000),
        "paper": scale(PAPER, 100_000, 80_000),
    },
    paper_numbers={"minorities alone (bioS single+permute1)": "4.4%", "minorities with celebrities (bioS)": "86.8%",
                   "bioR: minorities alone → with celebrities": "10.0% → 76.3%"},
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "≈ 18.5 min per seed on 2 CPU cores (2 arms, Intel Xeon, fp32)",
               "gpu": "not measured yet", "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
)
