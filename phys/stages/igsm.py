"""iGSM stages [Part 2.1]: `data` draws the training problems, `evaluate` has a model solve fresh test
problems in and out of distribution and grades every solution with the checker.

Torch-free at import. `data` writes igsm.json (the difficulty settings every later stage reads), the
vocabulary (tokenizer.json), the training documents (train_*.npy, whole problems only: those longer than
the context are dropped, as in the paper) and samples.txt. The standard `train` stage trains on them.
"""

from __future__ import annotations

import functools
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, NamedTuple

from phys.errors import PhysError
from phys.science.config import added_later
from phys.stages.context import LintInput, Measure, StageContext, measures, produces


@dataclass(frozen=True)
class IgsmDataConfig:
    max_op: int = 15
    """Training problems have op ≤ max_op, drawn as min of two uniforms (iGSM-med 15, -hard 21)."""
    max_edge: int = 20
    """ip ≤ max_edge instance parameters, i.e. problem sentences (iGSM-med 20, -hard 28)."""
    problems: int = 100_000
    """Training problems drawn (the paper generates them on the fly: 39B tokens for -med)."""
    block_size: int = 768
    """Problems longer than this context (tokens, with both <eos>) are dropped (med 768, hard 1024)."""
    fmt: Literal["pq", "qp"] = "pq"
    """Question after the problem (pq) or before it (qp)."""
    mod: int = 23
    """Arithmetic modulus (the paper: 23)."""
    hash_split: int = 17
    """Template hash mod 23 below this is train, the rest test (the paper: 17; the released code: 16)."""
    redraw_s: bool = True
    """Draw the op budget s independently of the target op and reject until they agree (the official
    procedure); False sets s = op directly (faster, a slightly different mix of problems)."""
    loss: Literal["all", "solution"] = "all"
    """Train on every token (the paper's pretraining) or on the solution and answer only."""
    letters: Literal["random", "ordered"] = "random"
    """Solution letters drawn at random (the paper) or a, b, c, … in order (small scales: greedy decoding
    by a small model otherwise reuses its likeliest letter)."""
    op_mix: Literal["easy", "uniform"] = added_later("easy")
    """How training problems' op is drawn on 1..max_op: `easy`, the paper's min of two uniforms (op = max_op
    is 1 / max_op² of the problems), or `uniform` (1 / max_op each; a departure for small scales)."""
    retry_rate: float = 0.0
    """Part 2.2 retry data: before each solution sentence a retry "Define P as BACK." with this
    probability, another with this probability again, … (the paper: 0.01-0.5; 0 = error-free)."""
    retry_kind: Literal["wrong", "weak", "miss"] = "wrong"
    """What P is (`phys.science.igsm.retry`): a parameter that cannot be computed next (the paper's retry data), one
    of the solution not yet written (retry_weak) or one of the problem not yet used (retry_miss)."""
    retry_mask: bool = False
    """Label masking: no loss on the retracted "Define P as" tokens (the paper: unnecessary)."""
    subcategories: int = 5
    """Sub-categories of each category a problem may draw its names from (the world: 5)."""
    items: int = 20
    """Names per sub-category (the world: 20; fewer make a smaller world for small models)."""
    workers: int = 1
    """Processes drawing problems (the result does not depend on it: chunk c of 1,000 problems always
    comes from the seed stream (seed, c))."""

    def __post_init__(self) -> None:
        if self.max_op < 1 or self.max_edge < 2:
            raise ValueError("max_op must be >= 1 and max_edge >= 2")
        if self.problems < 1 or self.block_size < 16:
            raise ValueError("problems must be >= 1 and block_size >= 16")
        if not 1 <= self.hash_split <= 22:
            raise ValueError("hash_split must be in 1..22 (both halves non-empty)")
        if not 2 <= self.mod <= 52:
            raise ValueError("mod must be in 2..52")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.op_mix not in ("easy", "uniform"):
            raise ValueError("op_mix must be easy or uniform")
        if not 0 <= self.retry_rate < 1:
            raise ValueError("retry_rate must be in [0, 1)")
        if not 1 <= self.subcategories <= 5 or not 4 <= self.items <= 20:
            raise ValueError("subcategories must be in 1..5 and items in 4..20 (a layer draws up to 4 names)")

    def difficulty(self) -> dict[str, Any]:
        """The keyword arguments of `phys.science.igsm.generate.draw` besides max_op, op and bins."""
        from phys.science.igsm.world import load

        world = load()
        if (self.subcategories, self.items) != (5, 20):
            world = world.restrict(self.subcategories, self.items)
        return {"max_edge": self.max_edge, "fmt": self.fmt, "mod": self.mod, "redraw_s": self.redraw_s,
                "world": world, "letters": self.letters, "op_mix": self.op_mix}


