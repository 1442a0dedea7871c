"""The stages of the capacity recipes (Part 3.3): a population, training counted in exposures, and bits.

  `data`   (`PopulationConfig`)  population.json (kind, shape, seed, the knowledge in bits, the tokens the
                                 data uses), tokenizer.json, samples.txt (a few paragraphs to read)
  `train`  (`CapacityTrainConfig`) a GPT trained on the population rendered afresh at every exposure
                                 (`phys.science.data.population`); the steps follow from `exposures`;
                                 curve.json: bits/param against steps (`eval_every`), and `late_gain`
  `bits`   (`BitsConfig`)        p1, p2, p3 on a fresh exposure, the bits stored, P, bits per parameter

Torch-free at import, like every stage module: the science is `phys.science.data.population`, `phys.science.capacity`,
`phys.science.bits` and `phys.science.train`, imported when a stage runs.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Mapping

from phys.stages.context import StageContext, data_parallel, previewable, produces, steps_from_data
from phys.errors import PhysError
from phys.science.config import Mlp
from phys.stages.train import TRAIN_RESULT, TrainConfig


@dataclass(frozen=True)
class PopulationConfig:
    kind: Literal["bioD", "bioS", "bioS_simple"] = "bioD"
    """bioD(N, K, C, D, L, T); bioS(N) (fresh templates and order at every exposure, multi∞+permute); or
    bioS_simple(N) (one fixed biography per person)."""
    n_people: int = 500
    """People N."""
    K: int = 4
    """bioD: attributes per person."""
    C: int = 6
    """bioD: chunks per value."""
    D: int = 16
    """bioD: distinct chunks per attribute (the diversity set)."""
    L: int = 1
    """bioD: tokens per chunk."""
    T: int = 256
    """bioD: the chunk vocabulary."""
    name_pool: int = 0
    """First, middle and last names drawn from the first `name_pool` of each pool (0 = all 400 / 400 / 1000);
    N0, the number of possible names, follows."""

    def __post_init__(self) -> None:
        if self.n_people < 1 or self.name_pool < 0:
            raise ValueError("n_people must be >= 1 and name_pool >= 0")
        if self.kind == "bioD" and min(self.K, self.C, self.D, self.L, self.T) < 1:
            raise ValueError("bioD needs K, C, D, L, T >= 1")
        if self.kind == "bioD" and self.D > self.T ** self.L:
            raise ValueError(f"bioD needs D <= T^L distinct chunks (D={self.D}, T^L={self.T ** self.L})")
        from phys.science.data.pools import name_space

        if self.n_people > name_space(self.name_pool) // 2:
            raise ValueError(f"n_people={self.n_people} needs more names than name_pool={self.name_pool} gives "
                             f"({name_space(self.name_pool)})")


SAMPLE, EXPOSURE, PROBE, BITS, JUNK, FIXED_JUNK = 6, 1, 2, 3, 4, 5
"""Random stream tags: exposure e's paragraphs come from `default_rng([seed, e, EXPOSURE])`, and so on. The
tag is last and never 0 (numpy ignores trailing zeros: `[seed, 0]` would replay `default_rng(seed)`)."""


def stream(seed: int, exposure: int, tag: int) -> Any:
    import numpy as np

    return np.random.default_rng([seed, exposure, tag])


def build_population(cfg: PopulationConfig, seed: int) -> Any:
    from phys.science.data.population import build

    return build(cfg.kind, cfg.n_people, seed, K=cfg.K, C=cfg.C, D=cfg.D, L=cfg.L, T=cfg.T, name_pool=cfg.name_pool)


def load_population(folder: Path) -> Any:
    """The population a `data` stage made, rebuilt from its config and seed (a pure function of both)."""
    from phys.science.data.tokenizer import Tokenizer

    meta = json.loads((folder / "population.json").read_text())
    population = build_population(PopulationConfig(**meta["config"]), meta["seed"])
    if population.tokenizer.vocab != Tokenizer.load(folder / "tokenizer.json").vocab:
        raise PhysError(f"the population in {folder} no longer rebuilds as it was made",
                        hint="the generator changed: bump the data stage's version and run again")
    return population


POPULATION_STATS = ("people", "max_bits", "used_tokens", "vocab", "doc_tokens", "max_doc_tokens")


def data_metrics(cfg: PopulationConfig, upstream: Mapping[str, Any]) -> set[str]:
    return {f"data_{k}" for k in POPULATION_STATS}


@produces(data_metrics)
@previewable
def data(ctx: StageContext) -> dict[str, Any]:
    import numpy as np

    cfg: PopulationConfig = ctx.config
    population = build_population(cfg, ctx.seed)
    docs = population.render(stream(ctx.seed, 0, SAMPLE)).docs
    stats = {"people": cfg.n_people, "max_bits": round(population.max_bits(), 1),
             "used_tokens": population.used_tokens(), "vocab": len(population.tokenizer),
             "doc_tokens": round(float(np.diff(docs.offsets).mean()), 1), "max_doc_tokens": population.max_tokens()}
    (ctx.out / "population.json").write_text(json.dumps(
        {"config": dataclasses.asdict(cfg), "seed": ctx.seed, **stats}, indent=1))
    population.tokenizer.save(ctx.out / "tokenizer.json")
    samples = [population.tokenizer.decode(docs.tokens[docs.offsets[i] : docs.offsets[i + 1]])
               for i in range(min(3, len(docs)))]
    (ctx.out / "samples.txt").write_text("\n".join(samples) + "\n")
    ctx.log(", ".join(f"{k} {v}" for k, v in stats.items()) + f"; e.g.{samples[0]}")
    return {f"data_{k}": v for k, v in stats.items()}


@dataclass(frozen=True)
class CapacityTrainConfig(TrainConfig):
    """`TrainConfig` counted in exposures, with the MLP kinds of [3.3 Results 5–7]."""

    steps: int = 0
    """Optimizer steps; 0 = as many as `exposures` take (exposures x windows per exposure / batch)."""
    exposures: int = 1000
    """Times each person's paragraph is seen, each time rendered afresh (bioD, bioS) [3.3 §2.2]."""
    mlp: Mlp = "gelu"
    """GPT-2's MLP, LLaMA's gated MLP, or none (attention only)."""
    mlp_ratio: float = 4.0
    """MLP hidden width / n_embd (1 = the paper's 1/4-size MLP)."""
    junk_ratio: int = 0
    """Junk paragraphs per useful one at every exposure (7: 1/8 of the tokens useful [3.3 Results 10–12]);
    junk people are like the useful ones, never named like them, and windows are all useful or all junk."""
    junk_people: int = 0
    """0: fresh junk people at every exposure (the paper's N' = 100M: a junk person is rarely seen twice;
    with a small name pool a junk *name* recurs, with new facts each time); k: a fixed junk population of k
    people, seen over and over (repetitive junk, Result 11)."""
    domain_token: bool = False
    """Prepend `<domain>` to every useful paragraph (Result 12: "wikipedia.org")."""

    _positive: ClassVar[tuple[str, ...]] = tuple(n for n in TrainConfig._positive if n != "steps")

    def model_fields(self) -> dict[str, Any]:
        return {**super().model_fields(), "mlp": self.mlp, "mlp_ratio": self.mlp_ratio}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.steps < 0 or self.exposures < 1 or self.mlp_ratio <= 0:
            raise ValueError("steps must be >= 0, exposures >= 1 and mlp_ratio > 0")
        if self.junk_ratio < 0 or self.junk_people < 0:
            raise ValueError("junk_ratio and junk_people must be >= 0")
        if self.junk_people and not self.junk_ratio:
            raise ValueError("junk_people needs junk_ratio > 0 (junk paragraphs per useful one)")


