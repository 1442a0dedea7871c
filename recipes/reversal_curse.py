"""Reversal curse — Part 3.2 (arXiv 2309.14402), Result 7: knowledge cannot be searched in reverse.

Setup (as in [3.2 §5]): bioS multi5+permute biographies of N people; mixed training on all biographies
plus the forward QA (six attributes) and inverse-search QA ("Give me the full name of the person born on
<date> in <city>?") of P_train, the first half of the people. Evaluated on P_test, people whose
biographies were trained on but none of their questions. The paper finds forward QA works on P_test while
inverse search stays at ≈ 0% for every bioS augmentation, even though inverse questions of P_train are
fitted: the failure is one of generalization, not of capacity.

Deviations at the `cpu` scale, measured on 2 cores (see README): N = 500 instead of 100,000; a 4-layer,
128-wide GPT2 (rotary on 1/4 of each head, as in the paper) instead of GPT2-12-12; 128-token windows of
whole documents instead of 512-token cuts; a word-level tokenizer built from the data instead of GPT-2's
BPE; one shuffled stream of biographies and QA (person-exclusive windows) instead of all-BIO / all-QA
sequences; each P_train question three times per epoch (`data.qa_repeats=3`: QA is 37% of the stream's
tokens, the paper's QA_r = 0.8 is 80% of its sequences) for 800 steps (13 epochs); greedy decoding
instead of beam 4 (the paper: "similar"). The `gpu` scale is a guess, not yet measured.

During training the four QA accuracies are probed every `train.eval_every` steps on 200 questions per
kind and half (teacher-forced exact match, which equals the greedy verdict): the curves show forward QA on
P_test rising with P_train while inverse search on P_test stays at ≈ 0 as inverse search on P_train is
learned (cpu scale, seeds 0-2: 0.91-0.93 on P_train at step 800, 0.000 on P_test at every probe).

What mattered at this scale: every document starts with a space (GPT-2's `add_prefix_space`), so a first
name is the same token at the start of a biography as inside a question. Without it, forward QA on P_test
stayed at 0.51-0.66 across model depth, learning rate, weight decay, batch size, steps, template count
and QA share (N = 300-500), while P_train QA was fitted at 1.0; with it, 0.96-0.98 (0.955 with the
CPU speed-ups of issue 8, whose rounding differs).

The schedule (issue 18: the run had to fit in 5 minutes on 2 cores). Inverse search on P_train, the
sanity check that the failure on P_test is not one of capacity, is what is learned last: it needs about
25-30 exposures of each inverse question, while forward QA on P_test is above 0.8 after 500 steps.
Seed 0, whole runs on an Intel Xeon (Ice Lake, 2 cores, no native bf16: fp32; the VM's host took 2-15%
of its CPU time), `/usr/bin/time -v`:

| config                                   | seed | wall | max RSS | fwd P_test | inv P_test | fwd P_train | inv P_train | verdict      |
|------------------------------------------|------|------|---------|------------|------------|-------------|-------------|--------------|
| 1400 steps, qa_repeats 1 (before)        | 0    | 8:36 | 752 MB  | 0.944      | 0.000      | 0.998       | 0.840       | reproduced   |
| 800 steps, qa_repeats 1                  | 0    | 4:50 | 687 MB  | 0.885*     | 0.000*     | 1.000*      | 0.090*      | inconclusive |
| 800 steps, qa_repeats 2                  | 0    | 3:37 | 708 MB  | 0.907      | 0.000      | 0.999       | 0.872       | reproduced   |
| 800 steps, qa_repeats 2                  | 1    | 3:21 | 735 MB  | 0.887      | 0.000      | 0.997       | 0.304       | inconclusive |
| 800 steps, qa_repeats 2                  | 2    | 3:08 | 695 MB  | 0.914      | 0.000      | 0.999       | 0.868       | reproduced   |
| 800 steps, qa_repeats 3 (the cpu scale)  | 0    | 3:38 | 720 MB  | 0.893      | 0.000      | 1.000       | 0.912       | reproduced   |
| 800 steps, qa_repeats 3 (the cpu scale)  | 1    | 3:25 | 736 MB  | 0.855      | 0.000      | 1.000       | 0.920       | reproduced   |
| 800 steps, qa_repeats 3 (the cpu scale)  | 2    | 4:03 | 711 MB  | 0.888      | 0.000      | 1.000       | 0.936       | reproduced   |
| the same, bf16 forced (emulated: slow)   | 0    | 8:02 | 693 MB  | 0.907      | 0.000      | 1.000       | 0.952       | reproduced   |
| the cpu scale, AMD EPYC, bf16 (native)   | 0    | 2:19 | 737 MB† | 0.817      | 0.000      | 0.999       | 0.924       | reproduced   |
| the cpu scale, AMD EPYC, bf16 (native)   | 1    | 2:14 | 737 MB† | 0.885      | 0.000      | 1.000       | 0.976       | reproduced   |
| the cpu scale, AMD EPYC, bf16 (native)   | 2    | 2:12 | 737 MB† | 0.869      | 0.000      | 1.000       | 0.976       | reproduced   |
| the same, rerun (`--seeds 3`, 385 s)    | 0    | 2:16 | 735 MB† | 0.817      | 0.000      | 0.999       | 0.924       | reproduced   |
| the same, rerun                          | 1    | 2:13 | 735 MB† | 0.885      | 0.000      | 1.000       | 0.976       | reproduced   |
| the same, rerun                          | 2    | 1:53 | 735 MB† | 0.869      | 0.000      | 1.000       | 0.976       | reproduced   |
| after the rotary floor (issue 21), AMD EPYC, bf16, `--seeds 3` in 6:42 | 0 | — | 727 MB† | 0.926 | 0.000 | 1.000 | 0.964 | reproduced |
| the same                                 | 1    | —    | 727 MB† | 0.909      | 0.000      | 0.999       | 0.968       | reproduced   |
| the same                                 | 2    | —    | 727 MB† | 0.858      | 0.000      | 1.000       | 0.996       | reproduced   |

(* the in-training probe at step 800, 200 questions per kind. † the peak of the whole group, `--seeds 3`:
reproduced 3/3 in 409 s, and in 385 s with the same values when rerun, issue 20.) With one copy per epoch, 800 steps give 17
exposures of each inverse question and inverse search on P_train stays at 0.09; two copies give 30 in 15
epochs, as 1400 steps did with one, but when inverse search starts to be learned varies by seed (seed 1:
0.01 at step 500 against 0.115 for seed 0) and seed 1 ended at 0.304; three copies give 39 in 13 epochs,
and forward QA on P_test, with fewer passes over the biographies (65 instead of 150), stays above 0.85.
The thresholds are the recipe's, unchanged. On an AMD EPYC with native bf16 (bf16 autocast) the 1400-step
schedule had taken 3:32 and 636 MB after the bf16 work of issue 18, inverse P_train 0.568.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import bios, qa_eval, train
from phys.stages.bios import BiosConfig
from phys.stages.qa_eval import EvalConfig
from phys.stages.train import TrainConfig

RECIPE = Recipe(
    name="reversal_curse",
    part="3.2",
    title="Reversal curse: no inverse knowledge search",
    claim="A model that answers 'What is the birth city of X?' for people it only read biographies of "
          "cannot answer 'Who was born on <date> in <city>?' for them: inverse search stays at ~0%.",
    stages=(
        Stage("data", bios.run, version=4, config=BiosConfig(n_people=500, augmentation="multi5+permute",
                                                         inverse_tasks=("birth_to_full",))),
        Stage("train", train.run, TrainConfig(), version=train.VERSION, deps=("data",), device_sensitive=True),
        Stage("evaluate", qa_eval.run, EvalConfig(), version=qa_eval.VERSION, deps=("data", "train")),
    ),
    checks=(
        Check("forward QA works on unseen people", "forward_test_acc", ">=", 0.8,
              paper="96.6% (multi5+permute, [3.1] Result 3)"),
        Check("inverse search fails on unseen people", "inverse_test_acc", "<=", 0.05,
              paper="≈ 0% for all bioS augmentations ([3.2] Result 7)"),
        Check("the model fit its training QA", "forward_train_acc", ">=", 0.8, paper="≈ 100%", role="sanity",
              description="without it the run cannot judge the claim"),
        Check("inverse search is fitted on P_train", "inverse_train_acc", ">=", 0.5,
              paper="fitted on P_train, ≈ 0% on P_test", role="sanity",
              description="so the failure on P_test is one of generalization, not of capacity"),
    ),
    scales={
        "smoke": {"data.n_people": 40, "train.n_layer": 2, "train.n_embd": 64, "train.batch_size": 16,
                  "train.steps": 30, "train.ckpt_every": 10, "train.log_every": 5, "train.eval_every": 10},
        "cpu": {"data.qa_repeats": 3, "train.steps": 800},
        "gpu": {"data.n_people": 10_000, "train.n_layer": 8, "train.n_head": 8, "train.n_embd": 512,
                "train.block_size": 512, "train.batch_size": 96, "train.steps": 20_000, "train.lr": 1e-3,
                "train.warmup_frac": 0.05, "train.ckpt_every": 1000, "train.log_every": 100,
                "train.eval_every": 1000},
        "paper": {"data.n_people": 100_000, "data.inverse_tasks": ("birth_to_full", "all_to_full"),
                  "train.n_layer": 12, "train.n_head": 12, "train.n_embd": 768, "train.block_size": 512,
                  "train.batch_size": 96, "train.steps": 80_000, "train.lr": 1e-3, "train.warmup_frac": 0.0125,
                  "train.ckpt_every": 2000, "train.log_every": 200, "train.eval_every": 4000},
    },
    paper_numbers={
        "inverse search on P_test, all 16 bioS augmentations": "≈ 0%",
        "forward QA on P_test, multi5+permute": "96.6%",
        "majority baseline, company city": "13.7%",
    },
    estimates={"smoke": "6 s on 2 CPU cores", "cpu": "4 min on 2 CPU cores (Intel Xeon, fp32)", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
)
