"""The `data` stage of the knowledge recipes: bioS people, biographies, QA, tokenizer, training documents.

Output folder:
  people.jsonl        one person per line, with `split` (train = P_train, test = P_test)
  tokenizer.json      word-level vocabulary of everything below
  train_*.npy         the training documents (`phys.data.packing.Docs`): all biographies, plus the QA of
                      P_train when `mixed` (mixed training [3.1 §2.1]); QA losses cover the answer only
  finetune_*.npy      when not `mixed`: the QA of P_train alone, for QA finetuning after BIO pretraining
  eval.jsonl          evaluation prompts and answers: forward QA and inverse search, for both halves
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from typing import Any

from phys.context import StageContext
from phys.data.bios import GROUPS
from phys.data.pools import ATTRIBUTES


@dataclass(frozen=True)
class BiosConfig:
    n_people: int = 500
    """People N (the paper: 100,000)."""
    augmentation: str = "multi5+permute"
    """Biography augmentation: single, multiK, +permute[P], +fullname (e.g. multi5+permute)."""
    train_fraction: float = 0.5
    """Share of people in P_train (their QA may be trained on); the rest is P_test."""
    mixed: bool = True
    """Mixed training: P_train's QA is in the training stream with the biographies."""
    qa_attributes: tuple[str, ...] = ATTRIBUTES
    """Attributes with forward QA (trained for P_train when mixed; evaluated on both halves)."""
    templates_per_attribute: int = 0
    """Sentence templates drawn per attribute: 0 = all (46–52, the paper's pools); fewer = less diverse text."""
    qa_repeats: int = 1
    """Copies of each P_train question per epoch: raises the QA share of the stream (QA_r of [3.1 §2.1])."""
    inverse_tasks: tuple[str, ...] = ("birth_to_full",)
    """Inverse-search tasks (e.g. birth_to_full, all_to_first), trained for P_train when mixed."""
    max_eval_people: int = 1000
    """Cap on people evaluated per half (evaluation time)."""

    def __post_init__(self) -> None:
        from phys.data.bios import INVERSE_TASKS, parse_augmentation

        if self.n_people < 4:
            raise ValueError("n_people must be >= 4")
        if self.templates_per_attribute < 0:
            raise ValueError("templates_per_attribute must be >= 0")
        if self.qa_repeats < 1:
            raise ValueError("qa_repeats must be >= 1")
        if not 0 < self.train_fraction < 1:
            raise ValueError("train_fraction must be in (0, 1)")
        parse_augmentation(self.augmentation)
        for a in self.qa_attributes:
            if a not in ATTRIBUTES:
                raise ValueError(f"unknown attribute {a!r}; attributes: {', '.join(ATTRIBUTES)}")
        for t in self.inverse_tasks:
            if t not in INVERSE_TASKS:
                raise ValueError(f"unknown inverse task {t!r}; tasks: {', '.join(INVERSE_TASKS)}")


def run(ctx: StageContext) -> dict[str, Any]:
    from phys.data import bios
    from phys.data.packing import Docs
    from phys.data.tokenizer import Tokenizer

    cfg: BiosConfig = ctx.config
    rng = random.Random(ctx.seed)
    people = bios.sample_people(cfg.n_people, rng)
    train_ids, test_ids = bios.split_people(people, cfg.train_fraction, rng)
    split = {i: "train" for i in train_ids} | {i: "test" for i in test_ids}
    augmentation = bios.parse_augmentation(cfg.augmentation)

    # (prompt, target text, person, group): biographies are all target; QA only from the answer.
    # Every document starts with a space (GPT-2's add_prefix_space): a name then is the same token at the
    # start of a biography (" Anya Briar Forger was born …") as inside a question ("… of Anya Briar …").
    train_docs: list[tuple[str, str, int, int]] = []
    finetune_docs: list[tuple[str, str, int, int]] = []
    for p in people:
        texts = bios.biographies(p, augmentation, rng, cfg.templates_per_attribute)
        train_docs += [("", " " + text, p.id, GROUPS["bio"]) for text in texts]
    eval_items: list[dict[str, Any]] = []
    for p in people:
        questions = [("qa", a, *bios.qa(p, a)) for a in cfg.qa_attributes]
        questions += [("inverse", t, *bios.inverse_qa(p, t)) for t in cfg.inverse_tasks]
        for kind, task, prompt, answer in questions:
            prompt = " " + prompt
            if split[p.id] == "train":
                (train_docs if cfg.mixed else finetune_docs).extend([(prompt, answer, p.id, GROUPS[kind])]
                                                                     * cfg.qa_repeats)
            eval_items.append({"kind": kind, "task": task, "split": split[p.id], "person": p.id,
                               "prompt": prompt, "answer": answer.strip().removesuffix(".")})
    tokenizer = Tokenizer.build([q + a for q, a, _, _ in train_docs + finetune_docs] + [e["prompt"] for e in eval_items])

    def encode(items: list[tuple[str, str, int, int]]) -> tuple[Docs, list[list[int]]]:
        encoded, loss_start, person, group = [], [], [], []
        for prompt, answer, pid, g in items:
            q, a = tokenizer.encode(prompt), tokenizer.encode(answer)
            encoded.append(q + a)
            loss_start.append(len(q))
            person.append(pid)
            group.append(g)
        return Docs.from_lists(encoded, loss_start, person, group), encoded

    docs, encoded = encode(train_docs)
    docs.save(ctx.out, "train")
    if finetune_docs:
        encode(finetune_docs)[0].save(ctx.out, "finetune")
    tokenizer.save(ctx.out / "tokenizer.json")
    with open(ctx.out / "people.jsonl", "w") as f:
        for p in people:
            f.write(json.dumps({**asdict(p), "full_name": p.full_name, "birth_date": p.birth_date,
                                "split": split[p.id]}) + "\n")
    # Evaluate at most max_eval_people per half, chosen by person id order (deterministic).
    keep = set(train_ids[: cfg.max_eval_people]) | set(test_ids[: cfg.max_eval_people])
    with open(ctx.out / "eval.jsonl", "w") as f:
        for item in eval_items:
            if item["person"] in keep:
                f.write(json.dumps(item) + "\n")
    lengths = [len(e) for e, (q, _, _, _) in zip(encoded, train_docs) if not q]
    stats = {"people": len(people), "train_people": len(train_ids), "test_people": len(test_ids),
             "train_docs": len(docs), "finetune_docs": len(finetune_docs), "train_doc_tokens": int(docs.offsets[-1]), "vocab": len(tokenizer),
             "bio_tokens_mean": round(sum(lengths) / len(lengths), 1)}
    ctx.log(", ".join(f"{k} {v}" for k, v in stats.items()))
    return {f"data_{k}": v for k, v in stats.items()}
