"""Fake mistakes — Part 2.2 (arXiv 2408.16293), Result 8: retry data that needs no understanding of the
problem. retry_weak ("Define P as BACK." with P a parameter of a *later* solution sentence, inserted after
a sentence) improves accuracy almost as much as real retry data; retry_miss (P a parameter of the problem
not yet used, possibly unnecessary or computable) helps little.

Arms (`phys.recipes._retry`): r0 (error-free), r20 (real mistakes, retry_rate 0.2, retry_data's arm),
weak20 and miss20 (the fake kinds at the same rate). Equal training tokens, the same problems and initial
weights; evaluated in distribution and at the hardest out-of-distribution op.

Paper (iGSM-med, op = 23; community talk notes, consistent with a hand parse of Fig. 8): error-free 78%,
retry_weak 91%, retry_miss 87%; on -hard at op = 32: 84 → 92 (weak) and 87 (miss). The rate of those rows
is not stated; here 0.2 for every kind.

Deviations at the `cpu` scale: those of retry_data (`phys.recipes._retry.CPU`).

Measured on 2 cores (seed 0), 20 min 41 s after retry_data: **inconclusive**. Every arm solves 0 / 200
problems in every set (final answers at op = 5: r0 0.105, weak20 0.11, miss20 0.105). At this scale's
op ≤ 3, retry_weak has almost no place to go: a parameter of a sentence two or more ahead exists only in
3-step solutions, so its data carry 0.022 retries per problem (retry_miss: 0.36); the weak20 model writes
no "BACK" at inference, the miss20 model 0.06 per problem. (Those figures are from the retry_weak of before
issue 22: k + 1 onward, after the first sentence only. Since issue 22 it is the official generator's — any
parameter not yet written, the next one included, at every position — so weak20's data carry more retries;
not measured yet.)
"""

from phys.spec import Check, Recipe

from . import _retry

ARMS = ("r0", "r20", "weak20", "miss20")

RECIPE = Recipe(
    name="retry_fake",
    part="2.2",
    title="Fake mistakes: retry_weak and retry_miss",
    claim="Retry data whose 'mistakes' are parameters of a later sentence (retry_weak) improves accuracy at "
          "the hardest op over error-free data, and more than mistakes drawn from the unused parameters of "
          "the problem (retry_miss).",
    stages=tuple(stage for arm in ARMS for stage in _retry.arm_stages(arm)),
    checks=(
        Check("retry_weak beats error-free data at the hardest op", "acc_hardest@weak20", ">", 0.0,
              baseline="acc_hardest@r0", paper="78% → 91% (med, op = 23)"),
        Check("retry_weak helps more than retry_miss", "acc_hardest@weak20", ">=", 0.0,
              baseline="acc_hardest@miss20", paper="91% vs 87% (med, op = 23)"),
        _retry.LEARNED,
    ),
    scales=_retry.SCALES,
    arms={"smoke": ("r0", "weak20", "miss20"), "cpu": ("r0", "weak20", "miss20")},
    paper_numbers={"med op = 23: error-free / retry_weak / retry_miss": "78 / 91 / 87%",
                   "hard op = 32: error-free / retry_weak / retry_miss": "84 / 92 / 87%"},
    estimates={"smoke": "15 s on 2 CPU cores",
               "cpu": "21 min on 2 CPU cores after retry_data", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=_retry.LINTS,
)
