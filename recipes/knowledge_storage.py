"""Knowledge storage needs augmented data — Part 3.1 (arXiv 2309.14316), Results 2–3.

Setup (as in [3.1 §2.1, §4]): BIO pretraining on the biographies of N people, then full QA finetuning on
the six questions of P_train (half the people); exact-match QA accuracy on P_test, people whose biographies
were pretrained on but none of their questions. One arm per bioS augmentation, all drawing the same people
and the same initial weights (stage seeds derive from the stage's role, not its arm). The paper: single
9.7%, single+permute1 4.4%, single+permute5 70%, multi5 41%, multi5+permute 96.6% — the model extracts
knowledge for unseen people only when pretraining showed each person's facts in varied form.

Deviations at the `cpu` scale (2 cores): N = 350 (`CPU_PEOPLE`, below), a 4-layer 128-wide GPT2, 1,200
pretraining steps (≈ 44 passes over single+permute5's and multi5+permute's five entries a person, ≈ 220 over
single's one; the paper pretrains every arm the same 80,000 steps), 200 finetune steps at lr 1e-3 (the paper:
50,000 at batch 48); three of the six arms (single, single+permute5, multi5+permute); 6 sentence templates
per attribute (issue 21; the paper's pools have 46–52, about 2,000 of its 100,000 people per template, where
all of them would leave about 10 of 500 per template); word-level tokenizer; greedy decoding. `gpu` runs
all six arms with every template (a guess, not yet measured); `paper` is the paper's configuration.

With 6 templates per attribute and N = 500 (seed 0, Intel Xeon, fp32, `--arms single,single+permute5`, 11:42 for the
two arms): single 0.135 (birth date 0.380 — the paper's 33% — birth city 0.136, university 0.092, major
0.068, company 0.064, company city 0.068), single+permute5 0.479: permuting a single biography five times
now gains +0.344 where with every template it gained 0.07–0.14.

Over seeds with 6 templates and N = 500 (`phys run recipe knowledge_storage --scale cpu --seeds 3`, Intel Xeon, fp32,
nothing else training; the single arms computed just before by mixed_training, seed 0's single+permute5 by
the run above): **mixed 2/3** in 26:52 for the group, 677 MB. A seed computed whole takes ≈ 16.5 min (single
5:59, single+permute5 5:17–5:25, multi5+permute 5:02–5:27).

| seed | single | single+permute5 (gain, ≥ 0.1) | multi5+permute (gain, ≥ 0.3) | birth date − best other (> 0) | verdict |
|------|--------|-------------------------------|------------------------------|-------------------------------|---------|
| 0    | 0.135  | 0.479 (+0.344)                | 0.831 (+0.697)               | +0.244                        | reproduced |
| 1    | 0.117  | 0.571 (+0.454)                | 0.867 (+0.749)               | +0.260                        | reproduced |
| 2    | 0.125  | 0.175 (+0.050)                | 0.857 (+0.733)               | +0.320                        | not reproduced |

The headline (multi5+permute far above single), single ≤ 0.3 and birth date first hold 3/3 with wide margins;
single+permute5 gains +0.34 / +0.45 in two seeds and +0.05 in the third: five permutations of one biography
sometimes are and sometimes are not enough at 500 people — not yet a result that survives seeds. The
threshold stays 0.1.

Seed 2's single+permute5 is not the finetune's doing (issue 21; `phys run recipe knowledge_storage --scale cpu
--seed 2 --arms single+permute5 [--set …]`, Intel Xeon, fp32; pretraining 4:27, loss 0.163 at its end, cached
for the variants): P_test QA 0.175 as shipped (200 finetune steps, lr 1e-3; the same figure as the group's, so
the run is deterministic), 0.165 with 400 steps (finetune 1:19), 0.187 with 100 (finetune 0:22), 0.176 at lr
3e-4 (P_train 0.902). Every attribute is 0.12–0.22 (birth date 0.156): this pretrained model has not stored the
facts extractably, where seeds 0 and 1 did at the same 1,200 steps. Pretrained longer, it begins to: with `--set
pretrain.steps=1800` (pretraining 6:05, loss 0.159) P_test QA is 0.287 (birth city 0.212 … company city 0.412),
+0.16 over the group's single 0.125 — but single was not pretrained as long, and the paper pretrains every arm
alike, so this is a lead, not a result. 1,800 steps for all three arms would take a seed ≈ 20–23 min (single
5:59 → ≈ 9, permute5 6:05, multi5+permute ≈ 5:15 → ≈ 8), at or over the 20-minute bound.

N = 350 instead of 500 (issue 21, after the runs above; Intel Xeon, fp32). Seed 2's single+permute5 stored
its facts extractably once it was pretrained on them longer; the paper trains every arm alike, so the cpu scale
now gives every arm more passes in the same steps and wall time by having fewer people: at N = 350, 1,200 steps
are ≈ 44 passes over five entries (at 500, ≈ 31; the 1,800-step lead, ≈ 46). Seed 2 (`--seed 2 --set
data.n_people=350`, 16:07, each arm 5:20, nothing else training) then reproduces: single 0.140, single+permute5
0.503 (+0.363), multi5+permute 0.515 (+0.375), birth date under single 0.549 (+0.457 over the next). The
price is multi5+permute's level: 0.857 at N = 500 falls to 0.515 with fewer people and more passes (every
attribute 0.49–0.54): fewer people to generalise from and more passes over each, the fall knowledge_retrieval
measured at 2,400 steps (0.847 → 0.355; not a claim of the paper). Its check (≥ 0.3 over single) is unchanged.

Over seeds at N = 350 (`phys run recipe knowledge_storage --scale cpu --seeds 3`, Intel Xeon, fp32, nothing else
training; seed 2 cached from the run above): **reproduced 3/3**, the group 30:19 for seeds 0 and 1 (their stages
15:16 / 14:52; seed 2's 16:07 whole; each pretraining 4:07–4:35):

| seed | single (≤ 0.3) | single+permute5 (gain, ≥ 0.1) | multi5+permute (gain, ≥ 0.3) | birth date − best other (> 0) | verdict |
|------|----------------|-------------------------------|------------------------------|-------------------------------|---------|
| 0    | 0.089          | 0.359 (+0.270)                | 0.644 (+0.555)               | +0.223                        | reproduced |
| 1    | 0.135          | 0.480 (+0.345)                | 0.690 (+0.554)               | +0.360                        | reproduced |
| 2    | 0.140          | 0.503 (+0.363)                | 0.515 (+0.375)               | +0.457                        | reproduced |

Every check holds in every seed; the narrowest margin is seed 2's headline, 0.075 over its 0.3. The paper's
ordering multi5+permute (96.6%) > single+permute5 (70%) holds in seeds 0 and 1, not 2 (no check reads it).

Measured with every template, before the rotary floor (seed 0, 15 min 13 s on 2 cores): P_test QA single 0.064, single+permute5 0.181,
multi5+permute 0.839, every arm 1.000 on P_train after finetuning. The direction of Results 2–3 holds, and
under single the first sentence's attribute (birth date, 0.136) is extracted best, as in the paper.
single+permute5 gains far less than the paper's 70%: with one template per attribute and person, five
permutations show the same six sentences again, and at ≈ 30 passes per entry this small model does not
yet turn that into extractable knowledge. Over seeds 0, 1, 2 (`--seeds 3`): multi5+permute minus
single = 0.775 / 0.681 / 0.559 (3/3), single ≤ 0.3 (3/3), single+permute5 minus single = 0.117 / 0.137 /
0.074 (2/3 above 0.1), birth date minus the best other attribute under single = 0.036 / 0.024 / 0.084
(3/3: birth date is the best-extracted attribute in every seed). Verdicts: reproduced, reproduced, not
reproduced (seed 2: the permute5 gain). The birth-date check first compared birth date with the mean over
attributes (margin ≥ 0.05, 2/3); the paper's statement is that birth date is the best attribute, which the
check now tests directly; the seed figures above are those runs' stored metrics judged by it.
"""

