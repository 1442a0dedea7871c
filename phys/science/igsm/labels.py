"""V-probing labels of iGSM [IGSM.md §10; PAPERS.md §4.3], over the canonical universe `all_params`
(instance pairs, non-edges included as placeholders, then abstract parameters) and the whole graph.

Per solution position t (0 = before the first sentence, t ≥ 1 = after sentence t):
    known(A)      A is among the first t parameters of the solution
    value(A)      A's value if known, else `mod` (23: "unknown")
    can_next(A)   all of A's inputs are computed and A is not (placeholders and childless abstracts always)
    nece_next(A)  can_next(A) and A is necessary
Position-independent:
    nece(A)       A is on the solution path
    dep(B, A)     B depends on A, recursively (a path A → … → B)
"""

from __future__ import annotations

from dataclasses import dataclass

from phys.science.igsm.graph import RNG, Param
from phys.science.igsm.problem import Problem


@dataclass(frozen=True)
class PositionLabels:
    known: frozenset[Param]
    can_next: frozenset[Param]
    nece_next: frozenset[Param]
    value: dict[Param, int]  # known parameters only; the rest are "unknown"


def nece(problem: Problem) -> frozenset[Param]:
    return frozenset(problem.necessary)


def position_labels(problem: Problem, order: list[Param] | None = None) -> list[PositionLabels]:
    """Labels at positions 0..len(order) of a solution that defines `order` (default: the true one).

    A Kahn walk over the whole graph: RNG is computed before the first sentence; the parameters of
    `order` are removed one per position. Raises ValueError if a parameter is defined before its inputs.
    """
    order = problem.necessary if order is None else order
    inputs = problem.graph.inputs
    universe = problem.structure.all_params()
    pending = {p: {u for u in inputs.get(p, ()) if u != RNG} for p in universe}
    necessary = nece(problem)
    out, done = [], []
    for t in range(len(order) + 1):
        if t:
            p = order[t - 1]
            if pending[p] or p in done:
                raise ValueError(f"{problem.name(p)} is not computable at sentence {t}")
            done.append(p)
            for need in pending.values():
                need.discard(p)
        ready = frozenset(p for p in universe if not pending[p] and p not in done)
        out.append(PositionLabels(frozenset(done), ready, ready & necessary,
                                  {p: problem.values[p] for p in done}))
    return out


def dep(problem: Problem) -> dict[Param, frozenset[Param]]:
    """dep[B] = every parameter B depends on (transitive closure of the whole graph, RNG excluded)."""
    inputs = problem.graph.inputs
    closure: dict[Param, frozenset[Param]] = {}

    def close(p: Param) -> frozenset[Param]:
        if p not in closure:
            direct = {u for u in inputs.get(p, ()) if u != RNG}
            closure[p] = frozenset(direct.union(*(close(u) for u in direct)))
        return closure[p]

    return {p: close(p) for p in problem.structure.all_params()}
