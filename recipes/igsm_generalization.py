"""iGSM generalization — Part 2.1 (arXiv 2407.20311), Results 2–3: a GPT2 pretrained on synthetic
grade-school math with op ≤ max_op solves unseen problems (test-bin solution templates) nearly perfectly,
generalizes to longer reasoning (op > max_op, and reask: the same problem asked about another parameter),
and writes shortest solutions: almost no unnecessary parameters ("level-1" reasoning).

Data: the iGSM generator of `phys.science.igsm` (IGSM.md), problem sentences fully shuffled, question after the
problem (pq), solutions in the paper's "Define … as X; …; so X = …" format, arithmetic mod 23. Templates
whose hash mod 23 is below 17 train, the rest test (the paper's boundary; the released code uses 16).
Accuracy is whole-solution: the checker verifies every step (defined before use, exactly the true
dependencies, every substitution and operation, each parameter's value) and the answer.

Paper (GPT2-12-12, iGSM-med_pq: op ≤ 15, ip ≤ 20, 100k steps × 512 × 768 tokens): 99.9% at op ≤ 15,
99.1% at op = 15, 92.0 / 88.4 / 84.5 / 77.7% at op = 20 / 21 / 22 / 23, reask 91.6%; iGSM-hard_pq
(`--set data.max_op=21 --set data.max_edge=28 --set data.block_size=1024 --set evaluate.ops=28,29,30,31,32`
and 200k steps × 256 at wd 0.03): 84.0% at op = 32.

Deviations at the `cpu` scale: op ≤ 4 and ip ≤ 6 instead of 15 and 20 (out of distribution at op = 5, 6
and reask of op = 4); one sub-category of 10 names per category (160 names) instead of 5 × 20; 100,000
problems, 256-token contexts; a 6-layer, 128-wide GPT2 (1.2M non-embedding parameters, the paper 85M)
trained 1,500 steps × 32 windows ≈ 12M tokens (the paper: 39B); 200 problems per eval set (the paper
4,096); greedy decoding; phys's word-level tokens (each word of a name one token).

Measured on 2 cores (seed 0), the whole run in 20 min 38 s: **inconclusive**. No solution is entirely
right in any set (0 / 200 in distribution, at op = 4, 5, 6 and on reask; the random-init model: 0 too).
Final answers are right 12% of the time in distribution, where always answering 0 scores 48.5% (every
op = 1 test template asks the total of an item with no children), and 14-22% at op = 4-6 against 19-31%
for the commonest answer. The model learned the solution format but not the reasoning: in distribution,
39% of solutions define a parameter that does not exist (names not copied right), 27.5% compute a
parameter before its inputs, 15% reuse a letter (greedy decoding picks the same most likely letter
again), 12% get a value wrong and 4.5% define a parameter twice. Also tried, all 0.000 whole-solution
accuracy: op ≤ 6, ip ≤ 10 with the full world (60k problems, 320-token contexts, 1,000 × 32 windows,
20 min); the loss on the solution only with 3,000 × 16 windows (15 min of training). Beyond the budget,
the loss on the solution only with 7,000 × 16 windows (37 min) still solves nothing, but copies names
(nonexistent parameters 39% → 6%) and writes op = 1 steps right; it then fails on letters: 56% of its
solutions reuse a letter under greedy decoding (the next thing this scale has to learn is to avoid the
letters already used). Twelve million tokens are ~3,000 times fewer than the paper's; the CPU budget
does not show this finding.

Issue 22: the evaluation at small op. `evaluate.per_op` draws, per op k ≤ max_op, problems of training-bin
templates that no training problem equals (problem and question), each set scored against its own commonest
answer; the paper's `id` set (test-bin templates) is scored only where it has `evaluate.min_templates`
effective templates (1 / Σ share²): at op ≤ 3 it has 3.7–4.3, so the unseen-template claim (`acc_id ≥ 0.8`)
is judged at gpu and paper only. The cpu checks, chosen before the final runs: the worst op's accuracy ≥ 0.6
(a clear majority: 0.5 is a bare one, and 0.6 is 2.8 standard errors above it at 200 problems; no training
scores 0 and the commonest answers 0.08–0.31 in the runs below), op = max_op + 1 above the random-init model by 0.05 (10 of
200 problems; a model that has not learned scores 0 there), the answers at the worst op 0.05 above that
set's commonest answer (sanity).

Experiments towards a cpu scale (AMD EPYC, avx512_bf16, bf16, 2 threads; all with
`data.max_op=3 data.max_edge=5 data.items=4 data.op_mix=uniform data.letters=ordered data.loss=solution
evaluate.ops=4`, per_op 100 in the first row, 200 after; 24.6M tokens: 3,000 steps × 32 × 256 unless said):

| run | other settings | wall (train) | id_op1 / 2 / 3 (commonest answer) | op3 test-bin | op4 (OOD) | what fails |
|---|---|---|---|---|---|---|
| A, seed 0 | 100k problems (2.1 epochs), 4 heads | 23:10 (22:20) | 0.52 / 0.57 / 0.36 (0.09 / 0.15 / 0.24) | 0.13 | 0.00 | values copied from another sentence (op1 32%); op4 skips steps (70%) |
| B, seed 0 | 300k problems (0.76 epoch), 2 heads of 64 | 20:59 (18:56) | **0.70 / 0.60** / 0.34 (0.08 / 0.12 / 0.21) | 0.02 | 0.00 | arithmetic mod 23: 227 of 283 additions written in id_op2 / id_op3 / op3 wrong, 94 of 144 products; copies right (179 of 185 op1) |
| B, seed 1 | B | 21:12 (19:06) | 0.49 / 0.46 / 0.27 (0.09 / 0.20 / 0.13) | 0.06 | 0.00 | copies from a wrong sentence (op1 36%) and arithmetic (227 of 300 additions wrong) |
| C, seed 0 | B + `data.mod=7` | 20:10 (18:09) | 0.28 / 0.32 / 0.32 (0.20 / 0.25 / 0.31) | 0.09 | 0.00 | arithmetic right (3 of 450 operations in all sets wrong); copies from a wrong sentence (op1 35%) |
| D, seed 0 | B + `data.mod=11` | 20:42 (18:41) | 0.32 / 0.36 / 0.30 (0.12 / 0.19 / 0.20) | 0.09 | 0.00 | arithmetic right (2 of 429 wrong); copies from a wrong sentence (86 of 184 op1, any position) |
| E, seed 0 | D + batch 16 × 6,000 steps (same tokens, twice the updates) | 20:17 (19:55; data cached from D) | **0.76 / 0.79** / 0.50 (0.12 / 0.19 / 0.20) | 0.15 | 0.00 | copies right (wrong values 5% at op1); op3 skipped steps 0.20, wrong dependencies 0.14; op4 never written in 4 steps (0 of 200) |
| F, seed 0 | D + batch 8 × 12,000 steps (four times the updates) | 23:00 (22:37; data cached) | **0.81 / 0.80 / 0.61** (0.12 / 0.19 / 0.20) | 0.11 | 0.00 | op3 skipped steps 0.12, wrong dependencies 0.13, wrong values 0.10; op4 never in 4 steps (145 of 200 in 3) |

Reading: the cpu model has two skills to learn besides the format, finding a sentence by its two
multi-token names and the arithmetic table, and 24.6M tokens are at the edge of both. The table mod 23 (1,035
facts of + and ×) is not learned in either seed; mod 7 or 11 it is learned in every run. Finding the sentence is learned in B seed 0 and not in B seed 1 (same settings): a
transition that one seed crosses in this budget and another does not, so C and D's failures to find it need
not be the modulus's. Twice the updates at the same tokens (E: batch 16) learned it where D (same seed,
same data, batch 32) did not, and lifted op = 1 / 2 to 0.76 / 0.79; four times (F: batch 8) gave 0.81 / 0.80 / 0.61, the first run above
0.6 at every op (one seed; 1.6 min more with its data drawn). At op = 4 every
run writes at most three steps (skipped steps 60–81%; E and F wrote 4 steps in none of 200, where 160 need 4): the length of the training solutions bounds what it writes. The cpu scale as
shipped is still the one of the paragraphs above (before issue 22) until these experiments choose one.

The `gpu` and `paper` scales use iGSM-med (op ≤ 15, ip ≤ 20, 768-token contexts) and the paper's
optimizer (lr 0.002, wd 0.05, β2 0.98, 1% warmup, cosine to 0.01×). Deviation: their problems are drawn
once by the data stage (2M and 20M, `data.workers` processes; ≈ 0.6B and 6B tokens stored as int32) and
repeated over epochs, where the paper draws fresh problems for every batch (39B tokens); the official
rejection procedure draws ≈ 140 problems/s per core at these settings (`benchmarks/igsm_generator.py`).
Neither scale has been run.
"""

