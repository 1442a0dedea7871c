"""Drawing iGSM problems at a difficulty [IGSM.md §5, §9, §13]: the easy-biased op, the rejection loop
over (s, n, m, d, w0, w1, grow, e), the template-hash split, and reask.

iGSM-med is `max_op=15, max_edge=20`, iGSM-hard `max_op=21, max_edge=28`; an evaluation set fixes `op`.
`max_edge` bounds ip, the number of instance parameters (= problem sentences).
"""

from __future__ import annotations

import math
import random
from typing import Literal

from phys.science.igsm.graph import RNG, Graph, Param, build, op_cost
from phys.science.igsm.problem import LETTERS, Problem, letter_stream, make_problem, make_steps
from phys.science.igsm.world import World, load

ATTEMPTS = 1000  # generation attempts per parameter draw [§4.9]
MAX_DRAWS = 200_000  # parameter draws before giving up (an op that the max_edge cannot reach)


def hash_bins(split: int, part: Literal["train", "test"]) -> frozenset[int]:
    """Template-hash bins: train = hash < split, test = hash ≥ split (paper: 17; released code: 16)."""
    return frozenset(range(split)) if part == "train" else frozenset(range(split, 23))


def easy_biased(rng: random.Random, top: int) -> int:
    """min of two uniform draws on 1..top: P(k) = (2(top − k) + 1) / top² [§5]."""
    return min(rng.randint(1, top), rng.randint(1, top))


def easy_biased_share(k: int, top: int) -> float:
    """P(easy_biased(rng, top) = k): the share of problems at op = k the generator aims for."""
    return (2 * (top - k) + 1) / top**2 if 1 <= k <= top else 0.0


OpMix = Literal["easy", "uniform"]


def draw_op(rng: random.Random, top: int, mix: OpMix = "easy") -> int:
    """An op on 1..top: the paper's easy-biased op* (`easy`) or uniform (`uniform`, a departure for small
    scales, where op = top is 1 / top² of the easy mix: 1/16 at top 4)."""
    return easy_biased(rng, top) if mix == "easy" else rng.randint(1, top)


def op_share(k: int, top: int, mix: OpMix = "easy") -> float:
    """P(draw_op(rng, top, mix) = k)."""
    return easy_biased_share(k, top) if mix == "easy" else (1 / top if 1 <= k <= top else 0.0)


def _width(rng: random.Random, r: float) -> int:
    weights = [math.exp(-((r - c) ** 2)) for c in (0.2, 0.5, 0.8)]
    return rng.choices((2, 3, 4), weights)[0]


def draw(rng: random.Random, max_op: int, max_edge: int, op: int | None = None,
         bins: frozenset[int] | None = None, fmt: Literal["pq", "qp"] = "pq", mod: int = 23,
         redraw_s: bool = True, world: World | None = None, letters: Literal["random", "ordered"] = "random",
         op_mix: OpMix = "easy") -> Problem:
    """One problem with op = `op` (or op* drawn by `op_mix` on 1..max_op: the paper's min of two uniforms) and
    ip ≤ max_edge whose template hash is in `bins` [§5]. redraw_s: draw the budget s independently of op*
    (by the same mix) and reject until they agree (the official procedure); False sets s = op* directly
    (cheaper, a slightly different mix).
    letters: the solution's letters random (the paper) or a, b, c, … (`letter_stream`).
    Where (d − 1)·w0 > max_edge (only below the paper's settings, e.g. max_edge = 6) the draw is repeated,
    which thins out the deepest and widest structures."""
    world = world or load()
    target = op if op is not None else draw_op(rng, max_op, op_mix)
    for _ in range(MAX_DRAWS):
        s = op if op is not None else (draw_op(rng, max_op, op_mix) if redraw_s else target)
        n = max(rng.randint(1, s), rng.randint(1, s))
        m = rng.randint(n, s)
        r = (s - 1) / (max_edge - 1)
        d = _width(rng, r)
        w0, w1 = sorted((_width(rng, r), _width(rng, r)))
        grow = rng.random()
        low = (d - 1) * w0
        if low > max_edge:  # d layers of w0 items need more edges than allowed: redraw (only small max_edge)
            continue
        e = min(rng.randint(low, max_edge), rng.randint(low, max_edge))
        for _ in range(ATTEMPTS):
            g = build(rng, world, d, w0, w1, e, grow, n, m, s)
            if g is not None:
                break
        else:
            continue
        problem = make_problem(rng, g, fmt, mod, letters)
        if problem is None or problem.op != target or (bins is not None and problem.template_hash() not in bins):
            continue
        return problem
    raise ValueError(f"no iGSM problem with op={target} within max_edge={max_edge} after {MAX_DRAWS} draws")


def ancestors(inputs: dict[Param, list[Param]], query: Param) -> set[Param]:
    out, todo = {query}, [query]
    while todo:
        for u in inputs[todo.pop()]:
            if u != RNG and u not in out:
                out.add(u)
                todo.append(u)
    return out


def random_topological(rng: random.Random, inputs: dict[Param, list[Param]], nodes: set[Param]) -> list[Param]:
    """Repeatedly pick a uniform node among those whose inputs are all placed."""
    pending = {p: {u for u in inputs[p] if u != RNG} for p in nodes}
    order: list[Param] = []
    ready = sorted(p for p, need in pending.items() if not need)
    while ready:
        p = ready.pop(rng.randrange(len(ready)))
        order.append(p)
        for q, need in pending.items():
            if p in need:
                need.discard(p)
                if not need:
                    ready.append(q)
    return order


def reask(rng: random.Random, problem: Problem, bins: frozenset[int] | None = None, tries: int = 100,
          letters: Literal["random", "ordered"] = "random") -> Problem | None:
    """The same problem sentences with a new question [§13]: a uniform existing parameter (never a
    non-edge placeholder); the solution is a random topological order of its ancestors, fresh letters.
    None if no query within `tries` gives a template in `bins`."""
    g = problem.graph
    candidates = sorted(p for p in g.inputs if p not in (RNG, problem.query))
    for _ in range(tries):
        query = rng.choice(candidates)
        nodes = ancestors(g.inputs, query)
        order = random_topological(rng, g.inputs, nodes - {query}) + [query]
        if sum(op_cost(len(g.inputs[p])) for p in order) > len(LETTERS):
            continue
        new_graph = Graph(g.structure, g.inputs, order, g.problem_order)
        steps = make_steps(new_graph, problem.forms, problem.values, order, letter_stream(rng, letters), problem.mod)
        out = Problem(new_graph, problem.forms, problem.values, problem.sentence_order, steps, problem.fmt,
                      problem.mod)
        if bins is None or out.template_hash() in bins:
            return out
    return None
