"""Knowledge capacity: 2 bits per parameter at 1000 exposures — Part 3.3 (arXiv 2404.05405), Result 1 (and 3).

Setup ([3.3 §2–4]): one population, models of several sizes (the sweep's cells, one arm each) trained on
it for the same number of exposures — each person's paragraph seen that many times, rendered afresh
every time. For each model the bits it stores are counted from its summed losses on names and values
(`phys.science.bits`, Definitions 4.1 / 4.3), and divided by its parameters P (the embedding counted only for the
tokens the data uses). The paper: across sizes and N, the best models store ≥ 2 bits per parameter and
none more than 2.3; models whose data holds ≤ 1.8 bits per parameter store it almost all.

Cells are independent stages: `phys run recipe capacity_scaling --arms L2-d16,L2-d24,L2-d32,L2-d48,L2-d64`
after a cpu run computes only the new cell (the others are cache hits).

Deviations at the `cpu` scale (2 cores): bioD (Definition 2.2, as PAPERS.md §8 suggests for CPUs) with
N = 500, K = 4 attributes of C = 6 one-token chunks from diversity sets of D = 16 out of T = 256 tokens,
names from the first 30 of each name pool (N0 = 27,000): 51,000 bits in 48-token paragraphs. Models are
2-layer GPT2s of width 16–48 with 8-dim heads (9k–63k parameters, the paper's smallest is ~1M), 98-token
windows holding two paragraphs, batch 16, lr 2e-2, wd 0.02, and 1000 exposures (15,625 steps). Tried on
the width-16 cell (bits/param after 1000 exposures): lr 5e-3 batch 32 0.79; lr 2e-2 batch 32 1.03; lr 2e-2
batch 16 1.16 (wd 0: 1.00, wd 0.1: 0.69); lr 2e-2 batch 8 0.61. Every curve was still rising at the end.
`gpu` is bioS(N = 20,000) with GPT2-ℓ-h shapes and Parameter 1's optimiser (batch 48, lr 1e-3, wd 0.02);
`paper` is bioS(N = 100,000) at batch 192. bioS renders its biographies in Python at every exposure
(≈ 170 µs each), which at gpu scale costs CPU time beside the GPU; resuming re-renders the exposures
before the checkpoint to find its place in the stream (cheap for bioD, minutes for bioS at gpu scale).

Rotary (issue 21): the cells' 8-dim heads rotated 2 dims at the paper's 1/4 (one frequency; the paper
rotates 16 of 64 dims, eight frequencies). They now rotate the paper's 16 dims or the whole of a smaller
head (`_capacity.ROTARY_DIMS`; the GPT2 cells of 64-dim heads keep 1/4, their keys unchanged). Measured at
the cpu scale, seed 0, AMD EPYC 2 cores, bf16 (native), `/usr/bin/time -v`, nothing else running:

| rotary                  | wall     | max RSS | bits/param 9k / 18k / 30k / 64k params | 64k stores | verdict        |
|-------------------------|----------|---------|----------------------------------------|------------|----------------|
| 2 of 8 dims (before)    | 13:15    | —       | 1.01 / 1.35 / 1.28 / 0.79              | 98.8%      | not reproduced |
| 8 of 8 dims             | 14:46    | 523 MB  | 1.794 / 1.847 / 1.527 / 0.795          | 99.8%      | reproduced     |

(data: 5.6 / 2.8 / 1.7 / 0.8 bits per parameter; 16,333 / 33,741 / 46,557 / 51,035 of 51,133 bits stored.)
The peak, 1.85, clears the check's 1.5 (chosen before, between no effect and the paper's 2) and stays under
2.5. Seeds 1 and 2 are not measured yet: one seed is not a result. `phys recipes check capacity_scaling
--scale cpu` estimated 16m51s of training before the run; the cells trained 184 + 182 + 228 + 288 s = 14m42s.
"""

from phys.spec import Check, Plot, Recipe

from ._capacity import AT_1000, GPU_CELLS, PAPER_CELLS, SCALES, STAGES

RECIPE = Recipe(
    name="capacity_scaling",
    part="3.3",
    title="Knowledge capacity: 2 bits per parameter",
    claim="Trained with 1000 exposures per person, a language model stores about 2 bits of knowledge per "
          "parameter, whatever its size, and never much more.",
    stages=STAGES,
    checks=(
        Check("the best cell stores about 2 bits per parameter", "bits_per_param", ">=", 1.5, over_arms="max",
              paper="≥ 2 bits/param at 1000 exposures (Result 1)",
              description="1.5–2.5 counts as reproduced at cpu scale"),
        Check("no cell stores much more than 2 bits per parameter", "bits_per_param", "<=", 2.5, over_arms="max",
              paper="never above 2.3 (Result 1)"),
        Check("the largest model learned almost all of the data", "stored_fraction", ">=", 0.8, over_arms="max",
              paper="near-perfect where the data holds ≤ 1.8 bits/param", role="sanity",
              description="otherwise the exposures did not suffice and every cell is undertrained"),
    ),
    scales=SCALES,
    arms={"smoke": ("L2-d16", "L2-d24"), "cpu": ("L2-d16", "L2-d24", "L2-d32", "L2-d48"), "gpu": GPU_CELLS,
          "paper": PAPER_CELLS},
    plots=(Plot("capacity", x="params", y="bits", title="bits stored against parameters",
                lines=((2.0, "2 bits/param"), (1.0, "1 bit/param"))),),
    paper_numbers={
        "peak capacity at 1000 exposures (GPT2, N = 10K–10M)": "≥ 2 bits/param",
        "largest capacity ratio of any model": "2.3 bits/param",
        "near-perfect storage below": "R^max ≤ 1.8",
        "bioD, across K, C, D, L, T (Result 3)": "≥ 2 bits/param",
    },
    estimates={"smoke": "about 10 s on 2 CPU cores", "cpu": "13 min on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=AT_1000,
)
