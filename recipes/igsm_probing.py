"""iGSM V-probing — Part 2.1 (arXiv 2407.20311), Results 4–6: before writing a solution the model already
knows which parameters are necessary (nece), which depends on which, for every pair (dep: "level-2"
reasoning, computed before the question is even read), and, during the solution, which parameters are
known, their values, and which can be computed next (can_next, nece_next).

V-probing freezes the model, truncates a problem at a probe position, appends `<start> A <end>` (dep:
`<start> A <mid> B <end>`), and trains a rank-8 update of the input embedding plus a linear head at
`<end>` (`phys.stages.vprobe`). Examples are of unseen problems: the probe is fitted on train-bin
templates and scored on test-bin ones. Two baselines: the same probe on the model at random init (the
paper's control), and the majority label (the paper's all-false: 83% dep, 92% nece_next).

The data and train stages are those of `igsm_generalization` at every scale (the same cache keys), so
after that recipe the probing costs only the two probes.

Deviations at the `cpu` scale: igsm_generalization's cpu model; one probe for all six tasks, 500 steps ×
48 examples (the paper: one per task, 100k × 256), fitted on 1,000 problems and scored on 400.

Measured on 2 cores (seed 0, the model cached), 12 min 40 s: **inconclusive**. On the trained model
every probe scores its majority label (nece 0.752 vs 0.752, dep 0.792 vs 0.795, known 0.882 vs 0.883,
value 0.878 vs 0.883, can_next 0.648 vs 0.630, nece_next 0.930 vs 0.930), exactly as on the random-init
model; the per-layer linear probes read nothing either. The cpu model has not learned iGSM (see
igsm_generalization: 0% of solutions right), so there is nothing to read; the sanity check (known ≥ 0.9)
says so.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import vprobe
from phys.stages.vprobe import VProbeConfig

from ._igsm import DATA, LINTS, TRAIN, data_and_train

RECIPE = Recipe(
    name="igsm_probing",
    part="2.1",
    title="iGSM V-probing: the model plans before it writes",
    claim="Probes on a frozen iGSM model read which parameters are necessary and which depend on which "
          "before the solution starts, and which can be computed next during it, far better than on a "
          "random-init model and than the all-false baseline.",
    stages=(
        DATA,
        TRAIN,
        Stage("probe_trained", vprobe.run, VProbeConfig(), deps=("data", "train"), device_sensitive=True,
              arm="trained", role="probe"),
        Stage("probe_random", vprobe.run, VProbeConfig(random_init=True), deps=("data", "train"),
              device_sensitive=True, arm="random", role="probe"),
    ),
    checks=(
        Check("nece: the necessary parameters are known before the solution (vs random init)",
              "probe_nece@trained", ">=", 0.1, baseline="probe_nece@random", paper="≈ 99%+ (Result 4)"),
        Check("dep: every pair's dependency is computed from the problem alone (vs all-false)",
              "probe_dep@trained", ">=", 0.05, baseline="majority_dep@trained",
              paper="≈ 99% against 83% all-false (Result 5)"),
        Check("nece_next: the next necessary parameter is known (vs all-false)", "probe_nece_next@trained", ">=",
              0.03, baseline="majority_nece_next@trained", paper="≈ 99% against 92% all-false (Result 4)"),
        Check("value: the values computed so far are readable (vs random init)", "probe_value@trained", ">=", 0.1,
              baseline="probe_value@random", paper="≈ 100% (Result 4)"),
        Check("the probe reads what is written: known", "probe_known@trained", ">=", 0.9, paper="≈ 100%",
              role="sanity", description="whether A was already defined in the solution, visible in the text"),
    ),
    scales={
        "smoke": {**data_and_train("smoke"), "probe.problems": 20, "probe.test_problems": 10, "probe.steps": 10,
                  "probe.batch_size": 8, "probe.linear_examples": 100},
        "cpu": {**data_and_train("cpu"), "probe.problems": 1000, "probe.test_problems": 400, "probe.steps": 500,
                "probe.batch_size": 48},
        "gpu": {**data_and_train("gpu"), "probe.problems": 20_000, "probe.test_problems": 2_000,
                "probe.steps": 20_000, "probe.batch_size": 256},
        "paper": {**data_and_train("paper"), "probe.problems": 200_000, "probe.test_problems": 4_096,
                  "probe.steps": 100_000, "probe.batch_size": 256},
    },
    paper_numbers={"all-false baseline, dep": "83%", "all-false baseline, nece_next": "92%",
                   "probe accuracy, nece / dep / can_next / nece_next / value": "≈ 99%+ (Results 4–5)"},
    estimates={"smoke": "10 s on 2 CPU cores", "cpu": "13 min on 2 CPU cores after igsm_generalization", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=LINTS,
)
