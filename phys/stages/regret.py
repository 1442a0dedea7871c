"""The `regret` stage: retry upon regret [2.2 §3, Results 0–1; PAPERS.md §5.2].

An error detector reads the model while it writes: after each solution sentence "Define P as …", is P
computable next (all of its inputs already defined, P not)? If the detector says no, the sentence is
regretted: decoding returns to the end of the previous sentence (the KV cache is rolled back) and samples
the sentence again (temperature 1), up to `max_retries` regenerations per solution. The first attempt of
every sentence is greedy, so without regrets this is the greedy baseline.

Detectors (each a decoding of every test problem):
    greedy   none: greedy decoding, the baseline
    probe    a can_next V-probe (`phys.science.probe.fit_embedding_probe`: the frozen model with a rank-8 embedding
             update, a LayerNorm and a linear head) fitted here on training-distribution problems, read at
             `<start> P <end>` appended after the previous sentence (the paper's version1)
    perfect  the true can_next of P from the problem's graph (P nonexistent: an error): the upper bound
             (the paper's versionP). It judges only whether P may be computed next, not the values written
    random   the control: regret a sentence at random, as often as the probe did on the same set (is the
             gain detection, or only sampling again?)

Metrics per eval set (in distribution, and each op in `ops`): acc_{set}_{detector} (whole-solution
accuracy by the checker), regrets_{set}_{detector} (regenerations per problem); how the probe judged the
sentences it saw against the truth: flag_rate_{set}, detector_recall_{set} (share of the truly wrong
sentences it flagged; the paper: ≈ 60% of first wrong steps), detector_false_alarm_{set} (share of the
right ones it flagged); the probe's test accuracy on random (position, parameter) pairs probe_can_next and
its all-false baseline majority_can_next; aliases *_hardest for the largest op.
Torch-free at import.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from phys.stages.context import StageContext, produces

_DEFINE = re.compile(r" Define (.+?) as ")


@dataclass(frozen=True)
class RegretConfig:
    model: str = "train"
    """The upstream stage (by role) whose model writes the solutions."""
    ops: tuple[int, ...] = (23,)
    """Out-of-distribution op values evaluated besides the training distribution (the paper: 23 / 32)."""
    items: int = 4096
    """Problems per eval set (test-bin templates)."""
    max_retries: int = 10
    """Regenerations per solution at most (the paper: 10; versionP50: 50)."""
    temperature: float = 1.0
    """Sampling temperature of a regenerated sentence (the paper: beam 1, sampling)."""
    max_new_tokens: int = 1024
    """Longest solution written (tokens)."""
    probe_problems: int = 2000
    """Training-distribution problems (train-bin templates) the can_next probe is fitted on, 10 examples each."""
    probe_test_problems: int = 500
    """Test-bin problems the probe's accuracy is measured on."""
    probe_steps: int = 600
    """Optimizer steps of the probe ([2.1]: 100,000)."""
    probe_batch_size: int = 64
    """Examples per probe step."""
    rank: int = 8
    """Rank of the probe's embedding update ([2.1]: 8)."""

    def __post_init__(self) -> None:
        for name in ("items", "max_new_tokens", "probe_problems", "probe_test_problems", "probe_steps",
                     "probe_batch_size", "rank"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_retries < 0 or self.temperature <= 0:
            raise ValueError("max_retries must be >= 0 and temperature > 0")


Detector = Callable[[Any, list[int], str, list[str]], bool]  # (problem, prefix ids, sentence, defined) -> ok


def decode_with_regret(model: Any, tok: Any, problem: Any, detector: Detector | None, cfg: RegretConfig,
                       generator: Any, device: str) -> tuple[str, str | None, int]:
    """(solution text, answer text or None, regenerations) of one problem, written sentence by sentence.

    Invariant: `logits` predicts the token after prompt + out, which the cache holds (cache.length).
    A sentence ends at "." (then the detector judges it), <ans> (the answer follows) or <eos>.
    """
    import torch

    from phys.science.igsm.problem import BACK
    from phys.science.igsm.tokens import ANS, prompt
    from phys.science.model.gpt import KVCache

    ids = prompt(tok, problem)
    answer_room = 4
    budget = min(cfg.max_new_tokens, 2 * model.config.block_size - len(ids) - answer_room)  # the rotary table
    if budget < 1:
        return "", None, 0
    dot, ans, eos = tok.index["."], tok.index[ANS], tok.eos_id
    cache = KVCache(model.config, 1, len(ids) + budget + answer_room, torch.device(device),
                    next(model.parameters()).dtype)

    def feed(token_ids: list[int]) -> torch.Tensor:
        return model(torch.tensor([token_ids], device=device), cache)[0, -1]  # (V,)

    def sentence(logits: torch.Tensor, greedy: bool, used: int) -> list[int]:
        """Tokens up to a terminal one (not fed to the model) or the budget."""
        new: list[int] = []
        while True:
            if greedy:
                nxt = int(logits.argmax())
            else:
                probs = torch.softmax(logits.float() / cfg.temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            new.append(nxt)
            if nxt in (dot, ans, eos) or used + len(new) >= budget:
                return new
            logits = feed([nxt])

    out: list[int] = []
    defined: list[str] = []  # the names the accepted sentences define
    regrets = 0
    with torch.no_grad():
        logits = feed(ids)
        while True:
            mark, before = cache.length, logits
            new = sentence(before, True, len(out))
            while (new[-1] == dot and detector is not None and regrets < cfg.max_retries
                   and not detector(problem, ids + out, tok.decode(new), defined)):
                regrets += 1
                cache.length = mark  # back to the end of the previous sentence
                new = sentence(before, False, len(out))
            out += new
            if new[-1] != dot or len(out) >= budget:
                break
            text = tok.decode(new)
            name = _DEFINE.match(text)
            if name is not None and BACK not in text:
                defined.append(name.group(1))
            logits = feed([dot])
        if out[-1] != ans:
            return tok.decode([t for t in out if t != eos]), None, regrets
        rest: list[int] = []
        logits = feed([ans])
        while len(rest) < answer_room - 1:
            nxt = int(logits.argmax())
            if nxt == eos:
                break
            rest.append(nxt)
            logits = feed([nxt])
        return tok.decode(out[:-1]), tok.decode(rest), regrets


@dataclass
class Tally:
    """How the probe judged the sentences it saw, against the truth (`perfect_detector`)."""

    judged: int = 0
    flagged: int = 0
    wrong: int = 0  # sentences that truly define a parameter not computable next
    caught: int = 0  # wrong and flagged
    false_alarms: int = 0  # right and flagged

    def rates(self) -> dict[str, float]:
        right = self.judged - self.wrong
        out = {"flag_rate": round(self.flagged / max(self.judged, 1), 4)}
        if self.wrong:
            out["detector_recall"] = round(self.caught / self.wrong, 4)
        if right:
            out["detector_false_alarm"] = round(self.false_alarms / right, 4)
        return out


def tallied(detector: Detector, tally: Tally) -> Detector:
    def detect(problem: Any, prefix: list[int], sentence: str, defined: list[str]) -> bool:
        ok, truth = detector(problem, prefix, sentence, defined), perfect_detector(problem, prefix, sentence, defined)
        tally.judged += 1
        tally.flagged += not ok
        tally.wrong += not truth
        tally.caught += not ok and not truth
        tally.false_alarms += not ok and truth
        return ok

    return detect


def random_detector(rate: float, rng: random.Random) -> Detector:
    """Regret a sentence with probability `rate` whatever it says: regeneration without detection."""
    return lambda problem, prefix, sentence, defined: rng.random() >= rate


def perfect_detector(problem: Any, prefix: list[int], sentence: str, defined: list[str]) -> bool:
    """Whether the parameter the sentence defines exists and is computable next (the truth)."""
    from phys.science.igsm.graph import RNG

    name = _DEFINE.match(sentence)
    if name is None or "BACK" in sentence:
        return True  # not a Define sentence (the checker judges it) or a retraction
    p = problem.param(name.group(1))
    if p is None:
        return False
    known = {problem.param(n) for n in defined}
    return p not in known and all(u == RNG or u in known for u in problem.graph.inputs[p])


def probe_detector(probe: Any, tok: Any, device: str) -> Detector:
    """The can_next probe read at `<start> P <end>` after the previous sentence."""
    import torch

    from phys.science.igsm.tokens import END, START

    def detect(problem: Any, prefix: list[int], sentence: str, defined: list[str]) -> bool:
        name = _DEFINE.match(sentence)
        if name is None or "BACK" in sentence:
            return True
        ids = prefix + [tok.index[START]] + tok.encode(" " + name.group(1)) + [tok.index[END]]
        with torch.no_grad():
            logits = probe(torch.tensor([ids], device=device), torch.tensor([[len(ids) - 1]], device=device))[0]
        return bool(logits[0, 0].argmax() == 1)

    return detect


def fit_can_next_probe(ctx: StageContext, cfg: RegretConfig, data_cfg: Any, tok: Any, model: Any
                       ) -> tuple[Any, dict[str, float]]:
    """(the can_next probe on a copy of `model`, its test accuracy and all-false baseline)."""
    import torch

    from phys.science.igsm.generate import draw, hash_bins
    from phys.science.igsm.probes import TASKS, examples
    from phys.science.probe import fit_embedding_probe

    room = 2 * model.config.block_size
    rng = random.Random(f"igsm-regret-probe:{ctx.seed}")
    split = []  # (ids, can_next, is_train)
    for part, count in (("train", cfg.probe_problems), ("test", cfg.probe_test_problems)):
        bins = hash_bins(data_cfg.hash_split, part)
        for i in range(count):
            problem = draw(rng, data_cfg.max_op, bins=bins, **data_cfg.difficulty())
            split += [(ex.ids, ex.labels[TASKS.index("can_next")], part == "train")
                      for ex in examples(tok, problem, rng, n_nece=0, n_dep=0, n_step=10) if len(ex.ids) <= room]
            if (i + 1) % 100 == 0:
                ctx.progress(i + 1, count, part=f"probe: drawing {part} problems")
    idx = torch.full((len(split), max(len(s[0]) for s in split)), tok.pad_id, dtype=torch.long)  # (N, T)
    for n, (ids, _, _) in enumerate(split):
        idx[n, : len(ids)] = torch.tensor(ids)
    positions = torch.tensor([[len(s[0]) - 1] for s in split])  # (N, 1): <end>
    labels = torch.tensor([[s[1]] for s in split])  # (N, 1)
    train = torch.tensor([s[2] for s in split])
    ctx.log(f"can_next probe: {int(train.sum())} training and {int((~train).sum())} test examples, "
            f"{cfg.probe_steps} steps")
    probe = fit_embedding_probe(copy.deepcopy(model), idx.to(ctx.device), positions.to(ctx.device),
                                labels.to(ctx.device), train.to(ctx.device), [2], cfg.rank, cfg.probe_steps,
                                cfg.probe_batch_size, lr=2e-3, weight_decay=0.01, seed=ctx.seed, trim=True)
    test = (~train).nonzero().squeeze(1)
    right = []
    with torch.no_grad():
        for start in range(0, len(test), 256):
            rows = test[start : start + 256]
            width = int(positions[rows].max()) + 1
            logits = probe(idx[rows, :width].to(ctx.device), positions[rows].to(ctx.device))[0]  # (b, 1, 2)
            right.append((logits[:, 0].argmax(-1).cpu() == labels[rows, 0]))
    acc = float(torch.cat(right).float().mean())
    majority = float((labels[test, 0] == 0).float().mean())
    return probe, {"probe_can_next": round(acc, 4), "majority_can_next": round(majority, 4)}


DETECTORS = ("greedy", "probe", "random", "perfect")


def metrics(cfg: RegretConfig, upstream: Mapping[str, Any]) -> set[str]:
    """The can_next probe's accuracy, then per eval set and detector the accuracies and regenerations, and
    how the probe judged as a detector (`Tally.rates`); `_hardest` aliases of the hardest set's."""
    from phys.stages.igsm import set_names

    data = upstream["data"]
    hardest = f"op{max({data.max_op, *cfg.ops})}"
    out = {"probe_can_next", "majority_can_next"}
    for name in set_names(data, cfg.ops, reask=False):
        out |= {f"{k}_{name}_{d}" for k in ("acc", "answer_acc") for d in DETECTORS}
        out |= {f"regrets_{name}_{d}" for d in DETECTORS if d != "greedy"}
        out |= {f"{k}_{name}" for k in ("flag_rate", "detector_recall", "detector_false_alarm")}
    return out | {k.replace(f"_{hardest}", "_hardest") for k in out if f"_{hardest}_" in k or k.endswith(f"_{hardest}")}


@produces(metrics)
def run(ctx: StageContext) -> dict[str, Any]:
    import torch

    from phys.stages.igsm import IgsmEvalConfig, eval_sets, load_upstream, score

    cfg: RegretConfig = ctx.config
    data_cfg, tok, model = load_upstream(ctx, cfg.model)
    model.eval()
    probe, metrics = fit_can_next_probe(ctx, cfg, data_cfg, tok, model)
    ctx.log(f"can_next probe: test accuracy {metrics['probe_can_next']:.3f} "
            f"(all-false {metrics['majority_can_next']:.3f})")
    sets = eval_sets(data_cfg, IgsmEvalConfig(ops=cfg.ops, items=cfg.items, reask=False), ctx.seed)
    total, done = len(sets) * 4 * cfg.items, 0
    with open(ctx.out / "solutions.jsonl", "w") as f:
        for name, problems in sets.items():
            tally = Tally()
            detectors: dict[str, Detector | None] = {
                "greedy": None, "probe": tallied(probe_detector(probe, tok, ctx.device), tally)}
            for kind in ("greedy", "probe", "random", "perfect"):
                if kind == "random":  # the control: regret as often as the probe did, at random sentences
                    detectors[kind] = random_detector(tally.flagged / max(tally.judged, 1),
                                                      random.Random(f"regret-random:{ctx.seed}:{name}"))
                detector = detectors.get(kind, perfect_detector)
                generator = torch.Generator(device=ctx.device).manual_seed(ctx.seed)
                outputs, regrets = [], 0
                for p in problems:
                    sol, ans, n = decode_with_regret(model, tok, p, detector, cfg, generator, ctx.device)
                    outputs.append((sol, ans))
                    regrets += n
                    done += 1
                    if done % 20 == 0:
                        ctx.progress(done, total, set=name, detector=kind)
                m, grades = score(problems, outputs)
                metrics[f"acc_{name}_{kind}"] = round(m["acc"], 4)
                metrics[f"answer_acc_{name}_{kind}"] = round(m["answer_acc"], 4)
                if kind != "greedy":
                    metrics[f"regrets_{name}_{kind}"] = round(regrets / len(problems), 3)
                ctx.log(f"{name} {kind}: accuracy {m['acc']:.3f}, answer {m['answer_acc']:.3f}"
                        + (f", {regrets / len(problems):.2f} regenerations per problem" if kind != "greedy" else ""))
                for p, (sol, ans), g in zip(problems, outputs, grades):
                    f.write(json.dumps({"set": name, "detector": kind, "op": p.op, "solution": sol, "given": ans,
                                        "correct": g.correct, "error": g.error}) + "\n")
            metrics.update({f"{k}_{name}": v for k, v in tally.rates().items()})
            ctx.log(f"{name} probe as a detector: " + ", ".join(f"{k} {v:.3f}" for k, v in tally.rates().items()))
    hardest = f"op{max({data_cfg.max_op, *cfg.ops})}"
    for key in [k for k in metrics if f"_{hardest}_" in k or k.endswith(f"_{hardest}")]:
        metrics[key.replace(f"_{hardest}", "_hardest")] = metrics[key]
    return metrics