from phys.spec import Check, Recipe
from phys.stages.bios import ATTRIBUTES

from ._bios import FULLNAME, GPU, PAPER, SMOKE, arm_stages

ARMS = ("single", "single+permute1", "single+permute5", "multi5", "multi5+permute", "multi5+permute+fullname")
CPU_ARMS = ("single", "single+permute5", "multi5+permute")
CPU_PEOPLE = 350
"""N at the cpu scale: 1,200 pretraining steps are then ≈ 44 passes over the five entries a person of the
augmented arms (at 500, ≈ 31: seed 2's single+permute5 did not store its facts extractably; the docstring's
tables)."""


RECIPE = Recipe(
    name="knowledge_storage",
    part="3.1",
    title="Knowledge storage needs augmentation: pretrain, then finetune QA",
    claim="After BIO pretraining and QA finetuning on half the people, a model answers questions about the "
          "other half only if their biographies were augmented (several varied, permuted entries per person); "
          "with one fixed biography per person it mostly cannot.",
    stages=tuple(stage for arm in ARMS for stage in arm_stages(arm)),
    checks=(
        Check("multi5+permute beats single by a wide margin", "forward_test_acc@multi5+permute", ">=", 0.3,
              baseline="forward_test_acc@single", paper="96.6% vs 9.7% (+86.9 points)"),
        Check("single pretraining barely extracts", "forward_test_acc@single", "<=", 0.3, paper="9.7%"),
        Check("permuting five times helps a single bio", "forward_test_acc@single+permute5", ">=", 0.1,
              baseline="forward_test_acc@single", paper="70% vs 9.7%"),
        Check("under single, birth date (the first sentence) is the best-extracted attribute",
              "forward_test_birth_date@single", ">", 0.0,
              baseline=tuple(f"forward_test_{a}@single" for a in ATTRIBUTES if a != "birth_date"),
              paper="birth date 33%, the other attributes poor"),
        Check("finetuning fit P_train (single)", "forward_train_acc@single", ">=", 0.5, paper="≈ 100%",
              role="sanity", description="QA of P_train learned, so P_test measures extraction"),
        Check("finetuning fit P_train (multi5+permute)", "forward_train_acc@multi5+permute", ">=", 0.5,
              paper="≈ 100%", role="sanity"),
    ),
    arms={"smoke": ("single", "multi5+permute"), "cpu": CPU_ARMS},
    scales={
        "smoke": SMOKE,
        "cpu": {"data.templates_per_attribute": 6, "data.n_people": CPU_PEOPLE},
        "gpu": GPU,
        "paper": PAPER,
    },
    paper_numbers={
        "single": "9.7%", "single+permute1": "4.4%", "single+permute5": "70%", "multi5": "41%",
        "multi5+permute": "96.6%", "single, birth date (first sentence)": "33%",
    },
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "≈ 15–16 min per seed on 2 CPU cores (3 arms, N = 350, Intel Xeon, fp32)",
               "gpu": "not measured yet", "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=FULLNAME,
)
