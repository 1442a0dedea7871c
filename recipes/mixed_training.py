"""Mixed training extracts knowledge from single biographies — Part 3.1 (arXiv 2309.14316), Result 1.

Setup (as in [3.1 §2.1]): bioS `single` biographies of N people (one fixed biography each). Arm `mixed`:
one training run on all biographies plus the six forward questions of P_train; arm `pretrain_finetune`:
BIO pretraining on the same biographies, then QA finetuning on the same questions (the `single` arm of
`knowledge_storage`, whose stages it shares, so a runs folder that ran one has the other's cached). Both
arms draw the same people, split and initial weights, and train the same number of steps; exact-match QA
on P_test, people whose questions were never trained. The paper: mixed 86.6% vs pretrain→finetune 9.7%:
when QA is in the stream while the biographies are being memorised, the model learns to store facts in a
form QA can extract ("study to pass the test"); after pretraining alone, it has not.

Deviations at the `cpu` scale (2 cores): N = 500, a 4-layer 128-wide GPT2, 1,400 steps per arm (mixed:
1,400; pretrain→finetune: 1,200 + 200), 128-token windows, word-level tokenizer, greedy decoding. The
stream shuffles biographies and QA into person-exclusive windows, each question once per pass (QA ≈ 43% of
the tokens), instead of all-BIO / all-QA 512-token sequences at QA_r = 0.8. `../shared/reference/
CPU_SCALE.md` measured mixed training of single bios at this size at 0.21–0.35 on P_test: far below the
paper's 86.6% at N = 100,000 with a 124M model. The recipe keeps the paper's claim as its check and
reports what the cpu scale shows.

Measured at the cpu scale (seeds 0, 1, 2): P_test QA mixed 0.132 / 0.153 / 0.173, pretrain→finetune
0.064 / 0.030 / 0.059; both arms fit P_train's QA perfectly (1.000). Mixed training is ahead in every seed
(+0.068 / +0.123 / +0.113; the check's 0.1 margin holds 2/3) but nowhere near the paper's 86.6%: the
in-training probe shows P_train QA memorised by step ≈ 500 while P_test creeps from 0.03 to 0.14 — with
1,500 questions the model can memorise them instead of learning to extract from the biographies, which at
N = 100,000 it cannot. Verdict: not reproduced. The mixed arm takes 4.7–4.9 min alone on 2 cores, the
pretrain→finetune arm (knowledge_storage's stages) ≈ 5 min, as a same-size arm of celebrity_minority took.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import bios, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

from ._bios import GPU, PAPER, SMOKE, STORED, arm_stages

MIXED = (
    Stage("data_mixed", bios.run, BiosConfig(n_people=500, augmentation="single", mixed=True,
                                                           inverse_tasks=()), version=4, arm="mixed", role="data"),
    Stage("train_mixed", train.run, TrainConfig(steps=1400), version=train.VERSION, deps=("data_mixed",),
          device_sensitive=True, arm="mixed", role="pretrain"),
    Stage("evaluate_mixed", qa_eval.run, EvalConfig(model="pretrain"),
          deps=("data_mixed", "train_mixed"), arm="mixed", role="evaluate"),
)

def scale(values: dict[str, object], mixed_steps: int) -> dict[str, object]:
    """One scale for both arms, by role: the pretrain→finetune stages as `knowledge_storage` sets them; the
    mixed arm (roles `data`, `pretrain`) the same data and model, trained for `mixed_steps` (= pretrain +
    finetune steps)."""
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
        Check("mixed training beats pretrain→finetune on the same data", "forward_test_acc@mixed", ">=", 0.1,
              baseline="forward_test_acc@pretrain_finetune", paper="86.6% vs 9.7% (+76.9 points)"),
        Check("mixed training extracts most knowledge", "forward_test_acc@mixed", ">=", 0.5, paper="86.6%"),
        Check("mixed training fit P_train's QA", "forward_train_acc@mixed", ">=", 0.5, paper="≈ 100%", role="sanity"),
        Check("finetuning fit P_train's QA", "forward_train_acc@pretrain_finetune", ">=", 0.5, paper="≈ 100%",
              role="sanity"),
    ),
    scales={
        "smoke": scale(SMOKE, 60) | {"train_mixed.eval_every": 20},
        "cpu": {},
        "gpu": scale(GPU, 25_000)
        | {"train_mixed.eval_every": 1000, "data_mixed.qa_repeats": 4},
        "paper": scale(PAPER, 80_000)
        | {"train_mixed.eval_every": 4000, "data_mixed.qa_repeats": 4},
    },
    paper_numbers={"mixed training, bioS single (P_test)": "86.6%", "pretrain→finetune, bioS single": "9.7%",
                   "mixed training, bioR single": "77.7%"},
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "≈ 10 min on 2 CPU cores (2 arms)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=STORED,
)
