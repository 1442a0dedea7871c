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
universities, majors, companies; the paper's pools have 100–300) so that a probe trained on 250 people has
seen every class — the probes are scored on the other 250; a 4-layer 128-wide GPT2, 1,200 pretraining
steps; probes of 300 steps (the paper: 30,000) with one shared embedding update for all attributes (the
paper: one probe per task); word-level tokenizer. Per-layer linear probes on cached activations add the
layer picture the paper draws for iGSM ([2.1]).

The `gpu` and `paper` scales train one probe per attribute (`probe.per_task`) and read the Q-probe at a
token after the name (`probe.q_end`), as the paper; the cpu scale does not yet: neither is measured at cpu
(issue 21 left them for the next session, with probes trained longer).

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
                  "pretrain.log_every": 10, "probe.steps": 20, "probe.linear_steps": 20},
        "cpu": {},
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
    estimates={"smoke": "20 s on 2 CPU cores", "cpu": "≈ 10 min on 2 CPU cores", "gpu": "not measured yet",
               "paper": "GPU-days (not measured)"},
    doc=__doc__ or "",
    lints=STORED,
)
