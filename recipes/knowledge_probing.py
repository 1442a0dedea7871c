"""Where knowledge is stored: P-probing and Q-probing — Part 3.1 (arXiv 2309.14316), Results 4–5.

Setup (as in [3.1 §5]): BIO pretraining of two models, on `single` and on `multi5+permute` biographies of
the same people; then probes on the frozen models (`phys.stages.probing`). P-probing asks, at the token
just before each attribute of a biography, which value every attribute has; Q-probing asks it at the end
of the bare name. Baseline arm `random`: the multi5+permute model's shape with random weights ([2.1]'s
control). The paper: after single pretraining an attribute is readable only right before the model
writes it (company name 2% earlier, 100% there): the facts are stored as a chain along the biography,
which QA cannot use. After multi5+permute, every attribute is readable from the first position and from
the name alone (Q-probing ≈ QA accuracy): the facts are stored on the name, where QA finds them.

Deviations at the `cpu` scale (2 cores): N = 500 people with 16 values per attribute pool (cities,
universities, majors, companies; the paper's pools have 100–300) so that the probes' training people have
seen every class; a 4-layer 128-wide GPT2, 1,200 pretraining steps; word-level tokenizer; one shared
embedding update for all attributes (the paper: one probe per task).
The probes, redesigned in issue 21 from the measurements below:
- the Q-probe reads an `<eos>` after the name (`probe.q_end`, the paper's `<end>`), as the gpu scale;
- the embedding update leaves the name tokens' rows fixed (`probe.fix_names`). With 500 people most last
  names belong to one person (384 distinct last names, 287 of them one person's), so a rank-16 update of
  every row memorises the 250 training people through their names: train 0.99–1.00, test 0.115 (chance
  0.065). The paper's 100,000 people share names drawn from pools of hundreds, where no row can do that;
  with the names fixed the Q-probe's update is a query at `<end>`, as there;
- 600 P-probe and 1,000 Q-probe steps (`probe.steps`, `probe.q_steps`; the paper: 30,000 each), where the
  300 of before left both probes unfit (P train 0.72 on multi5+permute);
- the probes train on 400 of the 500 people (`probe.train_fraction` 0.8; the paper: half of 100,000). At 250
  training people (≈ 15 per class of a 16-way head) the Q-probe fits them all (train 1.00) and generalises
  by seed: +0.290 / +0.080 / +0.137 over single (seeds 0 / 1 / 2, the first 3-seed run below); at 400 it
  generalises on every seed (table). The P-probe is scored on the other 100 people;
- the Q-probe is cross-fitted (`probe.q_folds` 5, issue 21's last step): five probes, each trained on 400
  people and scored on the other 100, so all 500 are scored once. One split of 100 scored people left the Q
  gap ≈ ±0.1 of the probe's own randomness (below), and the held-out seed failed by 0.020. Five folds cost
  four more Q-probes (34–39 s each) on the trained arms; the random-weights arm keeps one split
  (`probe_random.q_folds` 0: no check reads its Q-probe).
The thresholds (0.3 for P-probing's gaps, 0.2 for Q-probing's, 0.5 for the sanity check) are the ones set
before any of these runs, between "no effect" (0) and the paper's ≈ 1.0 / 0.87 gaps; none was changed. The
probe design was chosen on the pretrained models of seeds 0–2, which the verdicts below reuse, so seed 3
was run afterwards as a held-out check of the design.

Per-layer linear probes on cached activations add the layer picture the paper draws for iGSM ([2.1]); they
read the name's last token and, unlike the embedding probe, cannot adapt to an `<end>` token.

The `gpu` and `paper` scales train one probe per attribute (`probe.per_task`) with every embedding row free,
as the paper (their names are shared by many people: 10,000 or 100,000 people, full pools).

Probe experiments on the two pretrained models of seed 0 (seeds 1 and 2 where a row says so; issue 21,
Intel Xeon, fp32; chance 0.05–0.08; the Q-probe's test and train accuracy, multi5+permute vs single; a
script calling the stage's probe on the cached models, not recipe runs; for the Q-probe "only `<end>`'s row
moves" is what `--set probe.fix_names=true` does, so a row is rerun with that, `probe.q_steps` and
`probe.train_fraction` on the cached models in a few minutes):

| Q-probe (rank 16, batch 200) | steps | multi5+permute test / train | single test / train | gap |
|---|---|---|---|---|
| every row free, `<eos>` after the name | 300 | 0.115 / 0.991 | 0.077 / 0.953 | +0.038 |
| every row free, `<unk>` as `<end>` | 1,500 | 0.116 / 1.000 | 0.091 / 1.000 | +0.025 |
| only `<end>`'s row moves (`<eos>`) | 150 | 0.127 / 0.358 | 0.099 / 0.233 | +0.028 |
| only `<end>`'s row moves (`<eos>`) | 300 | 0.269 / 0.787 | 0.110 / 0.517 | +0.159 |
| only `<end>`'s row moves, `<unk>` (never in training) as `<end>` | 300 | 0.216 / 0.758 | 0.107 / 0.569 | +0.109 |
| only `<end>`'s row moves, 400 training people (100 scored) | 300 | 0.332 / 0.686 | 0.105 / 0.416 | +0.227 |
| only `<end>`'s row moves (`<eos>`) | 600 | 0.376 / 0.986 | 0.135 / 0.783 | +0.241 |
| only `<end>`'s row moves (`<eos>`) | 1,000 | 0.415 / 1.000 | 0.125 / 0.954 | +0.290 |
| only `<end>`'s row moves (`<eos>`) | 1,500 | 0.365 / 1.000 | 0.115 / 0.997 | +0.250 |
| only `<end>`'s row moves (`<eos>`) | 3,000 | 0.431 / 1.000 | 0.136 / 1.000 | +0.295 |
| only `<end>`'s row moves, 400 training people (100 scored) | 1,000 | 0.582 / 0.993 | 0.155 / 0.717 | +0.427 |
| seed 1: only `<end>`'s row moves | 1,000 | 0.238 / 0.999 | 0.138 / 0.965 | +0.100 |
| seed 1: the same, weight decay 3.0 (instead of 0.3) | 1,000 | 0.299 / 0.877 | 0.149 / 0.707 | +0.150 |
| seed 1: the same, lr 3e-3 (instead of 1e-3) | 1,000 | 0.243 / 1.000 | 0.132 / 1.000 | +0.111 |
| seed 1: 400 training people (100 scored) | 1,000 | 0.537 / 0.982 | 0.180 / 0.751 | +0.357 |
| seed 2: 400 training people (100 scored) | 1,000 | 0.462 / 0.975 | 0.142 / 0.735 | +0.320 |

Greedy decoding of every value's first token from its biography prefix is 1.000 for every attribute in both
models: both memorised their biographies; what differs is where the facts can be read. The recipe runs
(`--seed 0 --set probe.q_end=true --set probe.fix_names=true --set probe.q_steps=1000`, then `--set
probe.steps=600`; probe stages 92 s, then ≈ 120 s each):

| P-probe steps | P before: multi5+permute / single / random | P train (multi5+permute) | P at (single) | Q: multi5+permute / single / random |
|---|---|---|---|---|
| 300, names free (the run below, q_end) | 0.380 / 0.130 / 0.071 | — | 0.769 | 0.125 / 0.089 / 0.073 |
| 300, names fixed | 0.406 / 0.134 / 0.070 | 0.717 | 0.823 | 0.369 / 0.139 / 0.070 |
| 600, names fixed (the cpu scale) | 0.527 / 0.133 / 0.071 | 0.892 | 0.785 | 0.369 / 0.139 / 0.070 |

The verdict runs with one split for both probes (before cross-fitting), `phys run recipe knowledge_probing
--scale cpu --seeds 3` (issue 21, Intel Xeon, fp32; the pretrained models cached from the runs above, each
seed's stages computed: pretraining 4:14–4:49 a model, probe stages 104–134 s): **reproduced 3/3** —

| seed | P before: multi5+permute / single / random | gap over single (≥ 0.3) | over random (≥ 0.3) | P at, single (sanity ≥ 0.5) | Q: multi5+permute / single (gap ≥ 0.2) | stages |
|---|---|---|---|---|---|---|
| 0 | 0.575 / 0.145 / 0.068 | +0.430 | +0.507 | 0.857 | 0.542 / 0.157 (+0.385) | 14:23 |
| 1 | 0.586 / 0.138 / 0.059 | +0.448 | +0.526 | 0.870 | 0.400 / 0.163 (+0.237) | 15:23 |
| 2 | 0.433 / 0.120 / 0.094 | +0.313 | +0.339 | 0.842 | 0.435 / 0.200 (+0.235) | 15:11 |

The paper's picture at a smaller size: after single pretraining attributes are read at 0.12–0.15 before they
are written (chance 0.06–0.09) and at 0.84–0.87 just before; after multi5+permute at 0.43–0.59 before, and
from the name alone at 0.40–0.54 (paper ≈ 100% and 96.6%). The margins are narrow in seed 2 (P +0.313) and
seeds 1–2 (Q +0.237 / +0.235): the same Q-probe on seed 1's models gave +0.357 in the script above and +0.237
in the stage (another initialisation of its heads), so a Q gap moves by ≈ ±0.1 with the probe's own
randomness at 100 scored people.

Held-out seed 3, run after the design was fixed (`phys run recipe knowledge_probing --scale cpu --seed 3`,
15:35 of stages): **not reproduced** — P-probing 0.509 vs single 0.120 (+0.389) vs random 0.054 (+0.455),
sanity 0.817, but Q-probing 0.348 vs single 0.168: **+0.180**, under the 0.2. So the Q-probing check passes on
the three seeds the design was chosen on and not on the fourth: at 100 scored people its gap carries the
probe's ≈ ±0.1. Hence the cross-fitted Q-probe, with the thresholds unchanged:

The verdict runs of the cpu scale as shipped (cross-fitted Q-probe), `phys run recipe knowledge_probing --scale
cpu --seeds 3` from an empty runs folder (issue 21, AMD EPYC, bf16; every stage computed: pretraining 2:53–3:27
a model, probe stages 251–280 s for the trained arms, 108–119 s for random weights): **reproduced 3/3** —

| seed | P before: multi5+permute / single / random | gap over single (≥ 0.3) | over random (≥ 0.3) | P at, single (sanity ≥ 0.5) | Q, all 500 scored: multi5+permute / single (gap ≥ 0.2) | stages |
|---|---|---|---|---|---|---|
| 0 | 0.567 / 0.133 / 0.068 | +0.434 | +0.499 | 0.860 | 0.481 / 0.144 (+0.337) | 16:35 |
| 1 | 0.562 / 0.136 / 0.059 | +0.426 | +0.502 | 0.882 | 0.548 / 0.158 (+0.391) | 17:21 |
| 2 | 0.540 / 0.135 / 0.094 | +0.404 | +0.446 | 0.865 | 0.427 / 0.184 (+0.243) | 16:33 |

Held-out seed 3, `phys run recipe knowledge_probing --scale cpu --seed 3` (the same machine, afterwards, 17:18 of
stages): **reproduced** — P-probing 0.531 vs single 0.141 (+0.390) vs random 0.053 (+0.478), sanity 0.878,
Q-probing 0.451 vs single 0.170 (+0.281). With one split it had failed Q by 0.020 (+0.180, Intel Xeon fp32,
above); cross-fitted it clears the 0.2 with the widest margin after seed 1's.
On seed 0's models (`--set probe.q_folds=5` against one split, the same pretrained models, AMD EPYC bf16) the
cross-fitted gap is +0.337 (0.481 / 0.144) against one split's +0.352 (0.487 / 0.135): the same effect, measured
on five times the people. The Q-probe's fit on its training people is 0.955–0.996 (multi5+permute) and
0.719–0.745 (single).

Earlier measurements, with the probes of before:

Measured at the cpu scale (seed 0, 10 min 24 s on 2 cores; 16 values per pool, chance 0.065). P-probing,
accuracy on attributes not yet written: multi5+permute 0.358 (company and company city 0.53), single 0.122,
random weights 0.070; just before the attribute: 0.761 (single), 0.672 (multi5+permute). Per layer
(linear probes), multi5+permute rises from 0.06 (layer 1) to 0.29 (layer 4) while single stays at
0.10–0.13. Q-probing: 0.123 vs 0.093 vs 0.077 (birth month 0.216 vs 0.128). The P-probing picture is the
paper's, with gaps (+0.236 over single, +0.288 over random) under the checks' 0.3; Q-probing barely
separates the models. Verdict: not reproduced. Tried afterwards on the same two pretrained models (probe
seed 7, not a recipe run): 1,500 probe steps, or lr 1e-2 for 300, widen the P-probing gap to +0.32 (0.435 /
0.440 vs 0.115 / 0.120) while the position-just-before accuracy drops (0.51–0.57: the embedding update
starts to fit the 250 training people); Q-probing stays at 0.109 / 0.124 vs 0.077 / 0.089. At this size
the last name token does not carry the attributes in a linearly readable form even after multi5+permute.

After the rotary floor, with the Q-probe reading an `<eos>` after the name as the paper
(`phys run recipe knowledge_probing --scale cpu --seed 0 --set probe.q_end=true`, Intel Xeon, fp32, 11:20 of
stages: pretraining 4:32 / 4:14, each probe stage 50–53 s): still **not reproduced**. P-probing before the
attribute: multi5+permute 0.380, single 0.130, random 0.071 (gaps +0.251 and +0.309); just before it: single
0.769, multi5+permute 0.695; Q-probing 0.125 vs 0.089 vs 0.073 (+0.036): reading after the name does not
help at 300 probe steps. One probe per attribute (`probe.per_task`) would cost ≈ 6 × 50 s per probe stage,
≈ 15 more minutes a seed: over the 20-minute bound as the stages are now.

With 6 templates per attribute, as knowledge_storage's data (issue 21; `--seed 0 --set
data.templates_per_attribute=6 --set probe.q_end=true`, Intel Xeon, fp32, 10:42, pretraining 4:06 a model,
each probe stage ≈ 49 s): still **not reproduced** — P-probing before the attribute 0.393 vs single 0.139
(+0.253) vs random 0.060 (+0.332); just before it 0.805 (single), 0.645 (multi5+permute); Q-probing 0.123 vs
single 0.162 (−0.039) vs random 0.062; the frozen linear Q-probe at layer 4 0.158 / 0.097 / 0.060. The
templates are not what keeps the name from carrying the attributes. Leads from a code audit, not yet measured:
the rank-16 embedding update can memorise the 250 training people through their one-token last names (log
the probe's train accuracy beside test's); 250 training people are ≈ 15 per class of a 16-way head
(`probe.train_fraction`); with `q_end` the end marker is the same `<eos>` as position 0.
"""