EVAL_VERSION = 2
"""Version of the stages that grade solutions (`evaluate`, Part 2.2's `regret`): 2 since issue 22, whose
checker calls a number outside 0..mod − 1 a wrong value and accepts an earlier step's intermediate letter."""
WEAK_DATA_VERSION = 2
"""Version of a data stage with `retry_kind="weak"`: 2 since issue 22, whose weak retries name any parameter
not yet written, at every position (the official generator)."""

CHUNK = 1000  # problems per seed stream


class Drawn(NamedTuple):
    ids: list[int]
    retracted: list[int]  # indices of the retry sentences' "Define P as" tokens
    op: int
    ip: int
    retries: int
    sentences: int  # solution sentences, retries included
    text: str  # the readable sample (the chunk's first five problems only)


def draw_chunk(cfg: IgsmDataConfig, seed: int, chunk: int) -> list[Drawn]:
    """The training problems of chunk `chunk`: a pure function of its arguments, so any number of workers
    gives the same data. Retries come from a stream of their own: the same problems with and without."""
    from phys.science.igsm.generate import draw, hash_bins
    from phys.science.igsm.retry import with_retries
    from phys.science.igsm.tokens import encode_masked, vocabulary
    from phys.science.igsm.world import load

    tok = vocabulary(load(), cfg.mod)
    rng = random.Random(f"igsm-train:{seed}:{chunk}")
    retry_rng = random.Random(f"igsm-retry:{seed}:{chunk}")
    bins = hash_bins(cfg.hash_split, "train")
    out = []
    for _ in range(min(CHUNK, cfg.problems - chunk * CHUNK)):
        p = with_retries(retry_rng, draw(rng, cfg.max_op, bins=bins, **cfg.difficulty()), cfg.retry_rate,
                         cfg.retry_kind)
        text = f"{p.problem_text()}\n{p.solution_text()}\nAnswer:{p.answer_text()}\n" if len(out) < 5 else ""
        ids, retracted = encode_masked(tok, p)
        out.append(Drawn(ids, retracted, p.op, p.ip, len(p.retries), len(p.steps) + len(p.retries), text))
    return out


def data_metrics(cfg: IgsmDataConfig, upstream: Mapping[str, Any]) -> set[str]:
    return {"problems", "dropped", "tokens_per_problem", "vocab", "retries_per_problem"}


def op_mix(inp: LintInput) -> list[Measure]:
    """top_op_share: the share of the training problems at op = max_op: counted in igsm.json where the stage
    has run, else the share the generator draws (op* is the min of two uniforms: 1 / max_op²)."""
    from phys.science.igsm.generate import op_share

    cfg: IgsmDataConfig = inp.config
    stored = inp.folder / "igsm.json" if inp.folder is not None else None
    if stored is not None and stored.exists():
        ops = {int(k): v for k, v in json.loads(stored.read_text())["op_histogram"].items()}
        share, subject = ops.get(cfg.max_op, 0) / max(1, sum(ops.values())), "the training problems"
    else:
        share, subject = op_share(cfg.max_op, cfg.max_op, cfg.op_mix), "the training problems as drawn"
    return [Measure("top_op_share", f"op = {cfg.max_op} in {subject}", share)]


