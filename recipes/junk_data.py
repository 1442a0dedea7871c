"""Junk data crowds knowledge out; a domain token lets it back in — Part 3.3 (arXiv 2404.05405), Results 10–12.

Setup: the useful population of `capacity_scaling` seen 100 times, as in `capacity_exposures` (whose
no-junk cell is the baseline, the same stage), against the same training with 7 junk paragraphs for every
useful one (1/8 of the tokens useful), windows all useful or all junk. Junk people are drawn afresh at every
exposure (each seen about once, the paper's N' = 100M), or come from a small fixed junk population
(repetitive junk); with `<domain>` in front of every useful paragraph, the model can tell which data to
keep. Bits are counted on the useful people only, in the format trained (with `<domain>` where it was).
The paper at 100 exposures: junk cuts the capacity for useful knowledge 20×, the domain token brings the
loss down to 2×, and repetitive junk (N' = 1K) does no harm.

Deviations at the `cpu` scale: those of capacity_scaling (bioD, N = 500, a 2-layer width-24 model);
junk people are bioD people with the same attributes and diversity sets; repetitive junk is 10 people
(2% of N, as the paper's 1K is ≈ 1% of its N); 100-token windows (two paragraphs with their `<domain>`).
`gpu` runs the same arms on the GPT2-2-2 cell of capacity_exposures with Parameter 10's batch 24.

What each scale judges (issue 21). The paper's junk claims compare *capacities*: of a clean 100-exposure
cell at its capacity against the same cell with junk. 2 cores have no such clean cell (`capacity_exposures`:
at N = 500 100 exposures are 1,563 steps and the width-24 cell is still learning fast when its schedule ends,
0.684 bits/param, 0.37 of its 1000-exposure capacity; at N = 5,000 it stores 0.029 after 15,625 steps), and
the junk arms take 8× its tokens. So `cpu` judges only that junk crowds the useful knowledge out (≤ 1/3 of
the clean cell's, the paper 1/20) — the clean cell stores a quarter of its data, the junk cell nothing —
and reports the domain token and repetitive junk without judging them; `gpu` judges all three on GPT2-2-2
over bioS(N = 20,000). The domain token's check is a ratio now (≥ 1/4 of the clean cell's bits/param,
between junk alone's 1/20 and the paper's 1/2, chosen before any gpu run); it was "more than junk alone",
which passed by 0.002 bits/param at cpu.

Measured at the cpu scale (seed 0, AMD EPYC, bf16; the clean cell cached from capacity_exposures):

| rotary (8-dim heads) | wall (3 junk arms) | clean | 7/8 junk | + domain token | repetitive junk (10 people) |
|----------------------|--------------------|-------|----------|----------------|-----------------------------|
| 2 of 8 dims (before) | 6:51               | 0.153 | −0.001   | +0.001         | 0.125 (0.81×)               |
| 8 of 8 dims          | 7:27, 454 MB       | 0.684 | −0.001   | 0.042 (0.06×)  | 0.479 (0.70×)               |

Over seeds (`phys run recipe junk_data --scale cpu --seeds 3`, Intel Xeon with native bf16, nothing else
training, the clean cell computed in the run): **reproduced 3/3** in 41 min 47 s (13:35 / 14:27 / 13:34 per
seed), 504 MB peak RSS.

| seed | clean | 7/8 junk (ratio to clean) | + domain token | repetitive junk |
|------|-------|---------------------------|----------------|-----------------|
| 0    | 0.630 | −0.001 (−0.0017)          | 0.046 (0.07×)  | 0.487 (0.77×)   |
| 1    | 0.512 | 0.000 (0.0008)            | 0.013 (0.03×)  | 0.421 (0.82×)   |
| 2    | 0.357 | −0.001 (−0.0022)          | 0.013 (0.04×)  | 0.381 (1.07×)   |

(bits/param; the check wants the junk ratio ≤ 0.33.) With 7/8 junk the model stores nothing of the useful
people, in every seed and on both CPUs; the domain token recovers 3–7% of the clean cell's knowledge and
repetitive junk costs 0–23%, neither as in the paper (2× less; no harm) — on clean cells that are not at
their capacity, which is why cpu does not judge them. The clean cell's spread over seeds (0.36–0.63) is that
of a cell still learning fast when its 100 exposures end; the AMD EPYC's seed 0 stored 0.684 (bf16 kernels
differ between the CPUs).
"""

