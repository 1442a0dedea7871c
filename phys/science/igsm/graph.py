"""The iGSM structure graph and dependency graph [IGSM.md §2–4; PAPERS.md §4.1].

Parameters are tuples, as in the official code, because the labels and the canonical order depend on
them: instance `(0, i, j, k)` = "each N[i][j]'s N[i+1][k]" (a structure edge), abstract `(1, i, j, k)`
= "N[i][j]'s C[k]" (a total over layers i+1..k, never stated, implied by the hierarchy), and `RNG`.

`build` is one generation attempt of `Problem.gen`: structure graph (DrawStructure), the necessary
parameters within an op budget (G^nece1, G^nece2), a reverse topological order from the query that makes
every one of them necessary (G^nece3; the only step that can fail), extra inputs and RNG so that the
solution has exactly the target op (G^nece), then the unnecessary parameters (the full G_d).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from phys.science.igsm.world import World

Param = tuple[int, int, int, int]
INST, ABS = 0, 1
RNG: Param = (-1, 0, 0, 0)
MAX_INPUTS = 4  # RNG included


@dataclass(frozen=True)
class Structure:
    """d layers of items and the edges between consecutive layers."""

    categorization: int
    categories: tuple[str, ...]  # C[i], top to bottom
    names: tuple[tuple[str, ...], ...]  # N[i][j]
    children: tuple[tuple[tuple[int, ...], ...], ...]  # children[i][j]: items k of layer i+1, ascending

    @property
    def depth(self) -> int:
        return len(self.names)

    @property
    def widths(self) -> list[int]:
        return [len(layer) for layer in self.names]

    def edges(self) -> list[tuple[int, int, int]]:
        return [(i, j, k) for i, layer in enumerate(self.children) for j, kids in enumerate(layer) for k in kids]

    def instance_params(self) -> list[Param]:
        return [(INST, i, j, k) for i, j, k in self.edges()]

    def abstract_params(self) -> list[Param]:
        d, w = self.depth, self.widths
        return [(ABS, i, j, k) for i in range(d - 1) for j in range(w[i]) for k in range(i + 1, d)]

    def all_params(self) -> list[Param]:
        """The canonical universe of the labels [§3]: every adjacent item pair (non-edges are placeholders
        with no value), then every abstract parameter."""
        d, w = self.depth, self.widths
        pairs = [(INST, i, j, k) for i in range(d - 1) for j in range(w[i]) for k in range(w[i + 1])]
        return pairs + self.abstract_params()

    def name(self, p: Param) -> str:
        """ntn(p): "Film Studio's School Daypack" (instance) or "Central High's Backpack" (abstract)."""
        kind, i, j, k = p
        below = self.names[i + 1][k] if kind == INST else self.categories[k]
        return f"{self.names[i][j]}'s {below}"

    def hierarchy(self, a: Param) -> list[Param]:
        """The inputs of abstract `a` [§3]: its children's instance parameters, ascending, then (two or
        more layers down) the children's own abstract parameters of layer k."""
        _, i, j, k = a
        kids = self.children[i][j]
        inputs = [(INST, i, j, x) for x in kids]
        if k >= i + 2:
            inputs += [(ABS, i + 1, x, k) for x in kids]
        return inputs


def op_cost(n_inputs: int) -> int:
    """Operations to compute a parameter from n inputs (RNG counted) [§3]: binary ops, at least 1."""
    return 1 if n_inputs <= 2 else n_inputs - 1


@dataclass
class Graph:
    """One finished attempt [§4.8]: `inputs` is the whole graph (every parameter with a value: the
    instance parameters and all abstract ones, RNG included among inputs); `order` is the solution order
    T, query last; `problem_order` a topological order of everything, for computing values."""

    structure: Structure
    inputs: dict[Param, list[Param]]
    order: list[Param]
    problem_order: list[Param]

    @property
    def query(self) -> Param:
        return self.order[-1]

    @property
    def op(self) -> int:
        return sum(op_cost(len(self.inputs[p])) for p in self.order)


