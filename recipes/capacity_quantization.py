"""Quantized knowledge: int8 keeps it, int4 loses most of it — Part 3.3 (arXiv 2404.05405), Result 8.

Setup: the models of `capacity_scaling` (the same stages: a runs folder that ran it has them cached),
their weights rounded to int8 and to int4, and the bits recounted on the same exposure (`phys.science.bits`).
The paper, with GPTQ: int8 leaves the capacity ratio unchanged (≈ 2 bits/param), int4 cuts it by more
than 2× (≈ 0.7 bits/param). `int8_ratio`, `int4_ratio` = bits after quantization / bits before.

Deviation: round-to-nearest per output row (`phys.science.quantize`), not GPTQ — GPTQ compensates rounding errors
with calibration data, so RTN usually loses more at int4. The cells are those of
capacity_scaling that its scale runs at capacity (cpu: L2-d16, L2-d24, whose data holds 5.6 and 2.8
bits/param).

Measured, `phys run recipe capacity_quantization --scale cpu --seeds 3` once capacity_scaling's models
were cached (AMD EPYC 2 cores, issue 21's cells): **reproduced 3/3** in 5.5 s, 425 MB peak RSS. int8 keeps
99.25% / 99.41% / 99.20% of the bits of the worst cell (seeds 0 / 1 / 2); after int4 the best cell's
ratio is −0.72 / −0.63 / −0.67: the rounded models predict the data worse than a uniform guess (RTN on
tiny models: int4 is far worse than the paper's GPTQ ≈ 0.7 bits/param). Before the rotary fix (seed 0):
int8 99.6% / 99.3%, int4 −0.32 / −0.91 bits/param.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import capacity
from phys.stages.capacity import BitsConfig

from ._capacity import AT_1000, CPU_CELLS, GPT2_CELLS, SCALES, STAGES, slug


def quantized(arm: str, quantize: str) -> Stage:
    """The bits of one cell's trained model after `quantize`."""
    s = slug(arm)
    return Stage(f"bits_{quantize}_{s}", capacity.bits, BitsConfig(quantize=quantize),
                 deps=("data", f"train_{s}"), arm=arm, role=f"bits_{quantize}")


CELLS = (*CPU_CELLS, *GPT2_CELLS)

RECIPE = Recipe(
    name="capacity_quantization",
    part="3.3",
    title="Quantized knowledge: int8 keeps it, int4 does not",
    claim="Rounding a model's weights to int8 keeps the knowledge it stores; rounding them to int4 loses more "
          "than half of it.",
    stages=(*STAGES, *(quantized(arm, q) for arm in CELLS for q in ("int8", "int4"))),
    checks=(
        Check("int8 keeps the knowledge", "int8_ratio", ">=", 0.95, over_arms="min",
              paper="unchanged capacity ratio (GPTQ int8, Result 8)",
              description="the worst cell keeps ≥ 95% of its bits"),
        Check("int4 loses more than half of it", "int4_ratio", "<=", 0.5, over_arms="max",
              paper="> 2× less (≈ 0.7 bits/param, GPTQ int4)", description="the best cell keeps ≤ 50%"),
        Check("the float models store knowledge", "bits_per_param", ">=", 0.5, over_arms="min", paper="≈ 2 bits/param",
              role="sanity", description="a ratio of nearly nothing says nothing"),
    ),
    scales=SCALES,
    arms={"smoke": ("L2-d16",), "cpu": ("L2-d16", "L2-d24"), "gpu": ("GPT2-2-1", "GPT2-2-2"),
          "paper": ("GPT2-2-2", "GPT2-2-4")},
    paper_numbers={"int8 (GPTQ)": "capacity unchanged, ≈ 2 bits/param", "int4 (GPTQ)": "≈ 0.7 bits/param (> 2× less)"},
    estimates={"smoke": "about 10 s on 2 CPU cores", "cpu": "5 s after capacity_scaling (about 6 min a seed without it)",
               "gpu": "not measured yet", "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=AT_1000,
)