@produces(data_metrics)
@measures(op_mix)
def run_data(ctx: StageContext) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from phys.science.data.packing import Docs
    from phys.science.igsm.tokens import vocabulary
    from phys.science.igsm.world import load

    cfg: IgsmDataConfig = ctx.config
    tok = vocabulary(load(), cfg.mod)
    chunks = range((cfg.problems + CHUNK - 1) // CHUNK)
    job = partial(draw_chunk, cfg, ctx.seed)
    docs, starts, ignore, ops, ips, dropped, samples = [], [], [], Counter(), Counter(), 0, []
    retries = sentences = 0
    sol = tok.index["<sol>"]
    with ProcessPoolExecutor(cfg.workers) if cfg.workers > 1 else _Inline() as pool:
        for c, drawn in enumerate(pool.map(job, chunks)):
            for d in drawn:
                if len(d.ids) + 2 > cfg.block_size:  # + the <eos> before and after
                    dropped += 1
                    continue
                docs.append(d.ids)
                starts.append(d.ids.index(sol) + 1 if cfg.loss == "solution" else 0)
                ignore.append(d.retracted if cfg.retry_mask else [])
                ops[d.op] += 1
                ips[d.ip] += 1
                retries += d.retries
                sentences += d.sentences
                if d.text and len(samples) < 5:
                    samples.append(d.text)
            ctx.progress(min((c + 1) * CHUNK, cfg.problems), cfg.problems)
    if not docs:
        raise PhysError(f"every problem is longer than {ctx.name}.block_size={cfg.block_size}",
                        hint=f"raise {ctx.name}.block_size or lower {ctx.name}.max_edge")
    Docs.from_lists(docs, starts, list(range(len(docs))), ignore=ignore).save(ctx.out, "train")
    tok.save(ctx.out / "tokenizer.json")
    (ctx.out / "samples.txt").write_text("\n".join(samples))
    tokens = sum(len(d) for d in docs)
    info = {"config": asdict(cfg), "seed": ctx.seed, "problems": len(docs), "dropped": dropped, "tokens": tokens,
            "retries_per_problem": round(retries / len(docs), 4), "retry_share": round(retries / sentences, 4),
            "op_histogram": dict(sorted(ops.items())), "ip_histogram": dict(sorted(ips.items()))}
    (ctx.out / "igsm.json").write_text(json.dumps(info, indent=1))
    ctx.log(f"{len(docs)} problems ({dropped} longer than the context dropped), {tokens / len(docs):.0f} tokens "
            f"per problem; op histogram {dict(sorted(ops.items()))}")
    return {"problems": len(docs), "dropped": dropped, "tokens_per_problem": round(tokens / len(docs), 1),
            "vocab": len(tok), "retries_per_problem": info["retries_per_problem"]}


class _Inline:
    """A one-process stand-in for ProcessPoolExecutor."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def map(self, fn: Any, items: Any) -> Any:
        return map(fn, items)


@dataclass(frozen=True)
class IgsmEvalConfig:
    ops: tuple[int, ...] = (20, 21, 22, 23)
    """Out-of-distribution op values, each an eval set (med: 20-23, hard: 28-32)."""
    items: int = 4096
    """Problems per eval set (the paper: 4096)."""
    reask: bool = True
    """Also evaluate reask: op = max_op problems asked about another parameter."""
    baseline_items: int = 64
    """Problems of the in-distribution and the hardest set solved by the same model at random init
    (the no-training baseline); 0 = skip."""
    batch_size: int = 64
    """Problems decoded together."""
    max_new_tokens: int = 1024
    """Longest solution generated (tokens)."""
    model: str = "train"
    """The upstream stage whose model.pt is evaluated."""
    per_op: int = added_later(0)
    """Problems in each in-distribution set `id_op<k>`, k = 1..max_op: fresh problems of training-bin
    templates at op = k that no training problem equals (problem and question), each set scored against its
    own commonest answer. 0: none. The paper's in-distribution set (`id`) draws test-bin templates, of
    which a small op has few (op = 1 has two templates, one per bin): at op ≤ 4 it is a few templates and
    half its answers are a childless item's 0 (recipes/_igsm.py), so these sets measure learning there."""
    min_templates: float = added_later(0.0)
    """Score the test-template sets `id` and `reask` (the unseen-template claim) only where their effective
    number of templates (1 / Σ share² over the set's solution templates) reaches this; below it only
    `templates_<set>` is reported. 0: always score them."""

    def __post_init__(self) -> None:
        if self.items < 1 or self.batch_size < 1 or self.max_new_tokens < 1 or self.baseline_items < 0:
            raise ValueError("items, batch_size and max_new_tokens must be >= 1, baseline_items >= 0")
        if self.per_op < 0 or self.min_templates < 0:
            raise ValueError("per_op and min_templates must be >= 0")
        if any(op < 1 for op in self.ops):
            raise ValueError("every op must be >= 1")


def eval_sets(data: IgsmDataConfig, cfg: IgsmEvalConfig, seed: int,
              seen: Callable[[Any], bool] | None = None) -> dict[str, list[Any]]:
    """name -> problems: `id` (the training distribution), with `per_op` the sets `id_op<k>` (k = 1..max_op,
    training-bin templates, no problem for which `seen` is true), `op{max_op}`, `op{k}` for k in cfg.ops,
    `reask` (op = max_op problems asked about another parameter; the paper's reask of hard is reported
    next to op = 32, so its base op may differ); all but `id_op<k>` with test-bin templates, each set from
    its own seeded stream."""
    from phys.science.igsm.generate import draw, hash_bins, reask

    bins = hash_bins(data.hash_split, "test")
    kw = data.difficulty()
    sets: dict[str, list[Any]] = {}
    rng = random.Random(f"igsm-eval:id:{seed}")
    sets["id"] = [draw(rng, data.max_op, bins=bins, **kw) for _ in range(cfg.items)]
    train_bins = hash_bins(data.hash_split, "train")
    for k in range(1, data.max_op + 1) if cfg.per_op else ():
        rng = random.Random(f"igsm-eval:id_op{k}:{seed}")
        drawn, tries = [], 0
        while len(drawn) < cfg.per_op:
            tries += 1
            if tries > 50 * cfg.per_op:
                raise PhysError(f"fewer than {cfg.per_op} op = {k} problems of training templates outside the "
                                f"training set after {tries - 1} draws", hint="lower evaluate.per_op")
            p = draw(rng, data.max_op, op=k, bins=train_bins, **kw)
            if seen is None or not seen(p):
                drawn.append(p)
        sets[f"id_op{k}"] = drawn
    for op in sorted({data.max_op, *cfg.ops}):
        rng = random.Random(f"igsm-eval:op{op}:{seed}")
        sets[f"op{op}"] = [draw(rng, data.max_op, op=op, bins=bins, **kw) for _ in range(cfg.items)]
    if cfg.reask:
        rng = random.Random(f"igsm-eval:reask:{seed}")
        sets["reask"] = []
        while len(sets["reask"]) < cfg.items:
            asked = reask(rng, draw(rng, data.max_op, op=data.max_op, bins=bins, **kw), bins, letters=data.letters)
            if asked is not None:
                sets["reask"].append(asked)
    return sets


def solve(model: Any, tok: Any, problems: list[Any], cfg: IgsmEvalConfig, device: str,
          progress: Any = None) -> list[tuple[str, str | None]]:
    """Greedy (solution, answer) texts, batched by prompt length (left-padded)."""
    from phys.science.igsm.tokens import prompt, split_output
    from phys.science.model.generate import greedy_padded

    prompts = [prompt(tok, p) for p in problems]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    room = 2 * model.config.block_size  # the rotary table
    out: list[tuple[str, str | None]] = [("", None)] * len(prompts)
    for start in range(0, len(order), cfg.batch_size):
        chunk = order[start : start + cfg.batch_size]
        longest = max(len(prompts[i]) for i in chunk)
        new = min(cfg.max_new_tokens, room - longest)
        if new < 1:
            continue  # the prompt alone fills the model's positions: counted as unsolved
        texts = greedy_padded(model, [prompts[i] for i in chunk], new, tok.eos_id, tok.pad_id, device)
        for i, ids in zip(chunk, texts):
            out[i] = split_output(tok, ids)
        if progress is not None:
            progress(min(start + cfg.batch_size, len(order)), len(order))
    return out


def score(problems: list[Any], outputs: list[tuple[str, str | None]]) -> tuple[dict[str, float], list[Any]]:
    """acc (whole solution and answer right), answer_acc (answer only), answer_majority (the share of
    the set's commonest answer: op = 1 test problems, for one, all ask a childless item's total, 0),
    backs (retry sentences written per problem), solution_tokens (mean length), unnecessary (per correct
    solution), and the share of each error type."""
    from phys.science.data.tokenizer import pieces
    from phys.science.igsm.checker import ERRORS, grade
    from phys.science.igsm.problem import BACK

    grades = [grade(p, sol, ans if ans is not None else "") for p, (sol, ans) in zip(problems, outputs)]
    n = len(grades)
    correct = [g for g in grades if g.correct]
    answers = Counter(p.answer for p in problems)
    metrics = {"acc": len(correct) / n,
               "answer_acc": sum(ans == p.answer_text() for p, (_, ans) in zip(problems, outputs)) / n,
               "answer_majority": answers.most_common(1)[0][1] / n,  # always giving the commonest answer
               "backs": sum(sol.count(f" {BACK}") for sol, _ in outputs) / n,  # Part 2.2: retries written
               "solution_tokens": sum(len(pieces(sol)) for sol, _ in outputs) / n}
    if correct:  # unmeasured without a correct solution
        metrics["unnecessary"] = sum(g.unnecessary for g in correct) / len(correct)
    errors = Counter(g.error for g in grades if not g.correct)
    metrics.update({f"err_{e}": errors[e] / n for e in ERRORS})
    return metrics, grades


def load_upstream(ctx: StageContext, model: str) -> tuple[IgsmDataConfig, Any, Any]:
    """(the data stage's config, its vocabulary, the trained model of the stage with role `model`)."""
    from phys.science.data.tokenizer import Tokenizer
    from phys.science.train import load_model

    data = ctx.inputs["data"]
    data_cfg = IgsmDataConfig(**json.loads((data / "igsm.json").read_text())["config"])
    tok = Tokenizer.load(data / "tokenizer.json")
    return data_cfg, tok, load_model(ctx.upstream(model, f"{ctx.name}.model"), ctx.device)


SCORE = ("acc", "answer_acc", "answer_majority", "backs", "solution_tokens", "unnecessary")
"""The keys of `score` besides `err_<error>` (`unnecessary` only where a solution is right)."""


def set_names(data: IgsmDataConfig, ops: tuple[int, ...], reask: bool, per_op: int = 0) -> list[str]:
    """The names of `eval_sets`: `id`, with `per_op` `id_op<k>` for k = 1..max_op, `op<k>` for max_op and each
    of `ops`, `reask`."""
    per = [f"id_op{k}" for k in range(1, data.max_op + 1)] if per_op else []
    return ["id", *per, *(f"op{k}" for k in sorted({data.max_op, *ops})), *(["reask"] if reask else [])]


def seen_problems(data: Path, tok: Any) -> Callable[[Any], bool]:
    """Whether a problem (its text and question, as tokens) is one of the training problems of the data
    stage in `data`: their `<prob> … <sol>` prefixes, hashed."""
    import hashlib

    import numpy as np

    from phys.science.data.packing import Docs
    from phys.science.igsm.tokens import PROB, SOL

    docs = Docs.load(data, "train")
    tokens = np.asarray(docs.tokens)
    ends = np.flatnonzero(tokens == tok.index[SOL])  # (n_docs,): each document holds one <sol>
    if len(ends) != len(docs):
        raise PhysError("the data stage's documents do not hold one <sol> each", hint="rerun the data stage")

    def key(ids: Any) -> bytes:
        return hashlib.blake2b(np.asarray(ids, dtype=np.int32).tobytes(), digest_size=8).digest()

    hashes = {key(tokens[start : end + 1]) for start, end in zip(docs.offsets[:-1], ends)}

    def seen(problem: Any) -> bool:
        return key([tok.index[PROB], *tok.encode(problem.problem_text()), tok.index[SOL]]) in hashes

    return seen


def effective_templates(problems: list[Any]) -> float:
    """1 / Σ share² over the problems' solution templates: the number of equally common templates that
    would be as concentrated (2 templates at 75% / 25% count 1.6)."""
    from phys.science.igsm.problem import sketch

    counts = Counter(sketch(p.steps) for p in problems)
    return 1 / sum((c / len(problems)) ** 2 for c in counts.values())


def eval_metrics(cfg: IgsmEvalConfig, upstream: Mapping[str, Any]) -> set[str]:
    """`<score key>_<set>` and `op_<set>` per eval set, aliases `_max_op` / `_hardest`, the random-init
    baseline and the answer's chance level."""
    from phys.science.igsm.checker import ERRORS

    data = upstream["data"]
    hardest = f"op{max({data.max_op, *cfg.ops})}"
    per_set = (*SCORE, "op", "templates", *(f"err_{e}" for e in ERRORS))
    out = {f"{k}_{name}" for name in set_names(data, cfg.ops, cfg.reask, cfg.per_op) for k in per_set}
    out |= {f"{k}_{alias}" for k in ("acc", "answer_acc", "unnecessary") for alias in ("max_op", "hardest")}
    if cfg.per_op:
        out |= {"acc_id_ops", "answer_acc_id_ops", "answer_majority_id_ops", "acc_id_worst", "answer_acc_id_worst",
                "answer_gap_id_worst", "unnecessary_id_ops"}
    out.add("answer_chance")
    if cfg.baseline_items:
        out |= {f"{k}_{name}_random" for k in ("acc", "answer_acc") for name in ("id", hardest)}
        out.add("acc_hardest_random")
    return out


LINT_SAMPLE = 200
"""Problems of each eval set whose templates and answers the lints count (its first: the same as the
stage's, each set being its own seeded stream)."""


def eval_mix(inp: LintInput) -> list[Measure]:
    """Per eval set, from its first LINT_SAMPLE problems: distinct questions, templates (solution sketches,
    counted as 1 / Σ share²) and the commonest answer's share."""
    import dataclasses

    data = inp.upstream.get("data")
    if not isinstance(data, IgsmDataConfig):
        return []
    # The eval sets depend on the difficulty settings only: the arms' retry settings share one measurement.
    difficulty = dataclasses.replace(data, problems=1, block_size=IgsmDataConfig.block_size, loss="all",
                                     retry_rate=0.0, retry_kind="wrong", retry_mask=False, workers=1)
    cfg: IgsmEvalConfig = inp.config
    return list(_eval_mix(difficulty, IgsmEvalConfig(ops=cfg.ops, items=min(cfg.items, LINT_SAMPLE), reask=cfg.reask),
                          inp.seed))


@functools.lru_cache(maxsize=16)
def _eval_mix(data: IgsmDataConfig, cfg: IgsmEvalConfig, seed: int) -> tuple[Measure, ...]:
    """`eval_mix` of one (data, eval, seed): the arms of a recipe evaluate the same sets with other models."""
    out: list[Measure] = []
    for name, problems in eval_sets(data, cfg, seed).items():
        n, subject = len(problems), f"eval set {name}"
        answers = Counter(p.answer for p in problems)
        out += [Measure("eval_questions", subject, len({p.problem_text() for p in problems})),
                Measure("eval_templates", subject, effective_templates(problems)),
                Measure("eval_majority", subject, answers.most_common(1)[0][1] / n, chance=1 / data.mod)]
    return tuple(out)


@produces(eval_metrics)
@measures(eval_mix)
def run_eval(ctx: StageContext) -> dict[str, Any]:
    import torch

    from phys.science.model.gpt import GPT

    cfg: IgsmEvalConfig = ctx.config
    data_cfg, tok, model = load_upstream(ctx, cfg.model)
    sets = eval_sets(data_cfg, cfg, ctx.seed, seen_problems(ctx.inputs["data"], tok) if cfg.per_op else None)
    metrics: dict[str, Any] = {}
    for name, problems in list(sets.items()):
        metrics[f"templates_{name}"] = round(effective_templates(problems), 1)
        if name in ("id", "reask") and metrics[f"templates_{name}"] < cfg.min_templates:
            ctx.log(f"{name}: {metrics[f'templates_{name}']} effective templates, under evaluate.min_templates="
                    f"{cfg.min_templates:g}: the unseen-template claim is not measured on it")
            del sets[name]
    total, done = sum(len(v) for v in sets.values()), 0
    with open(ctx.out / "solutions.jsonl", "w") as f:
        for name, problems in sets.items():
            outputs = solve(model, tok, problems, cfg, ctx.device,
                            lambda d, t, base=done: ctx.progress(base + d, total, set=name))
            done += len(problems)
            m, grades = score(problems, outputs)
            metrics.update({f"{k}_{name}" if k != "acc" else f"acc_{name}": round(v, 4) for k, v in m.items()})
            metrics[f"op_{name}"] = round(sum(p.op for p in problems) / len(problems), 2)
            ctx.log(f"{name}: accuracy {m['acc']:.3f}, answer {m['answer_acc']:.3f}, unnecessary/solution "
                    f"{m.get('unnecessary', float('nan')):.2f}, errors " + ", ".join(f"{k[4:]} {v:.2f}" for k, v in m.items()
                                                                  if k.startswith("err_") and v))
            for p, (sol, ans), g in zip(problems, outputs, grades):
                f.write(json.dumps({"set": name, "op": p.op, "problem": p.problem_text(), "truth": p.solution_text(),
                                    "answer": p.answer, "solution": sol, "given": ans, "correct": g.correct,
                                    "error": g.error, "detail": g.detail, "unnecessary": g.unnecessary}) + "\n")
    if cfg.baseline_items:
        torch.manual_seed(ctx.seed)
        untrained = GPT(model.config).to(ctx.device).eval()
        hardest = f"op{max({data_cfg.max_op, *cfg.ops})}"
        for name in [n for n in ("id", hardest) if n in sets]:
            problems = sets[name][: cfg.baseline_items]
            short = IgsmEvalConfig(**{**asdict(cfg), "max_new_tokens": min(cfg.max_new_tokens, 256)})
            m, _ = score(problems, solve(untrained, tok, problems, short, ctx.device))
            metrics[f"acc_{name}_random"] = round(m["acc"], 4)
            metrics[f"answer_acc_{name}_random"] = round(m["answer_acc"], 4)
    metrics["answer_chance"] = round(1 / data_cfg.mod, 4)
    hardest = f"op{max({data_cfg.max_op, *cfg.ops})}"  # scale-independent names for the recipe's checks
    for key in ("acc", "answer_acc", "unnecessary"):
        for alias, name in (("max_op", f"op{data_cfg.max_op}"), ("hardest", hardest)):
            if f"{key}_{name}" in metrics:
                metrics[f"{key}_{alias}"] = metrics[f"{key}_{name}"]
    if cfg.baseline_items:
        metrics["acc_hardest_random"] = metrics[f"acc_{hardest}_random"]
    per = [f"id_op{k}" for k in range(1, data_cfg.max_op + 1) if f"id_op{k}" in sets]
    if per:  # in distribution over the ops: the mean, the worst op, the worst op's lead over its majority answer
        for key in ("acc", "answer_acc", "answer_majority"):
            metrics[f"{key}_id_ops"] = round(sum(metrics[f"{key}_{name}"] for name in per) / len(per), 4)
        for key in ("acc", "answer_acc"):
            metrics[f"{key}_id_worst"] = min(metrics[f"{key}_{name}"] for name in per)
        metrics["answer_gap_id_worst"] = round(min(metrics[f"answer_acc_{n}"] - metrics[f"answer_majority_{n}"]
                                                   for n in per), 4)
        right = [(metrics[f"unnecessary_{n}"], metrics[f"acc_{n}"]) for n in per if f"unnecessary_{n}" in metrics]
        if right:  # per correct solution over the ops' sets (weighted by their correct solutions)
            total = sum(acc for _, acc in right)
            metrics["unnecessary_id_ops"] = round(sum(u * acc for u, acc in right) / total, 4)
    return metrics
