"""Mixed training extracts knowledge from single biographies — Part 3.1 (arXiv 2309.14316), Result 1.

Setup (as in [3.1 §2.1]): bioS `single` biographies of N people (one fixed biography each). Arm `mixed`:
one training run on all biographies plus the six forward questions of P_train; arm `pretrain_finetune`:
BIO pretraining on the same biographies, then QA finetuning on the same questions (the `single` arm of
`knowledge_storage`, whose stages it shares, so a runs folder that ran one has the other's cached). Both
arms draw the same people, split and initial weights; exact-match QA on P_test, people whose questions were
never trained. The paper: mixed 86.6% vs pretrain→finetune 9.7%: when QA is in the stream while the
biographies are being memorised, the model learns to store facts in a form QA can extract ("study to pass
the test"); after pretraining alone, it has not.

As the paper (issue 21): every window holds biographies only or questions only (`train.pure_groups`), and
each P_train question is in every pass `QA_REPEATS` = 5 times, so that questions are ≈ 80% of the stream
(QA_r = 0.8). At the `cpu` scale, 6 templates per attribute (`data.templates_per_attribute`, both arms and
knowledge_storage's): with all 46–52 each template serves about 10 of the 500 people (the paper: about
2,000 of 100,000), and the model cannot learn the templates' wording apart from their people.

Deviations at the `cpu` scale (2 cores): N = 500, a 4-layer 128-wide GPT2, 128-token windows, word-level
tokenizer, greedy decoding; the mixed arm trains 2,400 steps (each biography read ≈ 64 times, each question
≈ 300), the pretrain→finetune arm 1,200 + 200 (knowledge_storage's). The claim's level — mixed training
extracts most knowledge (≥ 0.5; the paper 86.6%) — is judged at `gpu` only: at cpu P_test QA levels off
below it (the table: 0.40–0.46 from step 2,400 to 3,800). The gpu plan: N = 10,000, an 8-layer 512-wide
GPT2, the mixed arm 25,000 steps of 96 × 512 tokens (1.23B) and pretrain→finetune 20,000 + 5,000 steps
(0.98B + 0.12B): 2.3B tokens, ≈ 26 min at an assumed 1.5M tokens/s on one H100 (not measured: no GPU was
lent to issue 21's sessions). cpu judges the direction with a margin: mixed
at least 0.2 above pretrain→finetune (no effect: 0; the paper: +0.77), chosen before the final runs, and
pretrain→finetune at most 0.3 (as knowledge_storage's single arm; the paper 9.7%). The arms' budgets differ,
as in the paper (80,000 mixed steps against 80,000 + 50,000): the mixed arm reads each biography ≈ 64 times
and each P_train question ≈ 320, pretrain→finetune each biography ≈ 150 times and then each question ≈ 34
(200 finetune steps of 32 windows over ≈ 190 windows of questions) — a confound of this comparison, which
favours pretrain→finetune on the biographies and mixed training on the questions.

Measured, seed 0, the mixed arm alone (`--arms mixed`), P_test QA:

| config | CPU, precision | wall | P_test QA (in-training probe, 200 questions) | P_test QA (all 1,500) |
|---|---|---|---|---|
| all templates, mixed windows, QA once per pass (≈ 43%), 1,400 steps, old rotary | Intel Xeon, fp32 | 4.7–4.9 min | — | 0.132 / 0.153 / 0.173 (seeds 0-2) |
| 6 templates, the same | AMD EPYC, bf16 (AUDIT.md, loaded machine) | — | — | 0.349 |
| 6 templates, pure windows, QA_r 0.8, 3,800 steps | Intel Xeon, bf16 | 19:21, 613 MB | 0.145, 0.29, 0.285, 0.355, 0.385, 0.44, 0.405, 0.45, 0.44 at steps 400…3,600 | 0.459 |

The cpu scale over seeds (`phys run recipe mixed_training --scale cpu --seeds 3`, Intel Xeon, fp32, nothing
else training): **reproduced 3/3** in 35:27 for the group, 696 MB peak RSS; per seed 14:30 (the
pretrain→finetune arm, 5:59, computed just before by knowledge_storage) / 14:31 / 12:18.

| seed | mixed P_test | pretrain→finetune P_test | gap (≥ 0.2) | P_train, both arms |
|------|--------------|--------------------------|-------------|--------------------|
| 0    | 0.502        | 0.135                    | 0.367       | 1.000              |
| 1    | 0.469        | 0.117                    | 0.351       | 1.000              |
| 2    | 0.569        | 0.125                    | 0.445       | 1.000              |

(The group ran before the check "pretrain→finetune ≤ 0.3" was added; its stored values above pass it in 3/3.
The level check, ≥ 0.5, is not judged at cpu: 2/3 would pass it.)

In the 3,800-step run, by attribute: birth date 0.860, birth city 0.476, university 0.496, major 0.464, company
0.376, company city 0.084 (majority baseline 0.100): falling with the attribute's place in the fixed-order
biography, as the paper's pretrain→finetune picture, less steeply. P_train QA 0.975 at step 400, 1.000 from
step 2,400.
"""

