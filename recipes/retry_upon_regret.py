"""Retry upon regret — Part 2.2 (arXiv 2408.16293), Results 0–1: a model pretrained on error-free data
"knows" when it made a mistake (a can_next probe on its hidden states detects the step that cannot be
computed yet), and regenerating a sentence when the detector fires improves accuracy, but only a little:
the model has to be lucky to write the right sentence when it samples again.

Stages: the error-free arm r0 of retry_data (data and pretraining, shared cache), then `regret`
(`phys.stages.regret`): it fits the can_next probe, then writes every test solution four ways — greedy;
greedy with regrets judged by the probe (regenerate the sentence by sampling, up to 10 times per
solution); the control that regrets random sentences as often as the probe did (is the gain detection or
only sampling?); and with a perfect detector (the true can_next: the upper bound). It also reports how
often the probe flags the sentences that are truly wrong (recall) and the right ones (false alarms).

Paper (GPT2-12-12, iGSM-med_pq op = 23): 78% greedy → 80% with the probe detector (version1), small gains
at op = 23 / 32 in general; the probe detects the error with > 99% accuracy, and on the first wrong step it
says can_next = false about 60% of the time; beam 16/32 gives no real gain.

Deviations at the `cpu` scale: those of retry_data (`phys.recipes._retry.CPU`); the probe is fitted on
1,000 problems (10 examples each) for 500 steps × 48 (the paper: 100k steps × 256); 200 problems per eval
set: in distribution (op ≤ 3), op = 3 and op = 5.

Measured on 2 cores (seed 0), 13 min 35 s after retry_data: **inconclusive**. The error-free model solves
1 / 200 problems in distribution greedily and none at op = 5. Its hidden states carry no can_next signal
the probe can read: 0.645 test accuracy against 0.631 for all-false; as a detector it flags 94-97% of all
sentences, right or wrong (recall 0.94-0.97, false alarms 0.93-0.95), so regretting with it is regenerating
at random (the random control regrets as often and does as well). Even the perfect detector gains little
(3 / 200 in distribution, 0 at op = 5): resampling a wrong sentence rarely gives a right one.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import igsm, regret
from phys.stages.regret import RegretConfig

from . import _retry

R0 = _retry.arm_stages("r0")[:2]
REGRET_SCALE = {
    "smoke": {"ops": (4,), "items": 4, "max_new_tokens": 48, "probe_problems": 20, "probe_test_problems": 10,
              "probe_steps": 10, "probe_batch_size": 8},
    "cpu": {"ops": (5,), "items": 200, "max_new_tokens": 200, "probe_problems": 1000, "probe_test_problems": 300,
            "probe_steps": 500, "probe_batch_size": 48},
    "gpu": {"ops": (23,), "items": 1024, "probe_problems": 20_000, "probe_test_problems": 2_000,
            "probe_steps": 20_000, "probe_batch_size": 256},
    "paper": {"ops": (23,), "items": 4096, "probe_problems": 200_000, "probe_test_problems": 4_096,
              "probe_steps": 100_000, "probe_batch_size": 256},
}


def scales() -> dict[str, dict[str, object]]:
    """The retry recipes' data and train settings by role (no evaluate stage here), and the regret stage's."""
    return {scale: {**{k: v for k, v in settings.items() if not k.startswith("evaluate.")},
                    **{f"regret.{k}": v for k, v in REGRET_SCALE[scale].items()}}
            for scale, settings in _retry.SCALES.items()}


RECIPE = Recipe(
    name="retry_upon_regret",
    part="2.2",
    title="Retry upon regret: regenerate when a probe detects the mistake",
    claim="Regenerating a solution sentence when a can_next probe flags it as a mistake raises accuracy at the "
          "hardest op a little over greedy decoding; a perfect detector bounds the gain.",
    stages=(*R0, Stage("regret", regret.run, RegretConfig(), version=igsm.EVAL_VERSION, deps=(R0[0].name, R0[1].name),
                       device_sensitive=True)),
    checks=(
        Check("regret with the probe detector beats greedy decoding at the hardest op", "acc_hardest_probe", ">",
              0.0, baseline="acc_hardest_greedy", paper="78% → 80% (med_pq, op = 23)"),
        Check("the gain is detection, not only sampling again", "acc_hardest_probe", ">=", 0.0,
              baseline="acc_hardest_random", paper="regeneration alone (beam 16/32) gives no real gain",
              description="accuracy with the probe's regrets minus regrets at random sentences, as many"),
        Check("the perfect detector bounds the probe's gain", "acc_hardest_perfect", ">=", -0.03,
              baseline="acc_hardest_probe", paper="versionP ≥ version1", role="sanity"),
        Check("the probe detects can_next better than all-false", "probe_can_next", ">=", 0.02,
              baseline="majority_can_next", paper="> 99%", role="sanity"),
        Check("the model learned the task", "acc_id_greedy", ">=", 0.1, paper="≈ 99.9%", role="sanity"),
    ),
    scales=scales(),
    paper_numbers={"med_pq op = 23: greedy / regret (probe)": "78 / 80%",
                   "can_next probe accuracy": "> 99%", "first wrong step flagged": "≈ 60%"},
    estimates={"smoke": "15 s on 2 CPU cores",
               "cpu": "14 min on 2 CPU cores after retry_data", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=_retry.LINTS,
)
