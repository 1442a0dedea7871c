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
2-layer GPT2s of width 12 / 16 / 20 / 24 (6- to 10-dim heads, 5.7k–18k parameters; the paper's smallest is
~1M), 98-token windows holding two paragraphs, batch 16, lr 2e-2, wd 0.02, and 1000 exposures (15,625
steps). Tried on the width-16 cell (bits/param after 1000 exposures, before the rotary fix): lr 5e-3 batch
32 0.79; lr 2e-2 batch 32 1.03; lr 2e-2 batch 16 1.16 (wd 0: 1.00, wd 0.1: 0.69); lr 2e-2 batch 8 0.61.
`gpu` is bioS(N = 20,000) with GPT2-ℓ-h shapes and Parameter 1's optimiser (batch 48, lr 1e-3, wd 0.02);
`paper` is bioS(N = 100,000) at batch 192. bioS renders its biographies in Python at every exposure
(≈ 170 µs each), which at gpu scale costs CPU time beside the GPU; resuming re-renders the exposures
before the checkpoint to find its place in the stream (cheap for bioD, minutes for bioS at gpu scale).

Capacity-limited cells (issue 21). A law of capacity is read off cells that could store more than they do:
the data must hold more than the model can keep (sanity: ≥ 2.5 bits per parameter of every cell; the cpu
cells' data holds 9.0 / 5.6 / 3.8 / 2.8), and training must have stopped adding knowledge (sanity: the last
tenth of the steps adds ≤ 5% of the final bits/param, `late_gain`; a straight line adds 10%). Each cell
keeps its bits/param curve (curve.json, every 1,000 steps). Twice the exposures do not raise the width-16
cell: 1.77 bits/param after 2000 exposures (5 min 37 s) against 1.79 / 1.70 after 1000 (seeds 0 / 1) — the
last fifth of a cosine schedule still adds ~10% however long it runs, hence the last tenth. The earlier
cpu cells (widths 16 / 24 / 32 / 48) were half data-limited: the data held 1.7 and 0.8 bits per parameter
of the two larger, which stored 91% and 99.8% of it; their claim ("the best cell ≥ 1.5") became "every cell
≥ 1.5" (the same threshold, chosen before: between no storage and the paper's 2), as "whatever its size"
says.

Measured, `phys run recipe capacity_scaling --scale cpu --seeds 3`, AMD EPYC 2 cores, bf16 (native),
nothing else running: **reproduced 3/3** in 34 min 47 s (11:57 / 11:11 / 11:31 per seed), 535 MB peak RSS.

| seed | bits/param d12 / d16 / d20 / d24 (5.7k / 9.1k / 13.3k / 18.3k params) | late_gain (max) | data bits/param (min) |
|------|-------------------------------------------------------------------------|-----------------|-----------------------|
| 0    | 1.556 / 1.794 / 1.791 / 1.847                                           | 0.037           | 2.80                  |
| 1    | 1.558 / 1.700 / 1.776 / 1.857                                           | 0.031           | 2.79                  |
| 2    | 1.607 / 1.834 / 1.881 / 1.872                                           | 0.032           | 2.80                  |

Every cell stores 1.56–1.88 bits per parameter, rising a little with size (the embedding is a third of
the width-12 cell and 21% of the width-24 one), under the paper's 2 and far from its 2.3 ceiling; the
worst cell clears the check's 1.5 by 0.06 in two seeds.

Rotary (issue 21): the cells' 8-dim heads rotated 2 dims at the paper's 1/4 (one frequency; the paper
rotates 16 of 64 dims, eight frequencies). The model now rotates at least 16 dims or the whole of a
smaller head (`phys.science.model.gpt.ROTARY_MIN_DIMS`): the cells' 6- to 10-dim heads rotate whole.
(The 3-seed runs above set `rotary_pct=1` on the cells instead, which turns the same dims.) Measured on the earlier cells, seed 0, AMD EPYC 2 cores, bf16 (native), nothing else
running:

| cells, rotary                   | wall  | max RSS | bits/param 9k / 18k / 30k / 64k params | verdict        |
|---------------------------------|-------|---------|----------------------------------------|----------------|
| d16–d48, 2 of 8 dims (before)   | 13:15 | —       | 1.01 / 1.35 / 1.28 / 0.79              | not reproduced |
| d16–d48, 8 of 8 dims            | 14:46 | 523 MB  | 1.794 / 1.847 / 1.527 / 0.795          | reproduced     |
| d16–d24, 8 of 8 dims, seed 1    | —     | —       | 1.700 / 1.857 / — / —                  | (stopped)      |
"""

from phys.spec import Check, Plot, Recipe

from ._capacity import AT_1000, CPU_LAW, GPU_CELLS, PAPER_CELLS, SCALES, STAGES

RECIPE = Recipe(
    name="capacity_scaling",
    part="3.3",
    title="Knowledge capacity: 2 bits per parameter",
    claim="Trained with 1000 exposures per person, a language model stores about 2 bits of knowledge per "
          "parameter, whatever its size, and never much more.",
    stages=STAGES,
    checks=(
        Check("every cell stores about 2 bits per parameter", "bits_per_param", ">=", 1.5, over_arms="min",
              paper="≥ 2 bits/param at 1000 exposures, whatever the size (Result 1)",
              description="the worst cell; 1.5–2.5 counts as reproduced at cpu scale"),
        Check("no cell stores much more than 2 bits per parameter", "bits_per_param", "<=", 2.5, over_arms="max",
              paper="never above 2.3 (Result 1)"),
        Check("every cell's data holds more than it could store", "max_bits_per_param", ">=", 2.5, over_arms="min",
              paper="the law is read off models with R^max above 2", role="sanity",
              description="a cell whose data holds less measures the data, not the model's capacity"),
        Check("every cell's curve has flattened", "late_gain", "<=", 0.05, over_arms="max",
              paper="1000 exposures reach the capacity", role="sanity",
              description="the last tenth of the steps adds ≤ 5% of the final bits/param (a straight line: 10%)"),
    ),
    scales=SCALES,
    arms={"smoke": ("L2-d16", "L2-d24"), "cpu": CPU_LAW, "gpu": GPU_CELLS,
          "paper": PAPER_CELLS},
    plots=(Plot("capacity", x="params", y="bits", title="bits stored against parameters",
                lines=((2.0, "2 bits/param"), (1.0, "1 bit/param"))),),
    paper_numbers={
        "peak capacity at 1000 exposures (GPT2, N = 10K–10M)": "≥ 2 bits/param",
        "largest capacity ratio of any model": "2.3 bits/param",
        "near-perfect storage below": "R^max ≤ 1.8",
        "bioD, across K, C, D, L, T (Result 3)": "≥ 2 bits/param",
    },
    estimates={"smoke": "about 10 s on 2 CPU cores", "cpu": "12 min a seed on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=AT_1000,
)