from phys.spec import Check, Lints, Recipe, Stage
from phys.stages import bios, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

from ._bios import GPU, PAPER, SMOKE, arm_stages

LINTS = Lints(min_exposures={"pretrain": 100}, explained={
    "exposures@cpu": "the mixed arm's stream is 80% questions (QA_r = 0.8): in its 2,400 steps each biography is "
                     "read ≈ 64 times; at 3,800 steps (≈ 100) P_test QA had levelled off at 0.40-0.46 from step "
                     "2,400 on (seed 0), so more exposures buy nothing at this scale"})
"""The knowledge recipes' 100-exposure floor (`_bios.STORED`), with the mixed arm's measured exception."""

QA_REPEATS = 5
"""Copies of each P_train question per pass: with pure windows, QA is then ≈ 80% of the stream ([3.1 §2.1]
QA_r = 0.8; N = 500 single bios, 6 templates per attribute: 116k QA tokens to 27k of biographies)."""

MIXED = (
    Stage("data_mixed", bios.run, BiosConfig(n_people=500, augmentation="single", mixed=True, inverse_tasks=(),
                                             qa_repeats=QA_REPEATS), version=4, arm="mixed", role="data"),
    Stage("train_mixed", train.run, TrainConfig(steps=2400, pure_groups=True), version=train.VERSION,
          deps=("data_mixed",), device_sensitive=True, arm="mixed", role="pretrain"),
    Stage("evaluate_mixed", qa_eval.run, EvalConfig(model="pretrain"), version=qa_eval.VERSION,
          deps=("data_mixed", "train_mixed"), arm="mixed", role="evaluate"),
)

def scale(values: dict[str, object], mixed_steps: int) -> dict[str, object]:
    """One scale for both arms, by role: the pretrain→finetune stages as `knowledge_storage` sets them; the
    mixed arm (roles `data`, `pretrain`) the same data and model, trained for `mixed_steps`."""
    return values | {"train_mixed.steps": mixed_steps}


RECIPE = Recipe(
    name="mixed_training",
    part="3.1",
    title="Mixed training: QA in the stream makes single bios extractable",
    claim="With one fixed biography per person, a model trained on biographies and P_train's QA together "
          "answers questions about P_test (86.6%); pretraining on the biographies and then finetuning on the "
          "same QA does not (9.7%).",
    stages=arm_stages("single", arm="pretrain_finetune") + MIXED,
    checks=(
        Check("mixed training beats pretrain→finetune on the same data", "forward_test_acc@mixed", ">=", 0.2,
              baseline="forward_test_acc@pretrain_finetune", paper="86.6% vs 9.7% (+76.9 points)"),
        Check("pretrain→finetune barely extracts", "forward_test_acc@pretrain_finetune", "<=", 0.3, paper="9.7%",
              description="the gap is the paper's only if the finetuned arm stays low"),
        Check("mixed training extracts most knowledge", "forward_test_acc@mixed", ">=", 0.5, paper="86.6%",
              scales=("gpu", "paper"), description="not judged at cpu: there P_test QA levels off below 0.5 "
                                                   "(the recipe's docstring)"),
        Check("mixed training fit P_train's QA", "forward_train_acc@mixed", ">=", 0.5, paper="≈ 100%", role="sanity"),
        Check("finetuning fit P_train's QA", "forward_train_acc@pretrain_finetune", ">=", 0.5, paper="≈ 100%",
              role="sanity"),
    ),
    scales={
        "smoke": scale(SMOKE, 60) | {"train_mixed.eval_every": 20},
        "cpu": {"data.templates_per_attribute": 6},
        "gpu": scale(GPU, 25_000) | {"train_mixed.eval_every": 1000},
        "paper": scale(PAPER, 80_000) | {"train_mixed.eval_every": 4000},
    },
    paper_numbers={"mixed training, bioS single (P_test)": "86.6%", "pretrain→finetune, bioS single": "9.7%",
                   "mixed training, bioR single": "77.7%"},
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "12-15 min per seed on 2 CPU cores (2 arms, Intel Xeon, fp32)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=LINTS,
)
