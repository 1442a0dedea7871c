"""The `data` stage of the knowledge recipes: bioS people, biographies, QA, tokenizer, training documents.

Output folder:
  people.jsonl        one person per line, with `split` (train = P_train, test = P_test)
  tokenizer.json      word-level vocabulary of everything below
  train_*.npy         the training documents (`phys.science.data.packing.Docs`): all biographies, plus the QA of
                      P_train when `mixed` (mixed training [3.1 §2.1]); QA losses cover the answer only
  finetune_*.npy      when not `mixed`: the questions of P_train alone, for finetuning after BIO pretraining
  finetune_cot_*.npy  the same questions, those with a hint written with it at rate `cot_rate` ([3.2 §4])
  extract_*.npy       with `extraction`: the forward QA of those attributes for P_train, for an extraction
                      finetune before the finetune proper (M′ of [3.2 §4])
  probe_bios.jsonl    each person's first biography entry with where each attribute's value starts (P-probing)
  eval.jsonl          evaluation prompts and answers for both halves: forward QA, inverse search, and the
                      Part 3.2 `tasks` (`phys.science.data.questions`), these directly and, where they have a hint,
                      with CoT (kind `<family>_cot`, scored on the final answer)

Questions about one person come from P_train for training and from either half for evaluation; a
comparison asks about an ordered pair of distinct people of the same half. With `celebrities`, P_train is
a second population of that many people with their own augmentation and P_test is the N people ([3.1]
Result 6: celebrities help minorities).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from phys.science.config import added_later
from phys.stages.context import LintInput, Measure, StageContext, measures, previewable, produces
from phys.science.data import questions
from phys.science.data.bios import ANSWER, GROUPS
from phys.science.data.pools import ATTRIBUTES
from phys.science.data.questions import Question


COT_KINDS = ("classify", "compare")
"""Question families written with their hint at `cot_rate` and evaluated with CoT too ([3.2 §4])."""


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
    tasks: tuple[str, ...] = ()
    """Part 3.2 tasks (`phys.science.data.questions`): birth_day, birth_year, first+second (dual retrieval),
    month_parity, month_mod6, luck_mod20, month_later, month_diff, luck_diff, …"""
    compare_pairs: int = 2000
    """Training pairs per comparison task, drawn from P_train (evaluation: `max_eval_people` pairs per half)."""
    cot_rate: float = 0.5
    """Share of the hinted questions written with their hint in finetune_cot (and in a mixed stream)."""
    celebrities: int = 0
    """Extra people forming P_train (their QA is trained), with `celebrity_augmentation`; 0 = none."""
    celebrity_augmentation: str = "multi5+permute"
    """Biography augmentation of the celebrities."""
    pool_size: int = 0
    """Values per attribute pool (cities, universities, majors, companies): the first `pool_size`; 0 = all
    (200, 300, 100, 263). Fewer values let a probe see every class on a few hundred people."""
    max_eval_people: int = 1000
    """Cap on people (and pairs per comparison task) evaluated per half (evaluation time)."""
    extraction: tuple[str, ...] = added_later(())
    """Attributes whose forward QA of P_train is written as its own document set, `extract` (`qa_repeats`
    copies of each question), for an extraction finetune before the finetune proper ([3.2 §4]:
    classification starts from M′, a model finetuned to extract); evaluated as forward QA. Not in the
    `finetune` set nor, when `mixed`, in the training stream (unless also in `qa_attributes`)."""

    def __post_init__(self) -> None:
        from phys.science.data.bios import INVERSE_TASKS, parse_augmentation

        if self.n_people < 4:
            raise ValueError("n_people must be >= 4")
        if self.templates_per_attribute < 0:
            raise ValueError("templates_per_attribute must be >= 0")
        if self.qa_repeats < 1:
            raise ValueError("qa_repeats must be >= 1")
        if not 0 < self.train_fraction < 1:
            raise ValueError("train_fraction must be in (0, 1)")
        if not 0 <= self.cot_rate <= 1:
            raise ValueError("cot_rate must be in [0, 1]")
        if self.celebrities < 0 or self.compare_pairs < 0 or self.pool_size < 0:
            raise ValueError("celebrities, compare_pairs and pool_size must be >= 0")
        parse_augmentation(self.augmentation)
        parse_augmentation(self.celebrity_augmentation)
        for t in self.tasks:
            questions.validate(t)
        for a in (*self.qa_attributes, *self.extraction):
            if a not in ATTRIBUTES:
                raise ValueError(f"unknown attribute {a!r}; attributes: {', '.join(ATTRIBUTES)}")
        for t in self.inverse_tasks:
            if t not in INVERSE_TASKS:
                raise ValueError(f"unknown inverse task {t!r}; tasks: {', '.join(INVERSE_TASKS)}")


BIOS_STATS = ("people", "train_people", "test_people", "train_docs", "finetune_docs", "train_doc_tokens", "vocab",
              "eval_items", "bio_tokens_mean")


def metrics(cfg: BiosConfig, upstream: Mapping[str, Any]) -> set[str]:
    return {f"data_{k}" for k in BIOS_STATS}


def eval_sets(inp: LintInput) -> list[Measure]:
    """Per eval set of eval.jsonl (kind, task, half): its distinct questions and its commonest answer's share.
    Templates are not counted: a question family is one template per attribute, as the paper's QA."""
    from collections import defaultdict

    path = inp.folder / "eval.jsonl" if inp.folder is not None else None
    if path is None or not path.exists():
        return []
    sets: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        item = json.loads(line)
        sets[(item["kind"], item["task"], item["split"])].append(item)
    out = []
    for (kind, task, half), items in sorted(sets.items()):
        subject = f"eval set {kind} {task} (P_{half})"
        answers = Counter(i["answer"] for i in items)
        out += [Measure("eval_questions", subject, len({i["prompt"] for i in items})),
                Measure("eval_majority", subject, answers.most_common(1)[0][1] / len(items),
                        chance=1 / max(2, len(answers)))]  # one answer only: degenerate, not "at chance"
    return out


