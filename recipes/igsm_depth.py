"""iGSM depth — Part 2.1 (arXiv 2407.20311), Results 7–8: at equal size, depth matters for reasoning.
Models with the same number of parameters and different depth are trained on the same iGSM data; the
deeper ones solve the hardest out-of-distribution problems better (a 4-layer model underperforms even at
1920 dimensions; 20-layer 576-dimension models do well).

Arms are models of (about) equal non-embedding size 12·L·d², from the shallowest to the deepest. The
data stage is igsm_generalization's, and so is the training of the arm with its shape (a cache hit after
that recipe). Each arm is evaluated in distribution and at the hardest op of igsm_generalization.

Paper sizes (size 1): GPT2-4-21, 8-15, 12-12, 16-10, 20-9 (layers-heads, 64 dims per head); size 2: 4-30,
8-21, 12-17, 16-15, 20-13; 2 seeds × beam 1 / 4 each, the best reported.

Not measured at the `cpu` scale: its reference model (igsm_generalization's, the l6 arm) solves no
problem at all in the CPU budget, so a comparison of depths would compare zeros. The cpu arms are
2 × 224, 4 × 160, 6 × 128 and 12 × 88 (layers × width, ≈ 1.2M non-embedding parameters each).
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import igsm, train
from phys.stages.igsm import IgsmEvalConfig
from phys.stages.train import TrainConfig

from ._igsm import DATA, LINTS, SCALES

CPU_SHAPES = {"l2": (2, 4, 224), "l4": (4, 4, 160), "l6": (6, 4, 128), "l12": (12, 4, 88)}  # (layers, heads, dim)
PAPER_SHAPES = {"l4": (4, 21, 1344), "l8": (8, 15, 960), "l12": (12, 12, 768), "l16": (16, 10, 640),
                "l20": (20, 9, 576)}
SMOKE_SHAPES = {"l4": (2, 2, 32), "l12": (4, 2, 16)}
HARDEST = {"smoke": 4, "cpu": 6, "gpu": 23, "paper": 23}


def arm_stages(arm: str) -> tuple[Stage, ...]:
    return (
        Stage(f"train_{arm}", train.run, TrainConfig(eval_every=0), version=train.VERSION, deps=("data",),
              device_sensitive=True, arm=arm, role="train"),
        Stage(f"evaluate_{arm}", igsm.run_eval,
              IgsmEvalConfig(ops=(23,), reask=False, baseline_items=0), version=igsm.EVAL_VERSION,
              deps=("data", f"train_{arm}"), arm=arm, role="evaluate"),
    )


def scale(name: str, shapes: dict[str, tuple[int, int, int]]) -> dict[str, object]:
    """igsm_generalization's settings at scale `name` (by role: every arm's training and evaluation) but
    the hardest op only and no random-init baseline, and each arm's shape."""
    out = {k: v for k, v in SCALES[name].items() if k not in ("evaluate.ops", "evaluate.baseline_items")}
    out["evaluate.ops"] = (HARDEST[name],)
    for arm, (layers, heads, dim) in shapes.items():
        out.update({f"train_{arm}.n_layer": layers, f"train_{arm}.n_head": heads, f"train_{arm}.n_embd": dim})
    return out


def arms(shapes: dict[str, tuple[int, int, int]]) -> tuple[Stage, ...]:
    return tuple(stage for arm in shapes for stage in arm_stages(arm))


RECIPE = Recipe(
    name="igsm_depth",
    part="2.1",
    title="iGSM: depth matters for reasoning",
    claim="At equal size, deeper models solve the hardest out-of-distribution iGSM problems better than "
          "shallow wide ones.",
    stages=(DATA, *arms(dict(sorted({**CPU_SHAPES, **PAPER_SHAPES}.items(), key=lambda kv: int(kv[0][1:]))))),
    checks=(
        Check("12 layers beat 4 layers of the same size at the hardest op", "acc_hardest@l12", ">=", 0.05,
              baseline="acc_hardest@l4", paper="4-layer models underperform even at 1920 dims (Result 7)",
              description="cpu scale: L12-d88 against L4-d160; paper scale: GPT2-12-12 against GPT2-4-21"),
        Check("the deep model learned the training distribution", "acc_id@l12", ">=", 0.5, paper="≈ 99%",
              role="sanity"),
    ),
    scales={
        "smoke": scale("smoke", SMOKE_SHAPES),
        "cpu": scale("cpu", CPU_SHAPES),
        "gpu": scale("gpu", PAPER_SHAPES),
        "paper": scale("paper", PAPER_SHAPES),
    },
    arms={"smoke": tuple(SMOKE_SHAPES), "cpu": tuple(CPU_SHAPES), "gpu": tuple(PAPER_SHAPES),
          "paper": tuple(PAPER_SHAPES)},
    paper_numbers={"GPT2 depths at equal size": "4 < 8 < 12 ≈ 16 ≈ 20 layers at the hardest op (Result 7)"},
    estimates={"smoke": "15 s on 2 CPU cores", "cpu": "≈ 1 h on 2 CPU cores (not measured)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=LINTS,
)