# --- 2. structure graph ---------------------------------------------------------------------------------------


def draw_structure(rng: random.Random, world: World, d: int, w0: int, w1: int, e: int, grow: float) -> Structure:
    """DrawStructure(e, d, w0, w1) [§2]: exactly e edges (e clamped to what d layers of w0..w1 allow)."""
    e = min(max(e, (d - 1) * w0), (d - 1) * w1 * w1)
    width = [w0] * d
    while True:
        max_e = sum(width[i] * width[i + 1] for i in range(d - 1))
        min_e = sum(width[1:])
        growable = [i for i in range(d) if width[i] < w1]
        if max_e < e:
            width[rng.choice(growable)] += 1
        elif min_e == e or not growable or rng.random() >= grow:
            break
        else:
            width[rng.choice(growable)] += 1
    categorization, categories, names = world.draw(rng, width)
    edges: set[tuple[int, int, int]] = set()
    for i in range(1, d):  # every non-top item gets a parent
        for k in range(width[i]):
            edges.add((i - 1, rng.randrange(width[i - 1]), k))
    absent = [(i, j, k) for i in range(d - 1) for j in range(width[i]) for k in range(width[i + 1])
              if (i, j, k) not in edges]
    edges.update(rng.sample(absent, e - len(edges)))
    children = tuple(tuple(tuple(sorted(k for (a, b, k) in edges if a == i and b == j)) for j in range(width[i]))
                     for i in range(d - 1))
    return Structure(categorization, categories, names, children)


def op_bound(s: Structure) -> int:
    """The code's `total`: an upper bound on reachable operations, used only to clamp n [§2]."""
    total = len(s.edges())
    for i in range(s.depth - 1):
        for kids in s.children[i]:
            c = len(kids)
            total += (c - 1 if c > 1 else c) + max(2 * c - 1, 0) * (s.depth - i - 2)
    return total


# --- 4.1 necessary parameters -----------------------------------------------------------------------------------


def abstract_cost(s: Structure, a: Param) -> int:
    return op_cost(len(s.hierarchy(a))) if s.hierarchy(a) else 1


class _Sets:
    """remain: undescribed edges; inter: abstract parameters not yet chosen; chosen: in insertion order."""

    def __init__(self, remain: list, inter: list, chosen: list) -> None:
        self.remain, self.inter, self.chosen = dict.fromkeys(remain), dict.fromkeys(inter), dict.fromkeys(chosen)

    def copy(self) -> _Sets:
        return _Sets(list(self.remain), list(self.inter), list(self.chosen))

    def select(self, s: Structure, a: Param) -> int:
        """Choose abstract `a` with everything it needs; the operations this adds [§4.1 trial selection]."""
        del self.inter[a]
        self.chosen[a] = None
        _, i, j, k = a
        count = 0
        for x in s.children[i][j]:
            sub = (ABS, i + 1, x, k)
            if k >= i + 2 and sub in self.inter:
                count += self.select(s, sub)
            if (i, j, x) in self.remain:
                del self.remain[(i, j, x)]
                self.chosen[(INST, i, j, x)] = None
                count += 1
        return count + abstract_cost(s, a)

    def describe(self, rng: random.Random, n: int) -> None:
        """Move n random undescribed edges to chosen, as necessary instance parameters."""
        for edge in rng.sample(list(self.remain), min(n, len(self.remain))):
            del self.remain[edge]
            self.chosen[(INST, *edge)] = None


