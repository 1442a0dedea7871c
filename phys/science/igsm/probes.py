"""V-probing examples of iGSM [2.1 §4; IGSM.md §10]: a problem's tokens truncated at a probe position,
then `<start> A <end>` (or `<start> A <mid> B <end>` for dep), read at `<end>`.

Three kinds of example, at most 10 per problem as in the paper:
    nece   truncated at the end of the question (pq; for qp the end of the problem): is A necessary?
    dep    truncated at the end of the problem sentences: does A depend (recursively) on B?
    step   truncated at solution position t (the <sol> token for t = 0, the "." closing sentence t after):
           known(A), value(A) (mod = "unknown"), can_next(A), nece_next(A): four labels, one input
Parameters are drawn among those that exist (instance edges and abstract ones), never the non-edge
placeholders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from phys.science.data.tokenizer import Tokenizer
from phys.science.igsm.graph import RNG, Param
from phys.science.igsm.labels import dep, position_labels
from phys.science.igsm.problem import Problem
from phys.science.igsm.tokens import END, MID, START, prompt

TASKS = ("nece", "dep", "known", "value", "can_next", "nece_next")
IGNORE = -100  # the label of a task an example does not carry


@dataclass(frozen=True)
class Example:
    ids: list[int]  # <eos> <prob> problem … <start> A [<mid> B] <end>
    labels: tuple[int, ...]  # one per TASKS entry, IGNORE where not applicable


def n_classes(mod: int) -> list[int]:
    return [2, 2, 2, mod + 1, 2, 2]


def _labels(**given: int) -> tuple[int, ...]:
    return tuple(given.get(task, IGNORE) for task in TASKS)


def examples(tok: Tokenizer, problem: Problem, rng: random.Random, n_nece: int = 2, n_dep: int = 3,
             n_step: int = 5) -> list[Example]:
    """Up to n_nece + n_dep + n_step probing examples of one problem."""
    params = sorted(p for p in problem.graph.inputs if p != RNG)
    necessary = set(problem.necessary)
    head = prompt(tok, problem)  # <eos> <prob> problem <sol>
    dot, ask = tok.index["."], tok.index["?"]
    if problem.fmt == "pq":  # " S1. … Sn. How many …?": problem end = the last "." before the question
        problem_end = max(i for i, t in enumerate(head) if t == dot)
        question_end = len(head) - 2  # the "?"
        assert head[question_end] == ask
    else:  # " How many …? S1. … Sn.": the question comes first
        problem_end = question_end = len(head) - 2

    def probe(prefix: list[int], *names: Param) -> list[int]:
        body = [tok.index[START]] + tok.encode(" " + problem.name(names[0]))
        for other in names[1:]:
            body += [tok.index[MID]] + tok.encode(" " + problem.name(other))
        return prefix + body + [tok.index[END]]

    out = []
    for a in rng.sample(params, min(n_nece, len(params))):
        out.append(Example(probe(head[: question_end + 1], a), _labels(nece=int(a in necessary))))
    closure = dep(problem)
    for _ in range(n_dep):
        a, b = rng.sample(params, 2)
        out.append(Example(probe(head[: problem_end + 1], a, b), _labels(dep=int(b in closure[a]))))
    solution = tok.encode(problem.solution_text())
    ends = [len(head) - 1] + [len(head) + i for i, t in enumerate(solution) if t == dot]  # position t
    steps = position_labels(problem)
    assert len(ends) == len(steps)
    full = head + solution
    for _ in range(n_step):
        t, a = rng.randrange(len(steps)), rng.choice(params)
        lab = steps[t]
        out.append(Example(probe(full[: ends[t] + 1], a),
                           _labels(known=int(a in lab.known), value=lab.value.get(a, problem.mod),
                                   can_next=int(a in lab.can_next), nece_next=int(a in lab.nece_next))))
    return out