from phys.spec import Check, Recipe

from ._igsm import DATA, EVALUATE, LINTS, SCALES, TRAIN

PER_OP = {"smoke": {"evaluate.per_op": 4},
          "cpu": {"evaluate.per_op": 200, "evaluate.min_templates": 10},
          "gpu": {"evaluate.per_op": 256, "evaluate.min_templates": 10},
          "paper": {"evaluate.per_op": 1024, "evaluate.min_templates": 10}}
"""The in-distribution sets per op (and the template gate of `id` / `reask`) of this recipe's checks."""

RECIPE = Recipe(
    name="igsm_generalization",
    part="2.1",
    title="iGSM: solving unseen math problems, and longer ones",
    claim="A GPT2 pretrained on iGSM problems with op ≤ max_op solves unseen problems almost always, "
          "generalizes out of distribution to op > max_op, and writes almost no unnecessary steps.",
    stages=(DATA, TRAIN, EVALUATE),
    checks=(
        Check("in distribution, at every op: unseen problems are solved", "acc_id_worst", ">=", 0.6,
              paper="99.9% at op ≤ 15, 99.1% at op = 15 (iGSM-med_pq)",
              description="whole-solution accuracy at the worst op k ≤ max_op, on problems of training-bin "
                          "templates that no training problem equals (evaluate.per_op)"),
        Check("in distribution: problems of unseen templates are solved", "acc_id", ">=", 0.8,
              paper="99.9% (iGSM-med_pq, op ≤ 15)", scales=("gpu", "paper"),
              description="whole-solution accuracy on test-bin templates of the training distribution (at op ≤ 4 "
                          "that set has a few templates, below evaluate.min_templates: judged at gpu)"),
        Check("out of distribution: the hardest op beats the untrained model", "acc_hardest", ">", 0.05,
              paper="77.7% at op = 23 (med), 84.0% at op = 32 (hard)", baseline="acc_hardest_random",
              description="accuracy at the largest op evaluated, minus the same model at random init"),
        Check("level-1 reasoning: almost no unnecessary parameters", "unnecessary_id_ops", "<=", 0.1,
              paper="≈ 0 in distribution; ≈ 0.5 per solution on reask at op = 32",
              description="mean number of unnecessary parameters per correct in-distribution solution"),
        Check("the model learned to answer, at every op", "answer_gap_id_worst", ">=", 0.05, paper="≈ 100%",
              role="sanity",
              description="final-answer accuracy at the worst op k ≤ max_op minus always giving that set's "
                          "commonest answer"),
    ),
    scales={scale: {**settings, **PER_OP[scale]} for scale, settings in SCALES.items()},
    paper_numbers={
        "iGSM-med_pq, op ≤ 15 / op = 15": "99.9% / 99.1%",
        "iGSM-med_pq, op = 20 / 21 / 22 / 23": "92.0 / 88.4 / 84.5 / 77.7%",
        "iGSM-med_pq, reask": "91.6%",
        "iGSM-hard_pq, op = 28 / 32": "94.9% / 84.0%",
        "unnecessary parameters per solution, reask op = 32": "≈ 0.5",
    },
    estimates={"smoke": "10 s on 2 CPU cores", "cpu": "21 min on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=LINTS,
)