def choose_necessary(rng: random.Random, s: Structure, n: int, m: int) -> _Sets:
    """Greedy choice of necessary parameters [§4.1]: each round commits the widest-span abstract parameter
    whose extra cost still fits the abstract budget n; the rest of m goes to extra instance parameters."""
    n = min(n, op_bound(s))
    n_left, n_fix = n, m - n
    sets = _Sets(s.edges(), s.abstract_params(), [])
    lowest, highest = 1, s.depth - 1
    while n_left > 0 and sets.inter:
        best: tuple[_Sets, int] | None = None
        for span in range(1, s.depth):
            cand = [a for a in sets.inter if a[3] - a[1] == span]
            if not cand:
                if span == lowest:
                    lowest += 1
                elif span == highest:
                    highest -= 1
                continue
            trial = sets.copy()
            count = trial.select(s, rng.choice(cand))
            if span == lowest and count > n_left:  # even the cheapest kind overshoots
                sets.describe(rng, n_left + n_fix)
                return sets
            if count <= n_left:
                if span < highest:
                    best = (trial, count)
                    continue
                sets, n_left = trial, n_left - count
                break
            if best is not None:
                sets, n_left = best[0], n_left - best[1]
            break
        else:
            if best is not None:  # every wider span was empty: commit the widest that fits
                sets, n_left = best[0], n_left - best[1]
    sets.describe(rng, n_fix)
    return sets


# --- 4.3 solution order -----------------------------------------------------------------------------------------


def solution_order(rng: random.Random, template: dict[Param, list[Param]]
                   ) -> tuple[list[Param], dict[Param, Param]] | None:
    """A reverse topological order from the query in which every template node is necessary [§4.3].

    Returns (T, attached): T the solution order, query last; attached[P] = the input added to instance P
    to connect a parameter that would otherwise be unnecessary. None when the walk gets stuck.
    """
    p0 = rng.random()
    p1 = p2 = abs(rng.gauss(0.0, 1.0))
    out = dict.fromkeys(template, 0)
    for preds in template.values():
        for u in preds:
            out[u] += 1
    sinks = [v for v in template if out[v] == 0]
    stack: list[Param] = []
    left = dict.fromkeys(template)
    picked: list[Param] = []
    attached: dict[Param, Param] = {}
    p = rng.choice(sinks)
    while True:
        picked.append(p)
        del left[p]
        sinks.remove(p)
        if p in stack:
            stack.remove(p)
        for u in template[p]:
            out[u] -= 1
            if out[u] == 0:
                sinks.append(u)
        need = not any(u in sinks for u in stack)
        if p[0] == INST and left and (need or rng.random() < p0):
            pool = list(sinks) if need else list(left)
            if pool:
                weights = [math.exp(p1 * (u[0] == ABS) + p2 * (u not in stack)) for u in pool]
                u = rng.choices(pool, weights)[0]
                attached[p] = u
                if u not in stack:
                    stack.append(u)
        elif p[0] == ABS:
            stack.extend(u for u in template[p] if u not in stack)
        if not left:
            return picked[::-1], attached
        cand = [v for v in sinks if v in stack]
        if not cand:
            return None
        p = rng.choice(cand)


# --- 4.4 exact op: extra inputs and RNG --------------------------------------------------------------------------


def attach_inputs(rng: random.Random, order: list[Param], template: dict[Param, list[Param]],
                  attached: dict[Param, Param], n_op_min: int, s: int) -> dict[Param, list[Param]]:
    """Inputs of every necessary parameter, raising instance in-degrees so that op = max(n_op_min, s)
    where positions allow it [§4.4]. An instance t_0 is always a plain number."""
    cap = [max(min(r + 1, MAX_INPUTS) - 2, 0) if p[0] == INST else 0 for r, p in enumerate(order)]
    extra = [0] * len(order)
    for _ in range(min(max(n_op_min, s) - n_op_min, sum(cap))):
        r = rng.choice([r for r in range(len(order)) if extra[r] < cap[r]])
        extra[r] += 1
    inputs = {p: list(template[p]) for p in order if p[0] == ABS}
    for r, p in enumerate(order):
        if p[0] != INST:
            continue
        pool = [RNG] + order[:r]
        k = min(rng.choice((1, 2)) if extra[r] == 0 else extra[r] + 2, r + 1, MAX_INPUTS)
        have = [attached[p]] if p in attached else []
        if k == len(pool):
            inputs[p] = have + [u for u in pool if u not in have]
        else:
            if len(have) < k and rng.random() < 0.5:
                have.append(RNG)
            inputs[p] = have + rng.sample([u for u in pool if u not in have], k - len(have))
    return inputs


