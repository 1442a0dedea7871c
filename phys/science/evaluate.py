"""Exact-match evaluation of generated answers: batched greedy decoding, per attribute and per half.

An answer is right only if the whole generated attribute equals the truth ([3.1 §2]: no partial credit).
Prompts are grouped by token length so every batch decodes without padding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Sequence

import torch

from phys.science.data.tokenizer import Tokenizer
from phys.science.model.generate import greedy
from phys.science.model.gpt import GPT


def answer_prompts(model: GPT, tokenizer: Tokenizer, prompts: Sequence[str], max_new_tokens: int,
                   batch_size: int, device: str, progress: Any = None) -> list[str]:
    """Greedy answers (text up to <eos>, stripped, final '.' removed), in the order of `prompts`."""
    # Every training document follows an <eos> (the window start or the previous document's end), so a
    # prompt does too: without it the model sees a context it never trained on.
    encoded = [[tokenizer.eos_id] + tokenizer.encode(p) for p in prompts]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, ids in enumerate(encoded):
        by_length[len(ids)].append(i)
    answers: list[str] = [""] * len(prompts)
    done = 0
    for length in sorted(by_length):
        idx = by_length[length]
        for start in range(0, len(idx), batch_size):
            chunk = idx[start : start + batch_size]
            batch = torch.tensor([encoded[i] for i in chunk], dtype=torch.long, device=device)  # (b, P)
            out = greedy(model, batch, max_new_tokens, tokenizer.eos_id).tolist()  # (b, max_new)
            for i, ids in zip(chunk, out):
                answers[i] = tokenizer.decode(ids).strip().removesuffix(".")
            done += len(chunk)
            if progress is not None:
                progress(done, len(prompts))
    return answers


def _final(text: str) -> str:
    return text.rsplit(". ", 1)[-1]


def is_correct(item: dict[str, Any], prediction: str) -> bool:
    """Exact match; for a chain-of-thought item (`final`), of the answer after the hint ([3.2 §4])."""
    if item.get("final"):
        return ". " in prediction and _final(prediction) == _final(item["answer"])
    return prediction == item["answer"]


def accuracy_table(items: Iterable[dict[str, Any]], predictions: Sequence[str]) -> dict[str, float]:
    """Metrics `{kind}_{split}_{task}` and the means `{kind}_{split}_acc` (mean over tasks); for items with a
    hint also `{kind}_{split}_{task}_hint`, how often the generated hint was right."""
    hits: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    hints: dict[str, list[bool]] = defaultdict(list)
    for item, pred in zip(items, predictions):
        hits[(item["kind"], item["split"], item["task"])].append(is_correct(item, pred))
        if item.get("hint"):
            hints[f"{_label(item['kind'])}_{item['split']}_{item['task']}_hint"].append(
                pred.rsplit(". ", 1)[0] == item["hint"])
    metrics: dict[str, float] = {}
    per_group: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (kind, split, task), h in sorted(hits.items()):
        acc = sum(h) / len(h)
        metrics[f"{_label(kind)}_{split}_{task}"] = round(acc, 4)
        per_group[(kind, split)].append(acc)
    for (kind, split), accs in per_group.items():
        metrics[f"{_label(kind)}_{split}_acc"] = round(sum(accs) / len(accs), 4)
    metrics.update({k: round(sum(v) / len(v), 4) for k, v in sorted(hints.items())})
    return metrics


def dual_given_parts(items: Sequence[dict[str, Any]], predictions: Sequence[str]) -> dict[str, float]:
    """Dual retrieval among the people whose two single retrievals are both right: what asking for two
    attributes at once costs beyond retrieving each ([3.2 Result 1]), apart from imperfect single retrieval
    (where single retrieval is p, an unconditioned dual accuracy is about p², whatever the cost).

    For each dual task `a+b` and half: `dual_{split}_{task}_given_parts`, the accuracy of the pair over the
    people whose forward questions a and b are both answered right, and `dual_{split}_{task}_parts`, how
    many such people; `dual_{split}_given_parts`, the mean over tasks, and `dual_{split}_parts`, the fewest
    people of any task (a task with none has no accuracy and counts 0); `dual_{split}_given_parts_min`, the
    worst task ("near-perfect in either order" is a claim about every pair). A pair whose parts are not both
    asked as forward questions has none of these."""
    single = {(i["person"], i["task"]): is_correct(i, p) for i, p in zip(items, predictions) if i["kind"] == "qa"}
    asked = {(i["split"], i["task"]) for i in items if i["kind"] == "qa"}
    hits: dict[tuple[str, str], list[bool]] = {}  # (half, pair) -> the pair's correctness, parts right
    for item, pred in zip(items, predictions):
        parts = item["task"].split("+")
        if item["kind"] == "dual" and all((item["split"], part) in asked for part in parts):
            pair = hits.setdefault((item["split"], item["task"]), [])
            if all(single.get((item["person"], part)) for part in parts):
                pair.append(is_correct(item, pred))
    metrics: dict[str, float] = {}
    per_split: dict[str, list[tuple[float | None, int]]] = defaultdict(list)
    for (split, task), h in sorted(hits.items()):
        acc = round(sum(h) / len(h), 4) if h else None
        if acc is not None:
            metrics[f"dual_{split}_{task}_given_parts"] = acc
        metrics[f"dual_{split}_{task}_parts"] = len(h)
        per_split[split].append((acc, len(h)))
    for split, rows in per_split.items():
        accs = [a for a, _ in rows if a is not None]
        if accs:
            metrics[f"dual_{split}_given_parts"] = round(sum(accs) / len(accs), 4)
            metrics[f"dual_{split}_given_parts_min"] = min(accs)
        metrics[f"dual_{split}_parts"] = min(n for _, n in rows)
    return metrics


def _label(kind: str) -> str:
    return {"qa": "forward"}.get(kind, kind)


def majority_baseline(people: Sequence[dict[str, Any]], attributes: Sequence[str]) -> dict[str, float]:
    """Accuracy on P_test of always answering P_train's most common value (company city: ~13.7% [3.1])."""
    train = [p for p in people if p["split"] == "train"]
    test = [p for p in people if p["split"] == "test"]
    out = {}
    for a in attributes:
        top, _ = Counter(p[a] for p in train).most_common(1)[0]
        out[f"majority_baseline_{a}"] = round(sum(p[a] == top for p in test) / max(1, len(test)), 4)
    if out:
        out["majority_baseline"] = round(sum(out.values()) / len(out), 4)
    return out


