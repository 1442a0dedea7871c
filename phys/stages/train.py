"""The `train` stage: pretrain a GPT on the packed documents of an upstream data stage.

Torch-free at import: the config is `phys.science.config.TrainConfig`; the implementation (`phys.science.train`)
is imported when the stage runs. Output: model.pt + model.json; checkpoints/ while training (removed when the stage completes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from phys.errors import PhysError
from phys.science.config import TrainConfig
from phys.stages.context import (LintInput, Measure, StageContext, data_parallel, epochs_from_data, measures,
                                 produces)

__all__ = ["TRAIN_RESULT", "VERSION", "TrainConfig", "metrics", "epoch_windows", "qa_probe", "run", "stream", "windows"]  # TrainConfig: the stage's config, which recipes take from here


VERSION = 2
"""The `Stage.version` of every recipe's train stage. 2: rotary turns at least 16 dims of a head, or all of a
smaller one (`phys.science.model.gpt.ROTARY_MIN_DIMS`): the cpu models' 32-dim heads turned 8 before."""


TRAIN_RESULT = ("final_loss", "params", "params_non_embedding", "epochs", "train_tokens")
"""The keys of `phys.science.train.train`'s result."""


def metrics(cfg: TrainConfig, upstream: Mapping[str, Any]) -> set[str]:
    return set(TRAIN_RESULT)


def windows(inp: LintInput) -> list[Measure]:
    """window_names: the share of the first epoch's windows, packed as training packs them, in which two
    documents name one person (bioS data, whose people.jsonl gives the names; none for other data)."""
    import json

    from phys.science.data.packing import windows_naming_twice
    from phys.science.data.tokenizer import Tokenizer

    data = inp.inputs.get("data")
    if data is None or not (data / "people.jsonl").exists():
        return []
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    names = [tokenizer.encode(" " + json.loads(line)["full_name"])
             for line in (data / "people.jsonl").read_text().splitlines()]
    try:
        packed, _ = stream(inp.config, data, inp.seed, tokenizer).epoch(0)
    except ValueError:  # a document longer than the window: the stage itself says so when it runs
        return []
    share = windows_naming_twice(packed, tokenizer.eos_id, names) / len(packed)
    return [Measure("window_names", f"{len(packed):,} training windows of epoch 0", share)]


def stream(cfg: TrainConfig, data: Path, seed: int, tokenizer: Any) -> Any:
    """The `PackedStream` that `run` trains on (`phys.science.train` builds the same from its arguments)."""
    from phys.science.data.bios import GROUPS
    from phys.science.data.packing import Docs, PackedStream

    return PackedStream(Docs.load(data, "train"), cfg.block_size, cfg.batch_size, seed, tokenizer.eos_id,
                        tokenizer.pad_id, rates={GROUPS["qa"]: cfg.qa_rate}, pure_groups=cfg.pure_groups)


def epoch_windows(cfg: TrainConfig, data: Path, seed: int) -> int | None:
    """Windows of one epoch as `run` packs them (the budget's passes: steps × batch / this); None where a
    document does not fit the window (the stage says so when it runs)."""
    from phys.science.data.tokenizer import Tokenizer

    if not (data / "tokenizer.json").exists() or not (data / "train_tokens.npy").exists():
        return None
    try:
        return stream(cfg, data, seed, Tokenizer.load(data / "tokenizer.json")).windows_per_epoch()
    except ValueError:
        return None


@produces(metrics)
@measures(windows)
@epochs_from_data(epoch_windows)
@data_parallel
def run(ctx: StageContext) -> dict[str, Any]:
    from phys.science.data.bios import GROUPS
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer
    from phys.science.train import train

    data = ctx.inputs["data"]
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    docs = Docs.load(data, "train")
    longest = int((docs.offsets[1:] - docs.offsets[:-1]).max()) + 1  # + <eos>
    if longest > ctx.config.block_size:
        raise PhysError(f"{ctx.name}.block_size={ctx.config.block_size} is shorter than the longest document "
                        f"({longest} tokens)", hint=f"use --set {ctx.name}.block_size={longest} or more")
    return train(ctx.config, docs, tokenizer, ctx.out, ctx.seed, ctx.device, ctx, probe=qa_probe(ctx, tokenizer),
                 rates={GROUPS["qa"]: ctx.config.qa_rate}, pure_groups=ctx.config.pure_groups)


def qa_probe(ctx: StageContext, tokenizer: Any) -> Any:
    """The QA accuracies during training, on up to `probe_items` questions of each (kind, half) of the data
    stage's eval.jsonl, taken in turn from each task; None where the data has no eval questions or probing
    is off."""
    import json
    from collections import defaultdict
    from functools import partial
    from itertools import chain, zip_longest

    from phys.science.evaluate import teacher_forced_accuracy

    path = ctx.inputs["data"] / "eval.jsonl"
    if not ctx.config.eval_every or not path.exists():
        return None
    per_task: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item.get("final"):
            continue  # scored on the answer after a generated hint: teacher forcing cannot judge that
        per_task[(item["kind"], item["split"])][item["task"]].append(item)
    items = []
    for tasks in per_task.values():  # up to probe_items per (kind, half), taken in turn from each task
        rounds = zip_longest(*tasks.values())
        items += [i for i in chain.from_iterable(rounds) if i is not None][: ctx.config.probe_items]
    return partial(teacher_forced_accuracy, tokenizer=tokenizer, items=items, device=ctx.device)