from phys.spec import Check, Recipe, Stage
from phys.stages import bios, probing, train
from phys.stages.bios import BiosConfig
from phys.stages.probing import ProbeConfig
from phys.stages.train import TrainConfig

from ._bios import STORED

ARMS = ("single", "multi5+permute")
POOL = 16


def arm_stages(arm: str) -> tuple[Stage, ...]:
    s = arm.replace("+", "_") + "_probing"
    return (
        Stage(f"data_{s}", bios.run, BiosConfig(n_people=500, augmentation=arm, mixed=False,
                                                              qa_attributes=(), inverse_tasks=(), pool_size=POOL),
              version=4, arm=arm, role="data"),
        Stage(f"pretrain_{s}", train.run, TrainConfig(steps=1200, eval_every=0), version=train.VERSION, deps=(f"data_{s}",),
              device_sensitive=True, arm=arm, role="pretrain"),
        Stage(f"probe_{s}", probing.run, ProbeConfig(), deps=(f"data_{s}", f"pretrain_{s}"),
              device_sensitive=True, arm=arm, role="probe"),
    )


RANDOM = Stage("probe_random", probing.run, ProbeConfig(random_init=True),
               deps=("data_multi5_permute_probing", "pretrain_multi5_permute_probing"), device_sensitive=True,
               arm="random", role="probe")


