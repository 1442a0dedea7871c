"""Capacity at 100 exposures, and which architectures lose it — Part 3.3 (arXiv 2404.05405), Results 4–7.

Setup: the cells of `capacity_scaling` (1000 exposures, the same stages: cached where that recipe ran)
beside the same models trained for 100 exposures, and at 100 exposures three architecture variants of one
cell: LLaMA's gated MLP, a 1/4-size MLP, and no MLP at all (attention only). Bits per parameter as in
`capacity_scaling`. The paper: at 100 exposures a GPT2 stores ≥ 1 bit/param, at most 2× below 1000
exposures; there, a 1/4-size MLP is fine, the gated MLP is 1.3× worse and removing the MLP costs more than
1.5× (at 1000 exposures architecture barely matters).

Deviations at the `cpu` scale: those of capacity_scaling (bioD, tiny 2-layer models, batch 16, lr 2e-2);
the architecture variants are of the width-24 cell. `gpu` trains the GPT2-2-2 cell at 100 exposures with
Parameter 2's optimiser (batch 12, lr 1e-3, wd 0.01) on capacity_scaling's bioS(N = 20,000).

Measured at the cpu scale (seed 0, 1 min 24 s beside capacity_scaling's cached cells): after 100
exposures the width-24 cell stores 0.153 bits/param against 1.354 after 1000 (ratio 0.11; the paper: ≥
0.5), the width-16 cell 0.206 against 1.014. At 100 exposures: gated MLP 0.111 (0.72×, the paper's
direction), 1/4-size MLP 0.228 (1.49×), no MLP 0.308 (2.0× *more* per parameter, against the paper's > 1.5×
less). **Not reproduced**: 100 exposures are 1,563 steps for these tiny models, which have barely begun
to store anything, and then fewer parameters (no MLP) store more per parameter.
"""

from phys.spec import Check, Plot, Recipe

from ._capacity import AT_100, CPU_E100, E100_CELLS, E100_SCALES, GPU_E100, STAGES, cell

def exposure_checks(base: str, prefix: str = "") -> tuple[Check, ...]:
    """The paper's comparisons for one cell, each a ratio to a GPT2-MLP cell (a sanity check keeps those
    above nothing). Thresholds sit between "no effect" and the paper's effect."""
    e1000, e100 = f"bits_per_param@{base}", f"bits_per_param@{base}-e100"
    return (
        Check(f"{prefix}100 exposures keep at least half of 1000's capacity", e100, ">=", 0.5, baseline=e1000,
              ratio=True, paper="≥ 1 vs ≈ 2 bits/param: at most a 2× loss (Result 4)"),
        Check(f"{prefix}the gated MLP stores less at 100 exposures", f"{e100}-gated", "<=", 0.9, baseline=e100,
              ratio=True, paper="1.3× less (0.77; Results 6–7)"),
        Check(f"{prefix}no MLP stores less at 100 exposures", f"{e100}-nomlp", "<=", 0.83, baseline=e100, ratio=True,
              paper="> 1.5× less (< 0.67; Result 6)"),
        Check(f"{prefix}a 1/4-size MLP stores about as much", f"{e100}-mlp1", ">=", 0.9, baseline=e100, ratio=True,
              paper="no loss (Result 6)"),
        Check(f"{prefix}the 100-exposure model stores knowledge", e100, ">=", 0.05, paper="≥ 1 bit/param",
              role="sanity", description="ratios to nearly nothing say nothing"),
    )


RECIPE = Recipe(
    name="capacity_exposures",
    part="3.3",
    title="Capacity at 100 exposures, and the architectures that lose it",
    claim="Seen 100 times instead of 1000, knowledge fills at most half the capacity; then a gated MLP or no MLP "
          "stores less per parameter, a 1/4-size MLP does not.",
    stages=(*STAGES, *(s for arm, (shape, fields) in E100_CELLS.items() for s in cell(arm, *shape, **fields))),
    checks=(*exposure_checks("L2-d24"), *exposure_checks("GPT2-2-2", prefix="gpu: ")),
    scales=E100_SCALES,
    arms={"smoke": ("L2-d24", *(a for a in CPU_E100 if a.startswith("L2-d24"))),
          "cpu": ("L2-d16", "L2-d24", *CPU_E100), "gpu": ("GPT2-2-1", "GPT2-2-2", *GPU_E100),
          "paper": ("GPT2-2-2", *(a for a in GPU_E100 if a.startswith("GPT2-2-2")))},
    plots=(Plot("capacity", x="params", y="bits", title="bits stored against parameters, 1000 and 100 exposures",
                lines=((2.0, "2 bits/param"), (1.0, "1 bit/param"))),),
    paper_numbers={"100 exposures, GPT2": "≥ 1 bit/param", "gated MLP (LLaMA) at 100 exposures": "1.3× worse",
                   "no MLP at 100 exposures": "> 1.5× worse", "1/4-size MLP": "no loss"},
    estimates={"smoke": "about 15 s on 2 CPU cores", "cpu": "1.5 min after capacity_scaling (about 7 min without it)",
               "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=AT_100,
)