@produces(metrics)
@measures(eval_sets)
@previewable
def run(ctx: StageContext) -> dict[str, Any]:
    from phys.science.data import bios
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer, pieces

    cfg: BiosConfig = ctx.config
    rng = random.Random(ctx.seed)
    people = bios.sample_people(cfg.n_people + cfg.celebrities, rng, pool_size=cfg.pool_size)
    if cfg.celebrities:  # P_train = the celebrities, P_test = the N people
        train_ids, test_ids = list(range(cfg.n_people, len(people))), list(range(cfg.n_people))
    else:
        train_ids, test_ids = bios.split_people(people, cfg.train_fraction, rng)
    split = {i: "train" for i in train_ids} | {i: "test" for i in test_ids}
    augmentation = bios.parse_augmentation(cfg.augmentation)
    celebrity = bios.parse_augmentation(cfg.celebrity_augmentation)

    # (prompt, target text, person, group): biographies are all target; QA only from the answer.
    # Every document starts with a space (GPT-2's add_prefix_space): a name then is the same token at the
    # start of a biography (" Anya Briar Forger was born …") as inside a question ("… of Anya Briar …").
    train_docs: list[tuple[str, str, int, int]] = []
    finetune_docs: list[tuple[str, str, int, int]] = []
    cot_docs: list[tuple[str, str, int, int]] = []
    extract_docs: list[tuple[str, str, int, int]] = []
    probe_bios: list[dict[str, Any]] = []
    for p in people:
        aug = celebrity if cfg.celebrities and split[p.id] == "train" else augmentation
        entries = bios.biographies(p, aug, rng, cfg.templates_per_attribute, with_spans=True)
        train_docs += [("", " " + text, p.id, GROUPS["bio"]) for text, _ in entries]
        probe_bios.append({"person": p.id, "text": " " + entries[0][0],
                           "spans": [[a, offset + 1] for a, offset in entries[0][1]]})  # + the leading space
    eval_items: list[dict[str, Any]] = []

    def add(kind: str, task: str, half: str, pid: int, q: Question, trained: bool, evaluated: bool,
            into: list[tuple[str, str, int, int]] | None = None) -> None:
        """One question: trained (into the stream or the finetune sets; `into`: that set instead), evaluated."""
        text, answer = q.direct()
        prompt = " " + text
        if trained and into is not None:
            into.extend([(prompt, answer, pid, GROUPS.get(kind, GROUPS["task"]))] * cfg.qa_repeats)
        elif trained:
            group = GROUPS.get(kind, GROUPS["task"])
            doc = (prompt, answer, pid, group)
            if q.hint and kind in COT_KINDS and rng.random() < cfg.cot_rate:
                hint_text, hint_answer = q.with_hint()
                cot = (" " + hint_text, hint_answer, pid, group)
            else:
                cot = doc
            if cfg.mixed:
                train_docs.extend([cot] * cfg.qa_repeats)
            else:
                finetune_docs.extend([doc] * cfg.qa_repeats)
                cot_docs.extend([cot] * cfg.qa_repeats)
        if evaluated:
            base = {"kind": kind, "task": task, "split": half, "person": pid}
            eval_items.append({**base, "prompt": prompt, "answer": answer.strip().removesuffix(".")})
            if q.hint and kind in COT_KINDS:
                cot_prompt, cot_answer = q.with_hint()
                eval_items.append({**base, "kind": f"{kind}_cot", "prompt": " " + cot_prompt, "hint": q.hint,
                                   "answer": cot_answer.strip().removesuffix("."), "final": True})

    keep = set(train_ids[: cfg.max_eval_people]) | set(test_ids[: cfg.max_eval_people])
    person_tasks = [(t, questions.person_task(t)) for t in cfg.tasks if t not in questions.COMPARE]
    for p in people:
        half, trained, evaluated = split[p.id], split[p.id] == "train", p.id in keep
        for a in cfg.qa_attributes:
            add("qa", a, half, p.id, Question(*_qa_parts(bios.qa(p, a))), trained, evaluated)
        for a in cfg.extraction:  # the extraction finetune's own set; evaluated as forward QA (once)
            add("qa", a, half, p.id, Question(*_qa_parts(bios.qa(p, a))), trained,
                evaluated and a not in cfg.qa_attributes, into=extract_docs)
        for t in cfg.inverse_tasks:
            add("inverse", t, half, p.id, Question(*_qa_parts(bios.inverse_qa(p, t))), trained, evaluated)
        for t, make in person_tasks:
            add(questions.kind_of(t), t, half, p.id, make(p), trained, evaluated)
    for t in (t for t in cfg.tasks if t in questions.COMPARE):
        for half, ids in (("train", train_ids), ("test", test_ids)):
            n = min(cfg.compare_pairs, len(ids) * (len(ids) - 1)) if half == "train" else cfg.max_eval_people
            n_eval = min(cfg.max_eval_people, n)  # on P_train: trained pairs only
            for i, (a, b) in enumerate(_pairs(ids, n, rng)):
                add("compare", t, half, a, questions.COMPARE[t](people[a], people[b]),
                    trained=half == "train", evaluated=i < n_eval)
    with_hints = cot_docs if cot_docs != finetune_docs else []
    tokenizer = Tokenizer.build([q + a for q, a, _, _ in train_docs + finetune_docs + with_hints + extract_docs]
                                + [e["prompt"] for e in eval_items])
    unseen = sorted({p for e in eval_items for p in pieces(" " + e["answer"])} - set(tokenizer.vocab))
    tokenizer = Tokenizer(tokenizer.vocab + unseen)  # answers never trained on (e.g. a rare difference)

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
    if cot_docs != finetune_docs:
        encode(cot_docs)[0].save(ctx.out, "finetune_cot")
    if extract_docs:
        encode(extract_docs)[0].save(ctx.out, "extract")
    tokenizer.save(ctx.out / "tokenizer.json")
    with open(ctx.out / "people.jsonl", "w") as f:
        for p in people:
            f.write(json.dumps({**asdict(p), "full_name": p.full_name, "birth_date": p.birth_date,
                                "split": split[p.id]}) + "\n")
    with open(ctx.out / "probe_bios.jsonl", "w") as f:
        f.writelines(json.dumps(b) + "\n" for b in probe_bios)
    with open(ctx.out / "eval.jsonl", "w") as f:  # at most max_eval_people per half, by person id order
        for item in eval_items:
            f.write(json.dumps(item) + "\n")
    lengths = [len(e) for e, (q, _, _, _) in zip(encoded, train_docs) if not q]
    stats = {"people": len(people), "train_people": len(train_ids), "test_people": len(test_ids),
             "train_docs": len(docs), "finetune_docs": len(finetune_docs), "train_doc_tokens": int(docs.offsets[-1]),
             "vocab": len(tokenizer), "eval_items": len(eval_items),
             "bio_tokens_mean": round(sum(lengths) / len(lengths), 1)}
    ctx.log(", ".join(f"{k} {v}" for k, v in stats.items()))
    return {f"data_{k}": v for k, v in stats.items()}


def _qa_parts(pair: tuple[str, str]) -> tuple[str, str]:
    """(prompt ending in ' Answer:', ' answer.') of `phys.science.data.bios` -> (question text, answer)."""
    prompt, answer = pair
    return prompt.removesuffix(ANSWER), answer.strip().removesuffix(".")


def _pairs(ids: list[int], n: int, rng: random.Random) -> list[tuple[int, int]]:
    """n distinct ordered pairs (a, b), a != b, drawn from `ids` (all of them if there are fewer)."""
    total = len(ids) * (len(ids) - 1)
    if n >= total:
        pairs = [(a, b) for a in ids for b in ids if a != b]
        rng.shuffle(pairs)
        return pairs
    seen: set[tuple[int, int]] = set()
    pairs = []
    while len(pairs) < n:
        pair = tuple(rng.sample(ids, 2))
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return pairs
