"""Retry data of Part 2.2 [PAPERS.md §5.3, §5.5]: solutions with retracted mistakes.

Before solution sentence k, with probability `retry_rate`, a retry sentence "Define P as BACK." is
inserted; another follows with probability `retry_rate` again (so at least j of them with probability
retry_rate^j), each with a parameter P not yet inserted at that position. What P may be depends on the kind:

    wrong   a parameter that cannot be computed next: not yet defined and some input not yet computed
            [2.2-full fn. 15: "excluding those already used", read here as excluding the parameters
            already defined; the same wrong P may be retracted again before a later sentence]
    weak    a parameter of the solution not yet written (sentence k onward, the one written next
            included), at every position as the official generator [§5.5 retry_weak]: no semantics
            needed; it may be computable already (a fake mistake). Before issue 22: k + 1 onward and
            k ≥ 1 only, 0.17 weak retries per problem at the Part 2.2 cpu setting
    miss    an instance parameter stated in the problem, not yet defined and not the one written next
            [§5.5 retry_miss]: possibly unnecessary, possibly computable (abstract parameters, which no
            problem sentence states, are never drawn)

A position without candidates gets no retry. `Problem.solution_chunks` renders the retries and marks the
"Define P as" span that label masking drops. Pure Python; the draw uses its own `random.Random`, so the
same problems come out of the generator with and without retries.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Literal

from phys.science.igsm.graph import RNG, Param
from phys.science.igsm.problem import Problem

Kind = Literal["wrong", "weak", "miss"]
KINDS: tuple[str, ...] = ("wrong", "weak", "miss")


def candidates(problem: Problem, k: int, kind: Kind) -> list[Param]:
    """The parameters a retry before solution sentence k may name, sorted."""
    defined = set(problem.necessary[:k])
    if kind == "wrong":
        inputs = problem.graph.inputs
        return sorted(p for p in inputs if p != RNG and p not in defined
                      and any(u != RNG and u not in defined for u in inputs[p]))
    if kind == "weak":
        return sorted(set(problem.necessary[k:]))
    if kind == "miss":
        return sorted(p for p in problem.sentence_order if p not in defined and p != problem.necessary[k])
    raise ValueError(f"unknown retry kind {kind!r}; expected one of {', '.join(KINDS)}")


def with_retries(rng: random.Random, problem: Problem, rate: float, kind: Kind = "wrong") -> Problem:
    """A copy of `problem` whose solution carries retry sentences at `rate` (0 = the problem itself)."""
    if not 0 <= rate < 1:
        raise ValueError("retry rate must be in [0, 1)")
    if rate == 0:
        return problem
    retries: list[tuple[int, Param]] = []
    for k in range(len(problem.steps)):
        pool = candidates(problem, k, kind)
        while pool and rng.random() < rate:
            retries.append((k, pool.pop(rng.randrange(len(pool)))))
    return dataclasses.replace(problem, retries=tuple(retries))
