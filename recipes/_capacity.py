"""The Part 3.3 sweep the capacity recipes share (capacity_scaling, capacity_exposures, capacity_quantization,
junk_data): one data stage, a train → bits pair per cell (a model shape, the cell is its arm), the cells
at 100 exposures, and the settings of each scale.

Scales set every cell's training by role (`train.*`), so a cell added with `--arms` gets its scale's
sizes; a family of cells that differs (100 exposures, junk) sets its own cells by stage name, which wins
over the role.
"""

from dataclasses import replace

from phys.spec import Lints, Stage
from phys.stages import capacity
from phys.stages.capacity import BitsConfig, CapacityTrainConfig, PopulationConfig


AT_1000 = Lints(min_exposures={"train": 1000})
"""The 2 bits/param law holds at 1,000 exposures [3.3 Result 1]: a cell trained with fewer does not test it."""
AT_100 = Lints(min_exposures={"train": 100})
"""The fewest exposures of a capacity claim (the 100-exposure law, Result 4, and junk at 100, Result 10)."""


def slug(arm: str) -> str:
    """The stage-name form of a cell: `L2-d16` -> `l2_d16`."""
    return arm.lower().replace("-", "_")


def cell(arm: str, n_layer: int, n_embd: int, n_head: int, **train: object) -> tuple[Stage, ...]:
    """train → bits for one model shape (and `train` fields, e.g. exposures=100); the arm is the cell's name."""
    s = slug(arm)
    config = CapacityTrainConfig(n_layer=n_layer, n_embd=n_embd, n_head=n_head, block_size=98, batch_size=16, lr=2e-2,
                                 weight_decay=0.02, warmup_frac=0.02, eval_every=1000, ckpt_every=1000, log_every=100)
    return (
        Stage(f"train_{s}", capacity.train, replace(config, **train), version=capacity.TRAIN_VERSION, deps=("data",),
              device_sensitive=True, arm=arm, role="train"),
        Stage(f"bits_{s}", capacity.bits, BitsConfig(), deps=("data", f"train_{s}"), arm=arm, role="bits"),
    )


CPU_CELLS = {"L2-d12": (2, 12, 2), "L2-d16": (2, 16, 2), "L2-d20": (2, 20, 2), "L2-d24": (2, 24, 3),
             "L2-d32": (2, 32, 4), "L2-d48": (2, 48, 6), "L2-d64": (2, 64, 8)}
"""(layers, width, heads) of the cpu cells: 6- to 10-dim heads. The cpu scale runs the first four
(`CPU_LAW`), whose data (51k bits) holds 9.0 / 5.6 / 3.8 / 2.8 bits per parameter: each is capacity-limited."""
CPU_LAW = ("L2-d12", "L2-d16", "L2-d20", "L2-d24")
GPT2_CELLS = {f"GPT2-{layers}-{heads}": (layers, 64 * heads, heads)
              for layers, heads in ((2, 1), (2, 2), (4, 2), (4, 4), (8, 4), (2, 4), (4, 8), (8, 8), (12, 12))}
"""GPT2-ℓ-h of [3.3 §2.3]: ℓ layers, h heads of 64 dims."""
GPU_CELLS = ("GPT2-2-1", "GPT2-2-2", "GPT2-4-2", "GPT2-4-4", "GPT2-8-4")
PAPER_CELLS = ("GPT2-2-2", "GPT2-2-4", "GPT2-4-4", "GPT2-4-8", "GPT2-8-8", "GPT2-12-12")


POPULATION = PopulationConfig(kind="bioD", n_people=500, K=4, C=6, D=16, L=1, T=256, name_pool=30)
STAGES = (
    Stage("data", capacity.data, POPULATION),
    *(s for arm, shape in CPU_CELLS.items() for s in cell(arm, *shape)),
    *(s for arm, shape in GPT2_CELLS.items() for s in cell(arm, *shape)),
)

GPU_TRAIN = dict(block_size=512, batch_size=48, lr=1e-3, weight_decay=0.02, warmup_frac=0.01, eval_every=5000,
                 ckpt_every=2000, log_every=200)

GPU_E100_TRAIN = {**GPU_TRAIN, "batch_size": 12, "weight_decay": 0.01, "eval_every": 1000}


E100 = dict(exposures=100, eval_every=200)
VARIANTS = {"": {}, "-gated": {"mlp": "gated"}, "-mlp1": {"mlp_ratio": 1.0}, "-nomlp": {"mlp": "none"}}
"""Architecture variants: GPT2's MLP, the gated MLP, a 1/4-size MLP, no MLP."""


def variant_cells(base: str, shape: tuple[int, int, int]) -> dict[str, tuple]:
    """`<base>-gated`, `<base>-mlp1`, `<base>-nomlp` at 1000 exposures -> (shape, train fields) [Result 5]."""
    return {f"{base}{suffix}": (shape, fields) for suffix, fields in VARIANTS.items() if suffix}


CPU_VARIANTS = variant_cells("L2-d24", CPU_CELLS["L2-d24"])
GPU_VARIANTS = variant_cells("GPT2-2-2", GPT2_CELLS["GPT2-2-2"])


def e100_cells(base: str, shape: tuple[int, int, int], variants: bool) -> dict[str, tuple]:
    """`<base>-e100` (and its architecture variants) -> (shape, train fields)."""
    chosen = VARIANTS if variants else {"": {}}
    return {f"{base}-e100{suffix}": (shape, {**E100, **fields}) for suffix, fields in chosen.items()}


CPU_E100 = e100_cells("L2-d24", CPU_CELLS["L2-d24"], True)
GPU_E100 = {**e100_cells("GPT2-2-1", GPT2_CELLS["GPT2-2-1"], False),
            **e100_cells("GPT2-2-2", GPT2_CELLS["GPT2-2-2"], True)}
E100_CELLS = {**CPU_E100, **GPU_E100}


def train_keys(fields: dict[str, object]) -> dict[str, object]:
    """{"batch_size": 48} -> {"train.batch_size": 48}: every cell's training."""
    return {f"train.{k}": v for k, v in fields.items()}


def cell_keys(cells, **fields: object) -> dict[str, object]:
    """Fields of the training of `cells` only (by stage name: it wins over the role)."""
    return {f"train_{slug(c)}.{k}": v for c in cells for k, v in fields.items()}


SCALES: dict[str, dict[str, object]] = {
    "smoke": {"data.n_people": 40, "data.C": 2, **train_keys(dict(exposures=20, block_size=48, batch_size=8,
                                                                 ckpt_every=20, log_every=10, eval_every=20))},
    "cpu": {},
    "gpu": {"data.kind": "bioS", "data.n_people": 20_000, "data.name_pool": 0, **train_keys(GPU_TRAIN)},
    "paper": {"data.kind": "bioS", "data.n_people": 100_000, "data.name_pool": 0,
              **train_keys({**GPU_TRAIN, "batch_size": 192})},
}
"""capacity_scaling's scales: the 1000-exposure cells."""
E100_SCALES: dict[str, dict[str, object]] = {
    "smoke": {**SCALES["smoke"], **cell_keys(E100_CELLS, exposures=4)},
    "cpu": {},
    "gpu": {**SCALES["gpu"], **cell_keys(GPU_E100, **GPU_E100_TRAIN)},
    "paper": {**SCALES["paper"], **cell_keys(GPU_E100, **GPU_E100_TRAIN)},
}
"""capacity_exposures's scales: the 1000-exposure cells as above, the 100-exposure cells their own way."""
