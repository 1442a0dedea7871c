"""A recipe's budget before it runs (`phys recipes check`): per training stage the model's parameters, the
tokens it trains on, passes over its data, exposures per person, and a wall-time estimate on this machine.

Parameters come from the model itself (built on torch's meta device: no memory, no compute); the data's
size and vocabulary from the data stage's result where the store has it, or from the data computed in a
scratch folder where that is cheap (bioS biographies, `phys.core.folders`), else those columns wait for the
data stage; the time from a measured throughput of the same shape, batch and window (`throughput.json` in
the runs folder, one entry per machine and shape, measured once here and again by `phys doctor`).
Training time only: data generation, evaluation and in-training probes come on top.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from phys.core.folders import Folders
from phys.core.plan import Plan, PlannedStage
from phys.machine import cpu
from phys.science.config import OptimConfig, TrainConfig

DEFAULT_VOCAB = 2000
"""The vocabulary a shape is measured with while its data stage has not run (the bios tokenizers hold 1-2k)."""


@dataclass(frozen=True)
class StageBudget:
    stage: str
    params: int | None
    """All parameters (None until the data stage gives the vocabulary)."""
    params_non_embedding: int
    tokens: int | None
    """Tokens trained on: steps × batch × window (steps from the data where they follow from exposures; None
    where that data is not here)."""
    passes: float | None
    """Epochs: steps × batch / one epoch's windows as the stage packs them (else tokens / the documents'
    tokens)."""
    exposures: float | None
    """Times each person's facts are seen: passes × biographies per person (or the config's exposures); for
    iGSM, where a problem is one document, the times each problem is seen."""
    tokens_per_s: float | None
    seconds: float | None
    """Training time here: tokens / tokens_per_s; 0 for a stage already in the store."""
    cached: bool = False
    params_used: int | None = None
    """The papers' P of a model whose bits are measured: all but the embedding rows of tokens its data never
    uses [3.3 §2.3] (None where the data does not say which it uses)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def throughput_key(cfg: TrainConfig, vocab: int, device: str) -> str:
    """What a measured throughput holds for: the machine and its cores, the precision `precision=auto` (or the
    config) picks, compilation, the model's shape, batch, window and vocabulary."""
    precision = cfg.precision if cfg.precision != "auto" else (
        "bf16" if device.startswith("cuda") or cpu.auto_bf16() else "fp32")
    shape = "-".join(f"{k}{v}" for k, v in sorted(cfg.model_fields().items()))
    return (f"{platform.node()}|{cpu.model_name()}|{cpu.available_cores()} cores|{device}|{precision}|compile "
            f"{cfg.compile}|{shape}|B{cfg.batch_size}xT{cfg.block_size}|V{vocab}")


