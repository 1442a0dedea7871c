"""Retry data — Part 2.2 (arXiv 2408.16293), Results 2–5: pretraining on solutions that contain
retracted mistakes ("Define P as BACK.", P a parameter that cannot be computed next, inserted before a
sentence with probability retry_rate, again with retry_rate, …) makes the model more accurate than
pretraining on error-free solutions, at the same number of training tokens; the higher the rate the better
(up to 0.5); label masking of the mistakes is unnecessary; the model rarely retries at inference and its
solutions stay short.

Arms (`phys.recipes._retry`): r0 (error-free), r05 / r10 / r20 / r50 (retry_rate 0.05 … 0.5), r20m / r50m
(with label masking: no loss on the retracted "Define P as"). Every arm trains on the same problems from
the same initial weights for the same steps × windows; with retries a window holds fewer problems. Each
arm is evaluated (greedy decoding, the checker skips retracted steps) in distribution and at the hardest
out-of-distribution op, with the [BACK] sentences written per problem and the solution length.

Paper (GPT2-12-12, iGSM-med_pq, op = 23): 77.7% error-free → 83.9 / 90.6 / 91.6 / 90.6 / 93.6% at
retry_rate 0.05 / 0.1 / 0.2 / 0.4 / 0.5, 94.8% at 0.5 with masking; med_qp 78.3 → 94.5%.

Deviations at the `cpu` scale (`phys.recipes._retry.CPU`): a smaller iGSM, op ≤ 3 and ip ≤ 5 on a world of
4 names per category (out of distribution at op = 4 and 5); solution letters a, b, c, … in order instead
of random (a small model decoding greedily otherwise reuses its likeliest letter, see igsm_generalization);
the loss on the solution only; a 6-layer 128-wide GPT2 for 1,800 steps × 16 windows of 256 tokens (≈ 7.4M
tokens; the paper 39B); 200 problems per eval set (the paper 4,096: a difference of two accuracies near
0.5 has a standard error of ≈ 0.05 at 200); arms r0, r50, r50m (the others with `--arms`).

Measured on 2 cores (seed 0), 31 min 15 s: **inconclusive**. No arm writes a whole solution right in any
set (0 / 200 in distribution, at op = 3, 4 and 5, for r0, r50 and r50m), so the sanity check fails and
the comparison cannot be judged. Final answers at op = 5: 0.105 / 0.105 / 0.08 (always giving the commonest
answer: 0.215). The retry models did learn the retry format: at op = 5 they write 2.72 (r50) and 2.33
(r50m) "BACK" sentences per problem (in distribution 3.0 and 1.55: masking reduces them, as in the paper's
Result 4), often the same parameter retracted again and again, and their solutions are longer (50.6 and
38.9 tokens against 29.1 in distribution). The error-free model writes the format and copies names, but
not the plan: at op = 5, 66.5% of its solutions compute a parameter before its inputs. Retry data carried
1.35 retries per problem; 35 of 80,000 retry problems were longer than the context and dropped (none
error-free). Seeds 1 and 2 (arms r0, r50; 20 and 22 min): 0 / 200 at op = 5 in both arms again; final
answers at op = 5 are no better with retry data (r0 / r50: 0.130 / 0.115 and 0.120 / 0.105).
"""

from phys.spec import Check, Recipe

from . import _retry

ARMS = ("r0", "r05", "r10", "r20", "r50", "r20m", "r50m")

RECIPE = Recipe(
    name="retry_data",
    part="2.2",
    title="Retry data: pretraining on retracted mistakes",
    claim="At equal training tokens, pretraining on solutions with retracted mistakes (retry_rate 0.5) "
          "solves the hardest out-of-distribution problems better than pretraining on error-free solutions; "
          "masking the mistakes is unnecessary.",
    stages=tuple(stage for arm in ARMS for stage in _retry.arm_stages(arm)),
    checks=(
        Check("retry data (0.5) beats error-free data at the hardest op", "acc_hardest@r50", ">", 0.0,
              baseline="acc_hardest@r0", paper="77.7% → 93.6% (med_pq, op = 23)",
              description="whole-solution accuracy at the hardest op, retry_rate 0.5 minus error-free"),
        Check("label masking is unnecessary", "acc_hardest@r50m", ">=", -0.05, baseline="acc_hardest@r50",
              paper="93.6% → 94.8% with masking (med_pq, op = 23)",
              description="retry_rate 0.5 with masking minus without, at the hardest op (no more than 5 "
                          "points worse)"),
        _retry.LEARNED,
    ),
    scales=_retry.SCALES,
    arms={"smoke": ("r0", "r50m"), "cpu": ("r0", "r50", "r50m"), "gpu": ARMS, "paper": ARMS},
    paper_numbers={
        "med_pq op = 23: error-free / 0.05 / 0.1 / 0.2 / 0.4 / 0.5 / 0.5 + mask":
            "77.7 / 83.9 / 90.6 / 91.6 / 90.6 / 93.6 / 94.8%",
        "med_qp op = 23: error-free / 0.5": "78.3 / 94.5%",
        "[BACK] per problem at inference": "< 0.3 at rate 0.2; 2–4 at rate 0.5 (Result 4)",
    },
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "31 min on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=_retry.LINTS,
)