# --- 4.5–4.6 availability and unnecessary parameters --------------------------------------------------------------


def available(s: Structure, described: set[tuple[int, int, int]]) -> set[Param]:
    """Abstract parameters computable from the described edges: the exact fixpoint [§4.5]."""
    out: set[Param] = set()
    for i in reversed(range(s.depth - 1)):
        for j, kids in enumerate(s.children[i]):
            if all((i, j, x) in described for x in kids):
                out.add((ABS, i, j, i + 1))
                for k in range(i + 2, s.depth):
                    if all((ABS, i + 1, x, k) in out for x in kids):
                        out.add((ABS, i, j, k))
    return out


def add_unnecessary(rng: random.Random, s: Structure, inputs: dict[Param, list[Param]], chosen: list[Param],
                    remain: list[tuple[int, int, int]], problem_order: list[Param]) -> None:
    """Describe every remaining edge as an unnecessary parameter [§4.6]: half of them draw inputs only from
    earlier independent ones (chains starting at plain numbers), half from anything computable so far."""
    described = {p[1:] for p in inputs if p[0] == INST}
    pool_all = list(chosen)
    known = set(pool_all)
    independent: list[Param] = []
    remain = list(remain)

    def wire(a: Param) -> None:  # quote abstract `a`: add it (and the abstract ones it needs) to the graph
        for u in s.hierarchy(a):
            if u[0] == ABS and u not in inputs:
                wire(u)
        inputs[a] = s.hierarchy(a)
        problem_order.append(a)

    def refresh() -> None:
        for a in sorted(available(s, described) - known):
            known.add(a)
            pool_all.append(a)

    refresh()
    while remain:
        edge = remain.pop(rng.randrange(len(remain)))
        p = (INST, *edge)
        is_independent = rng.random() < 0.5
        pool = independent if is_independent else pool_all
        k, k_max = 1, min(len(pool) + 1, MAX_INPUTS)
        while k < k_max and rng.random() < 0.5:
            k += 1
        if k == len(pool) + 1:
            chosen_inputs = [RNG] + list(pool)
        else:
            chosen_inputs = [RNG] if rng.random() < 0.5 else []
            chosen_inputs += rng.sample(pool, k - len(chosen_inputs))
        for u in chosen_inputs:
            if u[0] == ABS and u not in inputs:
                wire(u)
        inputs[p] = chosen_inputs
        problem_order.append(p)
        described.add(edge)
        known.add(p)
        pool_all.append(p)
        if is_independent:
            independent.append(p)
        refresh()


# --- one attempt ----------------------------------------------------------------------------------------------


def build(rng: random.Random, world: World, d: int, w0: int, w1: int, e: int, grow: float,
          n: int, m: int, s: int) -> Graph | None:
    """One generation attempt [§4.9]; None if the solution-order walk got stuck."""
    st = draw_structure(rng, world, d, w0, w1, e, grow)
    sets = choose_necessary(rng, st, n, m)
    chosen = list(sets.chosen)
    template = {p: (st.hierarchy(p) if p[0] == ABS else []) for p in chosen}
    found = solution_order(rng, template)
    if found is None:
        return None
    order, attached = found
    n_op_min = sum(abstract_cost(st, p) if p[0] == ABS else 1 for p in chosen)
    inputs = attach_inputs(rng, order, template, attached, n_op_min, s)
    problem_order = list(order)
    add_unnecessary(rng, st, inputs, chosen, list(sets.remain), problem_order)
    for a in sorted(st.abstract_params(), key=lambda a: -a[1]):  # the whole graph, for labels and reask
        if a not in inputs:  # deepest layer first: A(i,j,k) needs the A(i+1,x,k)
            inputs[a] = st.hierarchy(a)
            problem_order.append(a)
    return Graph(st, inputs, order, problem_order)