@torch.no_grad()
def teacher_forced_correct(model: GPT, tokenizer: Tokenizer, items: Sequence[dict[str, Any]], device: str,
                           batch_size: int = 256) -> list[bool]:
    """Per item, by one forward pass per batch: is every answer token, its final '.' and the closing <eos>
    the argmax given the true prefix? Exactly when greedy decoding produces the answer, at a fraction of
    the cost of decoding: cheap enough to probe during training."""
    seqs, spans = [], []
    for item in items:
        prompt = [tokenizer.eos_id] + tokenizer.encode(item["prompt"])
        answer = tokenizer.encode(f" {item['answer']}.") + [tokenizer.eos_id]
        seqs.append(prompt + answer)
        spans.append((len(prompt) - 1, len(prompt) - 1 + len(answer)))  # positions that predict the answer
    correct: list[bool] = []
    was_training = model.training
    model.eval()
    for start in range(0, len(seqs), batch_size):
        chunk = seqs[start : start + batch_size]
        width = max(len(seq) for seq in chunk)
        x = torch.full((len(chunk), width), tokenizer.pad_id, dtype=torch.long)  # (b, T), right-padded
        for row, seq in enumerate(chunk):
            x[row, : len(seq)] = torch.tensor(seq)
        x = x.to(device)
        pred = model(x[:, :-1]).argmax(-1)  # (b, T-1): the token predicted after each position
        for row, (lo, hi) in enumerate(spans[start : start + batch_size]):
            correct.append(bool((pred[row, lo:hi] == x[row, lo + 1 : hi + 1]).all()))
    model.train(was_training)
    return correct


def teacher_forced_accuracy(model: GPT, tokenizer: Tokenizer, items: Sequence[dict[str, Any]], device: str,
                            batch_size: int = 256) -> dict[str, float]:
    """`{kind}_{split}_acc` over the items (pooled, not averaged per task), from `teacher_forced_correct`."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for item, ok in zip(items, teacher_forced_correct(model, tokenizer, items, device, batch_size)):
        hits[f"{_label(item['kind'])}_{item['split']}_acc"].append(ok)
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())}