def train_metrics(cfg: CapacityTrainConfig, upstream: Mapping[str, Any]) -> set[str]:
    curve = {"late_gain"} if cfg.eval_every else set()
    return (set(TRAIN_RESULT) - {"params"}) | {"all_params", "steps", "exposures"} | curve


TRAIN_VERSION = 2
"""The `Stage.version` of the capacity cells' training. 2: it keeps its bits/param curve (curve.json) and
returns `late_gain`."""

LATE = 0.1
"""The last tenth of training, over which `late_gain` is counted. Not the last fifth: the cosine schedule's
decay lifts bits/param ~10% over it even when twice the exposures store no more (the cpu width-16 cell:
1.79 / 1.70 bits/param after 1000 exposures, seeds 0 / 1; 1.77 after 2000, its last fifth still +8.5%)."""


class Curve:
    """bits/param against steps, as the training's probe logs them, kept in the stage's folder (curve.json)
    so a resumed training keeps the points before its checkpoint (and drops those after it, as the run's
    metrics do). `late_gain`: the share of the final bits/param gained over the last tenth of the steps —
    0.1 for a line still rising steadily, near 0 once the curve has flattened."""

    def __init__(self, ctx: StageContext) -> None:
        self.ctx, self.path = ctx, ctx.out / "curve.json"
        self.points: dict[int, float] = ({int(k): v for k, v in json.loads(self.path.read_text()).items()}
                                         if self.path.exists() else {})

    def metrics(self, step: int, **values: Any) -> None:
        if "bits_per_param" in values:
            self.points[step] = values["bits_per_param"]
            self.path.write_text(json.dumps(self.points))
        self.ctx.metrics(step=step, **values)

    def trim(self, step: int) -> None:
        self.points = {k: v for k, v in self.points.items() if k <= step}
        self.path.write_text(json.dumps(self.points))
        self.ctx.trim_metrics(step)


