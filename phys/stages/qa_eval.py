"""The `evaluate` stage of the knowledge recipes: greedy answers to every eval prompt, exact match.

Inputs: `data` (eval.jsonl, people.jsonl, tokenizer.json) and the stage named by `model` (model.pt). Output: predictions.jsonl
(prompt, truth, prediction) and the metrics of `phys.science.evaluate.accuracy_table` + majority baselines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from phys.stages.context import StageContext, produces


VERSION = 2
"""The `Stage.version` of every recipe's evaluate stage. 2: dual retrieval is also scored among the people whose
two single retrievals are right (`phys.science.evaluate.dual_given_parts`)."""


@dataclass(frozen=True)
class EvalConfig:
    batch_size: int = 256
    """Prompts decoded together."""
    max_new_tokens: int = 16
    """Longest answer generated (tokens)."""
    model: str = "train"
    """The upstream stage whose model.pt is evaluated (e.g. `train`, or `finetune` after pretraining)."""

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise ValueError("batch_size and max_new_tokens must be >= 1")


def metrics(cfg: EvalConfig, upstream: Mapping[str, Any]) -> set[str]:
    """What `accuracy_table` and `majority_baseline` name for the eval.jsonl the data stage (a `BiosConfig`)
    writes: `<kind>_<half>_<task>` and `<kind>_<half>_acc` per kind of question (`forward` for the six
    attribute questions), `_hint` variants for chain-of-thought kinds, and the majority baselines. A superset
    where a half holds no one."""
    from phys.science.data import questions
    from phys.stages.bios import COT_KINDS

    data = upstream["data"]
    out: set[str] = set()

    def family(kind: str, tasks: list[str], hint: bool = False) -> None:
        label = {"qa": "forward"}.get(kind, kind)
        for half in ("train", "test"):
            if tasks:
                out.update({f"{label}_{half}_acc", *(f"{label}_{half}_{t}" for t in tasks)})
            if hint:
                out.update(f"{label}_{half}_{t}_hint" for t in tasks)

    person = [t for t in data.tasks if t not in questions.COMPARE]
    compare = [t for t in data.tasks if t in questions.COMPARE]
    forward = list(dict.fromkeys((*data.qa_attributes, *data.extraction)))
    family("qa", forward)
    family("inverse", list(data.inverse_tasks))
    for kind in dict.fromkeys(questions.kind_of(t) for t in person):
        tasks = [t for t in person if questions.kind_of(t) == kind]
        family(kind, tasks)
        if kind in COT_KINDS:
            family(f"{kind}_cot", tasks, hint=True)
    dual = [t for t in person if questions.kind_of(t) == "dual" and set(t.split("+")) <= set(forward)]
    if dual:  # `phys.science.evaluate.dual_given_parts`
        out.update(f"dual_{half}_{t}_{what}" for half in ("train", "test") for t in dual for what in ("given_parts", "parts"))
        out.update(f"dual_{half}_{what}" for half in ("train", "test")
                   for what in ("given_parts", "given_parts_min", "parts"))
    family("compare", compare)
    family("compare_cot", compare, hint=True)
    if forward:
        out.update({"majority_baseline", *(f"majority_baseline_{a}" for a in forward)})
    return out


@produces(metrics)
def run(ctx: StageContext) -> dict[str, Any]:
    from phys.science.data.tokenizer import Tokenizer
    from phys.science.evaluate import accuracy_table, answer_prompts, dual_given_parts, is_correct, majority_baseline
    from phys.science.train import load_model

    cfg: EvalConfig = ctx.config
    data, trained = ctx.inputs["data"], ctx.upstream(cfg.model, "evaluate.model")
    tokenizer = Tokenizer.load(data / "tokenizer.json")
    items = [json.loads(line) for line in (data / "eval.jsonl").read_text().splitlines()]
    people = [json.loads(line) for line in (data / "people.jsonl").read_text().splitlines()]
    model = load_model(trained, ctx.device)  # greedy decoding: no randomness to seed
    predictions = answer_prompts(model, tokenizer, [i["prompt"] for i in items], cfg.max_new_tokens,
                                 cfg.batch_size, ctx.device, progress=lambda d, t: ctx.progress(d, t))
    with open(ctx.out / "predictions.jsonl", "w") as f:
        for item, pred in zip(items, predictions):
            f.write(json.dumps({**item, "prediction": pred, "correct": is_correct(item, pred)}) + "\n")
    attributes = sorted({i["task"] for i in items if i["kind"] == "qa"})
    metrics = {**accuracy_table(items, predictions), **dual_given_parts(items, predictions),
               **majority_baseline(people, attributes)}
    ctx.log("  ".join(f"{k} {v:.3f}" for k, v in metrics.items() if k.endswith("_acc")))
    return metrics