class Throughputs:
    """`<runs>/throughput.json`: tokens/s by `throughput_key`, with when each was measured."""

    def __init__(self, runs_root: Path) -> None:
        self.path = Path(runs_root) / "throughput.json"

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> float | None:
        entry = self.read().get(key)
        return float(entry["tokens_per_s"]) if entry else None

    def put(self, key: str, tokens_per_s: float) -> None:
        data = {**self.read(), key: {"tokens_per_s": round(tokens_per_s), "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".throughput.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.path)


def model_config(plan: Plan, stage: PlannedStage) -> TrainConfig | None:
    """The shape of the model a training stage trains: its own config, or (finetuning) its upstream model's."""
    if isinstance(stage.config, TrainConfig):
        return stage.config
    upstream = plan.upstream(stage.name).get(getattr(stage.config, "model", ""))
    return model_config(plan, upstream) if upstream is not None else None


def data_result(plan: Plan, stage: PlannedStage, folders: Folders) -> tuple[dict[str, Any], int | None]:
    """(the result of the stage's `data` upstream, its vocabulary size): stored, previewed where that is cheap
    (`phys.core.folders`), else empty."""
    data = plan.upstream(stage.name).get("data")
    if data is None:
        return {}, None
    result = folders.result(data)
    vocab = result.get("data_vocab") or result.get("vocab")
    return result, int(vocab) if vocab else None


def document_tokens(result: dict[str, Any]) -> int | None:
    """The training documents' tokens of a data stage's result: bioS (`data_train_doc_tokens`) or iGSM
    (problems × tokens per problem); None for another."""
    if result.get("data_train_doc_tokens"):
        return int(result["data_train_doc_tokens"])
    if result.get("problems") and result.get("tokens_per_problem"):
        return round(result["problems"] * result["tokens_per_problem"])
    return None


def params(cfg: TrainConfig, vocab: int, used_tokens: int | None = None) -> tuple[int, int, int | None]:
    """(all, non-embedding, the papers' P: all but the embedding rows of tokens the data never uses [3.3 §2.3];
    None without `used_tokens`) parameters of `cfg`'s GPT, built on the meta device."""
    import torch

    from phys.science.capacity import capacity_params
    from phys.science.model.gpt import GPT, GPTConfig

    with torch.device("meta"):
        model = GPT(GPTConfig(vocab_size=vocab, **cfg.model_fields()))
    used = capacity_params(model, used_tokens) if used_tokens is not None else None
    return model.num_params(), model.num_params(non_embedding=True), used


PROBE_MAX_PARAMS = 20_000_000
"""A shape with more non-embedding parameters is not probed on a CPU (its few steps would take minutes)."""


def budget(plan: Plan, runs_root: Path, device: str,
           measure: Callable[[TrainConfig, int, str], float | None] | None = None,
           folders: Folders | None = None) -> list[StageBudget]:
    """Every training stage's budget (a stage already in the store takes no time); `measure(cfg, vocab,
    device) -> tokens/s` fills a throughput not yet measured here (None: leave its time unknown). A
    measurement taken while the machine is loaded is used, not kept. `folders`: the stage folders to read
    (and previews to reuse); by default the store's, with previews removed before this returns."""
    if folders is None:
        with Folders(runs_root) as own:
            return budget(plan, runs_root, device, measure, own)
    store, throughputs = folders.store, Throughputs(runs_root)
    rows = []
    for stage in plan.stages:
        cfg = stage.config
        shape = model_config(plan, stage) if isinstance(cfg, OptimConfig) else None
        if shape is None:
            continue
        result, vocab = data_result(plan, stage, folders)
        used_tokens = result.get("data_used_tokens") if vocab else None
        total, non_embedding, used_params = params(shape, vocab or DEFAULT_VOCAB, used_tokens)
        # A stage counted in exposures (data rendered online, Part 3.3) finds its steps from the population:
        # its exposures are the config's, its tokens those steps' where its data can be read here.
        exposures = getattr(cfg, "exposures", None)
        steps = cfg.steps if exposures is None else _steps_from_data(plan, stage, folders)
        tokens = steps * cfg.batch_size * shape.block_size if steps else None
        passes = None
        windows = _epoch_windows(plan, stage, folders) if isinstance(cfg, TrainConfig) else None
        documents = document_tokens(result)
        if tokens is not None and isinstance(cfg, TrainConfig) and (windows or documents):
            # epochs as training counts them (padding is not data), else the documents' tokens over the tokens
            passes = cfg.steps * cfg.batch_size / windows if windows else tokens / documents
            exposures = passes * biographies_per_person(plan, stage)
        measured_as = _measured_as(shape, cfg)
        key = throughput_key(measured_as, vocab or DEFAULT_VOCAB, device)
        rate = throughputs.get(key)
        cached = store.has(stage.key)
        probe = measure is not None and tokens is not None and not cached and (
            device.startswith("cuda") or non_embedding <= PROBE_MAX_PARAMS)
        if rate is None and probe:
            rate = measure(measured_as, vocab or DEFAULT_VOCAB, device)
            if rate is not None and not cpu.load_warning():
                throughputs.put(key, rate)
        seconds = 0.0 if cached else (tokens / rate if tokens is not None and rate else None)
        rows.append(StageBudget(stage.name, total if vocab else None, non_embedding, tokens, passes, exposures, rate,
                                seconds, cached, used_params))
    return rows


def _epoch_windows(plan: Plan, stage: PlannedStage, folders: Folders) -> int | None:
    """One epoch's windows of a stage that packs its data (`phys.stages.context.epochs_from_data`), where its
    data is stored or previewed."""
    windows = getattr(stage.function, "epochs_from_data", None)
    data = plan.upstream(stage.name).get("data")
    folder = folders.folder(data) if data is not None and windows is not None else None
    if folder is None:
        return None
    return folders.memo(("windows", stage.run, repr(stage.config), stage.seed, str(folder)),
                        lambda: windows(stage.config, folder, stage.seed))


def _steps_from_data(plan: Plan, stage: PlannedStage, folders: Folders) -> int | None:
    """The steps of a stage whose steps follow from its data (`phys.stages.context.steps_from_data`), where
    its data is stored or previewed; None otherwise, or where its config cannot train (the run says why)."""
    from phys.errors import PhysError

    steps = getattr(stage.function, "steps_from_data", None)
    data = plan.upstream(stage.name).get("data")
    folder = folders.folder(data) if data is not None and steps is not None else None
    if folder is None:
        return None
    try:
        return folders.memo(("steps", stage.run, repr(stage.config), stage.seed, str(folder)),
                            lambda: steps(stage.config, folder, stage.seed))
    except PhysError:
        return None


def _measured_as(shape: TrainConfig, cfg: OptimConfig) -> TrainConfig:
    """The model's shape with the stage's own batch, precision and compilation (a finetune stage's on its
    pretrained shape)."""
    import dataclasses

    return dataclasses.replace(shape, batch_size=cfg.batch_size, precision=cfg.precision, compile=cfg.compile,
                               steps=10**6)


def biographies_per_person(plan: Plan, stage: PlannedStage) -> int:
    """Entries per person of the stage's bioS data (multiK: K), 1 where the data is not bioS."""
    from phys.science.data.bios import parse_augmentation

    data = plan.upstream(stage.name).get("data")
    augmentation = getattr(data.config, "augmentation", None) if data is not None else None
    return parse_augmentation(augmentation).entries if augmentation else 1


def probe(cfg: TrainConfig, vocab: int, device: str, seconds: float = 5.0) -> float:
    """Tokens/s of `cfg`'s shape here, measured for about `seconds` (`phys.science.throughput`)."""
    from phys.science.throughput import measure

    return measure(cfg, vocab, device, seconds).tokens_per_s


def remember(runs_root: Path, cfg: TrainConfig, vocab: int, device: str, tokens_per_s: float) -> None:
    """A throughput measured elsewhere (`phys doctor`) for `budget` to use."""
    Throughputs(runs_root).put(throughput_key(cfg, vocab, device), tokens_per_s)