def late_gain(points: Mapping[int, float], steps: int) -> float | None:
    """(final − the last point at or before `1 − LATE` of the steps) / final, from {step: bits/param}; None
    without both points or when the final value is not positive (nothing stored: no curve to read)."""
    final = points.get(steps)
    before = [k for k in points if k <= (1 - LATE) * steps]
    if final is None or final <= 0 or not before:
        return None
    return round((final - points[max(before)]) / final, 4)


def exposures_stream(cfg: CapacityTrainConfig, population: Any, seed: int, name: str) -> tuple[Any, int, bool]:
    """(exposure(e) -> the documents of exposure e, a pure function of (seed, e); the windows of one exposure;
    whether windows are pure: useful or junk, not both), PhysError where the config cannot train (a paragraph
    longer than the window, more fresh junk people than names)."""
    from phys.science.data.packing import PackedStream
    from phys.science.data.pools import name_space

    tokenizer = population.tokenizer
    n_junk = cfg.junk_ratio * population.n_people
    if not cfg.junk_people and n_junk and population.n_people + n_junk > name_space(population.shape.name_pool) // 2:
        raise PhysError(f"{name}: {n_junk} fresh junk people per exposure need more names than the pool has",
                        hint="lower junk_ratio, use junk_people, or raise data.name_pool")
    fixed_junk = population.junk(cfg.junk_people, stream(seed, 0, FIXED_JUNK)) if cfg.junk_people else None

    def exposure(e: int):  # every paragraph of exposure e: a pure function of (seed, e)
        useful = useful_paragraphs(population, stream(seed, e, EXPOSURE), cfg.domain_token)
        if not n_junk:
            return useful.docs
        rng = stream(seed, e, JUNK)
        if fixed_junk is None:
            junk = population.junk(n_junk, rng).render(rng).docs
        else:  # the same few people again and again, each keeping their person id
            junk = concat([fixed_junk.render(rng).docs for _ in range(-(-n_junk // cfg.junk_people))], limit=n_junk,
                          same_people=True)
        return concat([useful.docs, junk], groups=(0, 1))

    longest = population.max_tokens() + cfg.domain_token + 1  # + <eos>
    if longest > cfg.block_size:
        raise PhysError(f"{name}.block_size={cfg.block_size} is shorter than a paragraph can be ({longest} "
                        "tokens with its <eos>)", hint=f"use --set {name}.block_size={longest} or more")
    pure = n_junk > 0
    per_exposure = PackedStream(exposure, cfg.block_size, cfg.batch_size, seed, tokenizer.eos_id,
                                tokenizer.pad_id, pure_groups=pure).windows_per_epoch()
    return exposure, per_exposure, pure


def train_steps(cfg: CapacityTrainConfig, per_exposure: int) -> int:
    return cfg.steps or math.ceil(cfg.exposures * per_exposure / cfg.batch_size)


def budget_steps(cfg: CapacityTrainConfig, data: Path, seed: int) -> int:
    """The steps `train` will take on the population in `data` (`phys.core.budget`: one exposure packed)."""
    population = load_population(data)
    return train_steps(cfg, exposures_stream(cfg, population, seed, "train")[1])


@produces(train_metrics)
@steps_from_data(budget_steps)
@data_parallel
def train(ctx: StageContext) -> dict[str, Any]:
    from phys.science.train import train as run_training

    cfg: CapacityTrainConfig = ctx.config
    population = load_population(ctx.inputs["data"])
    tokenizer = population.tokenizer
    exposure, per_exposure, pure = exposures_stream(cfg, population, ctx.seed, ctx.name)
    steps = train_steps(cfg, per_exposure)
    ctx.log(f"{cfg.exposures} exposures of {population.n_people} people: {per_exposure} windows each, {steps} steps")
    (ctx.out / "format.json").write_text(json.dumps({"domain_token": cfg.domain_token}))  # for the bits stage
    curve = Curve(ctx)
    hooks = dataclasses.replace(ctx, metrics=curve.metrics, trim_metrics=curve.trim)
    result = run_training(dataclasses.replace(cfg, steps=steps), exposure, tokenizer, ctx.out, ctx.seed, ctx.device,
                          hooks, probe=_bits_probe(ctx, population), pure_groups=pure)
    result["all_params"] = result.pop("params")  # `params` is the bits stage's P (unused embedding rows left out)
    late = {"late_gain": late_gain(curve.points, steps)} if cfg.eval_every else {}
    return {**result, "steps": steps, "exposures": round(steps * cfg.batch_size / per_exposure, 2), **late}


def useful_paragraphs(population: Any, rng: Any, domain_token: bool) -> Any:
    """One exposure of the population, each paragraph after `<domain>` when the model was trained so."""
    from phys.science.data.population import DOMAIN, with_domain

    rendered = population.render(rng)
    return with_domain(rendered, population.tokenizer.index[DOMAIN]) if domain_token else rendered


def concat(docs: list[Any], groups: tuple[int, ...] | None = None, limit: int | None = None,
           same_people: bool = False) -> Any:
    """Documents one after another, the first `limit`, part i in group `groups[i]`; person ids renumbered
    apart, unless `same_people` (copies of one population: a person never shares a window with itself)."""
    import numpy as np

    from phys.science.data.packing import Docs

    tokens, offsets, person, group, shift, base = [], [np.zeros(1, dtype=np.int64)], [], [], 0, 0
    for i, d in enumerate(docs):
        tokens.append(np.asarray(d.tokens))
        offsets.append(np.asarray(d.offsets)[1:] + shift)
        person.append(np.asarray(d.person) + base)
        group.append(np.full(len(d), groups[i] if groups else 0, dtype=np.int8))
        shift, base = shift + int(d.offsets[-1]), base + (0 if same_people else len(d))
    n = sum(len(d) for d in docs) if limit is None else limit
    offsets_all = np.concatenate(offsets)[: n + 1]
    return Docs(np.concatenate(tokens)[: offsets_all[-1]], offsets_all, np.zeros(n, dtype=np.int32),
                np.concatenate(person)[:n].astype(np.int32), np.concatenate(group)[:n])


def _bits_probe(ctx: StageContext, population: Any) -> Any:
    """bits per parameter during training, on one fixed exposure (`eval_every` steps; 0 = off)."""
    if not ctx.config.eval_every:
        return None
    from phys.science.capacity import measure

    domain = ctx.config.domain_token
    rendered = useful_paragraphs(population, stream(ctx.seed, 0, PROBE), domain)  # (bioS^simple: the trained one)
    used = json.loads((ctx.inputs["data"] / "population.json").read_text())["used_tokens"] + domain

    def probe(model: Any) -> dict[str, float]:
        was_training = model.training
        result = measure(model, population, rendered, used, ctx.device)
        model.train(was_training)
        return {"bits_per_param": result["bits_per_param"], "stored_fraction": result["stored_fraction"]}

    return probe


@dataclass(frozen=True)
class BitsConfig:
    model: str = "train"
    """The upstream stage whose model.pt is measured."""
    quantize: Literal["none", "int8", "int4"] = "none"
    """Round-to-nearest weight quantization before counting (`phys.science.quantize`; the paper used GPTQ). Results
    are then named `<metric>_<quantize>`, with `<quantize>_ratio`: quantized bits / float bits."""

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model must name an upstream stage")


MEASURE = ("p1", "p2", "p3", "bits", "max_bits", "params", "bits_per_param", "max_bits_per_param", "stored_fraction")
"""The keys of `phys.science.capacity.measure`."""


def bits_metrics(cfg: BitsConfig, upstream: Mapping[str, Any]) -> set[str]:
    if cfg.quantize == "none":
        return set(MEASURE)
    return {f"{k}_{cfg.quantize}" for k in MEASURE} | {f"{cfg.quantize}_ratio"}


@produces(bits_metrics)
def bits(ctx: StageContext) -> dict[str, Any]:
    from phys.science.capacity import measure
    from phys.science.train import load_model

    cfg: BitsConfig = ctx.config
    folder = ctx.inputs["data"]
    population = load_population(folder)
    trained = ctx.upstream(cfg.model, f"{ctx.name}.model")
    model = load_model(trained, ctx.device)
    domain = json.loads((trained / "format.json").read_text())["domain_token"] if (trained / "format.json").exists() \
        else False
    used = json.loads((folder / "population.json").read_text())["used_tokens"] + domain  # + <domain> where trained
    rendered = useful_paragraphs(population, stream(ctx.seed, 0, BITS), domain)  # a fresh exposure
    result = measure(model, population, rendered, used, ctx.device)
    if cfg.quantize != "none":
        from phys.science.quantize import quantize_rtn

        full = result
        result = measure(quantize_rtn(model, int(cfg.quantize[3:])), population, rendered, used, ctx.device)
        result["ratio"] = round(result["bits"] / full["bits"], 4) if full["bits"] > 0 else None  # unmeasured
    (ctx.out / "bits.json").write_text(json.dumps(result, indent=1))
    ctx.log(f"{result['bits']:.0f} of {result['max_bits']:.0f} bits in {result['params']} parameters: "
            f"{result['bits_per_param']:.3f} bits/param" + (f" ({cfg.quantize})" if cfg.quantize != "none" else ""))
    if cfg.quantize == "none":
        return result
    ratio = result.pop("ratio")
    return {**{f"{k}_{cfg.quantize}": v for k, v in result.items()}, f"{cfg.quantize}_ratio": ratio}