RECIPE = Recipe(
    name="knowledge_probing",
    part="3.1",
    title="P- and Q-probing: augmented data stores facts on the name",
    claim="After pretraining on single biographies an attribute is linearly readable only just before the "
          "model writes it; after multi5+permute it is readable from the first position and from the name "
          "alone, which is why only the latter model can answer questions.",
    stages=tuple(stage for arm in ARMS for stage in arm_stages(arm)) + (RANDOM,),
    checks=(
        Check("P-probing: attributes readable before they are written (multi5+permute vs single)",
              "pprobe_before@multi5+permute", ">=", 0.3, baseline="pprobe_before@single",
              paper="≈ 100% vs ≈ 2% (company name, early positions)"),
        Check("Q-probing: the name alone carries the attributes (multi5+permute vs single)", "qprobe_acc@multi5+permute",
              ">=", 0.2, baseline="qprobe_acc@single", paper="tracks QA: 96.6% vs 9.7%"),
        Check("a trained model beats random weights (P-probing, multi5+permute)", "pprobe_before@multi5+permute",
              ">=", 0.3, baseline="pprobe_before@random", paper="random init: near chance ([2.1] control)"),
        Check("the probe reads the attribute about to be written (single)", "pprobe_at@single", ">=", 0.5,
              paper="100% just before the attribute", role="sanity",
              description="the probe works where the answer is certainly present"),
    ),
    scales={
        "smoke": {"data.n_people": 60, "data.pool_size": 4, "pretrain.n_layer": 2, "pretrain.n_embd": 64,
                  "pretrain.batch_size": 16, "pretrain.steps": 40, "pretrain.ckpt_every": 20,
                  "pretrain.log_every": 10, "probe.steps": 20, "probe.linear_steps": 20, "probe.q_end": True, "probe.fix_names": True},
        "cpu": {"probe.q_end": True, "probe.fix_names": True, "probe.steps": 600, "probe.q_steps": 1000,
                "probe.train_fraction": 0.8, "probe.q_folds": 5, "probe_random.q_folds": 0},
        "gpu": {"data.n_people": 10_000, "data.pool_size": 0, "pretrain.n_layer": 8, "pretrain.n_head": 8,
                "pretrain.n_embd": 512, "pretrain.block_size": 512, "pretrain.batch_size": 96,
                "pretrain.steps": 20_000, "pretrain.lr": 1e-3, "pretrain.ckpt_every": 1000,
                "pretrain.log_every": 100, "probe.steps": 3_000, "probe.per_task": True, "probe.q_end": True},
        "paper": {"data.n_people": 100_000, "data.pool_size": 0, "pretrain.n_layer": 12,
                  "pretrain.n_head": 12, "pretrain.n_embd": 768, "pretrain.block_size": 512,
                  "pretrain.batch_size": 96, "pretrain.steps": 80_000, "pretrain.lr": 1e-3,
                  "pretrain.warmup_frac": 0.0125, "pretrain.ckpt_every": 2000, "pretrain.log_every": 200,
                  "probe.steps": 30_000, "probe.per_task": True, "probe.q_end": True},
    },
    paper_numbers={"P-probe, single, company name before its position": "≈ 2%",
                   "P-probe, multi5+permute, from the first position": "≈ 100%",
                   "Q-probe, multi5+permute (birth city, university, major, company, company city)":
                       "96.1, 72.6, 94.9, 99.6, 99.7% [community reading]"},
    estimates={"smoke": "20 s on 2 CPU cores", "cpu": "≈ 17 min on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=STORED,
)