from phys.spec import Check, Recipe

from ._capacity import (AT_100, CPU_CELLS, E100, E100_CELLS, E100_SCALES, GPT2_CELLS, GPU_E100_TRAIN, STAGES, cell,
                        cell_keys)

JUNK = {"-junk": {"junk_ratio": 7}, "-junk-domain": {"junk_ratio": 7, "domain_token": True},
        "-junk-repetitive": {"junk_ratio": 7, "junk_people": 10}}
"""The junk arms, after their base cell's name."""


def junk_cells(base: str, shape: tuple[int, int, int]) -> dict[str, tuple]:
    return {f"{base}-e100{suffix}": (shape, {**E100, "block_size": 100, **fields})
            for suffix, fields in JUNK.items()}


CPU_JUNK = junk_cells("L2-d24", CPU_CELLS["L2-d24"])
GPU_JUNK = junk_cells("GPT2-2-2", GPT2_CELLS["GPT2-2-2"])


def junk_checks(base: str, prefix: str = "", capacity_limited: bool = True) -> tuple[Check, ...]:
    """The paper's comparisons for one cell, as ratios to the clean 100-exposure cell (a sanity check keeps
    it above nothing). Where the clean cell is not capacity-limited (`cpu`) only the crowding out is
    judged: the recovery and the "no harm" are comparisons of capacities."""
    clean = f"bits_per_param@{base}-e100"
    crowding = (
        Check(f"{prefix}junk data cuts the useful knowledge stored", f"{clean}-junk", "<=", 0.33, baseline=clean,
              ratio=True, paper="20× less (0.05) at 100 exposures (Result 10)", description="at least 3× less"),
        Check(f"{prefix}the clean model stores knowledge", clean, ">=", 0.05, paper="≈ 1 bit/param at 100 exposures",
              role="sanity", description="ratios to nearly nothing say nothing"),
    )
    if not capacity_limited:
        return crowding
    return (
        *crowding,
        Check(f"{prefix}a domain token brings knowledge back", f"{clean}-junk-domain", ">=", 0.25, baseline=clean,
              ratio=True, paper="the loss falls from 20× to 2× (0.05 → 0.5; Result 12)",
              description="≥ 1/4 of the clean cell's bits/param, 5× junk alone's 0.05 in the paper"),
        Check(f"{prefix}repetitive junk does no harm", f"{clean}-junk-repetitive", ">=", 0.8, baseline=clean,
              ratio=True, paper="no harm with N' = 1K (Result 11)"),
    )


RECIPE = Recipe(
    name="junk_data",
    part="3.3",
    title="Junk data crowds knowledge out; a domain token lets it back in",
    claim="Mixed with 7× as much junk, a model stores far less of the useful knowledge; a special token in "
          "front of the useful data recovers most of it; junk that repeats does no harm.",
    stages=(*STAGES, *(s for arm, (shape, fields) in {**E100_CELLS, **CPU_JUNK, **GPU_JUNK}.items()
                       for s in cell(arm, *shape, **fields))),
    checks=(*junk_checks("L2-d24", capacity_limited=False), *junk_checks("GPT2-2-2", prefix="gpu: ")),
    scales={
        **E100_SCALES,
        "smoke": {**E100_SCALES["smoke"], **cell_keys(CPU_JUNK, exposures=4, block_size=70)},
        "gpu": {**E100_SCALES["gpu"], **cell_keys(GPU_JUNK, **{**GPU_E100_TRAIN, "batch_size": 24})},
        "paper": {**E100_SCALES["paper"], **cell_keys(GPU_JUNK, **{**GPU_E100_TRAIN, "batch_size": 24})},
    },
    arms={"smoke": ("L2-d24-e100", *CPU_JUNK), "cpu": ("L2-d24-e100", *CPU_JUNK), "gpu": ("GPT2-2-2-e100", *GPU_JUNK),
          "paper": ("GPT2-2-2-e100", *GPU_JUNK)},
    paper_numbers={"junk 7/8 of tokens, 100 exposures": "20× less capacity for useful knowledge",
                   "with a domain token": "2× less", "repetitive junk (N' = 1K)": "no harm",
                   "junk at 300 / 600 / 1000 exposures": "3× / 1.5× / 1.3× below the no-junk 100-exposure law"},
    estimates={"smoke": "about 15 s on 2 CPU cores", "cpu": "7 min after capacity_exposures (about 10 min without it)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=AT_100,
)
