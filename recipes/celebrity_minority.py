"""Celebrities help minorities — Part 3.1 (arXiv 2309.14316), Result 6.

Setup (as in [3.1 §6]): the N "minority" people have one biography each, written once in a permuted order
(bioS single+permute1, the worst augmentation of Result 3). Arm `with_celebrities`: pretraining also reads
the biographies of extra "celebrity" people in multi5+permute form; QA finetuning uses the celebrities'
questions only, and the minorities are evaluated. Arm `minority_only`: the same minorities alone, QA
finetuned on half of them and evaluated on the other half (the single+permute1 arm of `knowledge_storage`,
whose stages it shares where the scales agree: not at cpu since issue 21, where knowledge_storage draws 6
templates per attribute and this recipe, not yet measured with them, all). The paper: minority QA accuracy 4.4% → 86.8%: learning to store knowledge in an
extractable form on the celebrities carries over to the minorities, whose data alone never teaches it.

Deviations at the `cpu` scale (2 cores): N = 500 minorities, 250 celebrities (the paper: 100k each);
a 4-layer 128-wide GPT2; the celebrity arm pretrains 2,000 steps (≈ 80 passes: every minority biography
is read ≈ 80 times, each celebrity ≈ 400 times over its 5 entries), the minority arm 1,200 steps (≈ 160
passes); 200 full-finetuning steps at lr 1e-3 (the paper: 50,000 at batch 48); word-level tokenizer; greedy
decoding. Celebrities' biographies are 5/7 of the biographies here (250 × 5 entries vs 500), 5/6 in the
paper (equal populations).

Measured at the cpu scale (seed 0, 12 min 48 s on 2 cores): minority P_test QA 0.039 alone, 0.319 with
celebrities; every attribute rose 6–17× (birth date 0.016 → 0.278, company 0.032 → 0.458); both arms fit
their finetuning QA (1.000). Seed 1: 0.034 → 0.213. The direction is the paper's in both seeds, the gain
(0.280 / 0.179) short of the check's 0.3: verdict not reproduced.
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
        "cpu": {},
        "gpu": scale(GPU, 10_000, 40_000),
        "paper": scale(PAPER, 100_000, 80_000),
    },
    paper_numbers={"minorities alone (bioS single+permute1)": "4.4%", "minorities with celebrities (bioS)": "86.8%",
                   "bioR: minorities alone → with celebrities": "10.0% → 76.3%"},
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "≈ 13 min on 2 CPU cores (2 arms)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
)
