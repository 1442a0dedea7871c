"""An iGSM problem rendered from its dependency graph [IGSM.md §6–9]: the sentence forms and values mod 23,
the problem text in random sentence order, the question, the solution in the paper's format, and the
solution template ("sketch") whose hash decides train or test.

Solution format, one sentence per necessary parameter in solution order, binary operations only:

    Define Film Studio's School Daypack as T; q = K - d = 7 - 21 = 9; so T = 5 + q = 5 + 9 = 14.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Callable, Iterator, Literal

from phys.science.igsm.graph import ABS, INST, RNG, Graph, Param, Structure

LETTERS = tuple("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
HASH_MOD = 23  # the template hash is mod 23 whatever the arithmetic modulus
BACK = "BACK"  # Part 2.2's retry word: "Define P as BACK." retracts a wrong step (the paper's " BACK" token)


@dataclass(frozen=True)
class Form:
    """How an instance parameter is stated [§6.2]: value = body, or r ⊕ body (⊕ = add / mul), or r."""

    body: Literal["none", "single", "sum", "diff"]  # "none": a plain number r
    rng_op: Literal["add", "mul"] | None = None
    r: int | None = None


@dataclass(frozen=True)
class Clause:
    """`letter = HINT = CALC = value`: operands are (letter or number as written, value)."""

    letter: str
    operands: tuple[tuple[str, int], ...]
    sign: str | None
    value: int


@dataclass(frozen=True)
class Step:
    """One solution sentence: Define ntn(param) as letter; intermediate clauses; so letter = …."""

    param: Param
    letter: str
    clauses: tuple[Clause, ...]  # intermediates in post-order, then the parameter's own ("so") clause


@dataclass
class Problem:
    graph: Graph
    forms: dict[Param, Form]
    values: dict[Param, int]
    sentence_order: list[Param]  # instance parameters in problem-text order
    steps: list[Step]  # the solution, query last
    fmt: Literal["pq", "qp"]
    mod: int
    retries: tuple[tuple[int, Param], ...] = ()  # Part 2.2: (k, P) = "Define P as BACK." before step k
    _names: dict[str, Param] = field(default_factory=dict, repr=False)

    @property
    def structure(self) -> Structure:
        return self.graph.structure

    @property
    def query(self) -> Param:
        return self.steps[-1].param

    @property
    def answer(self) -> int:
        return self.values[self.query]

    @property
    def op(self) -> int:
        return sum(len(step.clauses) for step in self.steps)

    @property
    def ip(self) -> int:
        return len(self.sentence_order)

    @property
    def necessary(self) -> list[Param]:
        return [step.param for step in self.steps]

    def name(self, p: Param) -> str:
        return self.structure.name(p)

    def param(self, name: str) -> Param | None:
        """The parameter (instance or abstract, with a value) named `name`, or None."""
        if not self._names:
            self._names = {self.name(p): p for p in self.graph.inputs}
        return self._names.get(name)

    def problem_text(self) -> str:
        """`" S1. S2. … Sn. How many X does Y have?"` (pq) or the question first (qp) [§6.5]."""
        body = " " + ". ".join(sentence(self.structure, p, self.graph.inputs[p], self.forms[p])
                               for p in self.sentence_order) + "."
        ask = " " + question(self.structure, self.query)
        return body + ask if self.fmt == "pq" else ask + body

    def solution_text(self) -> str:
        return "".join(text for text, _ in self.solution_chunks())

    def solution_chunks(self) -> list[tuple[str, bool]]:
        """The solution as (text, retracted) pieces that end on token boundaries: each sentence
        `" Define … as X; …; so X = v."`, and each retry sentence of Part 2.2 as `" Define P as"`
        (retracted: the span that label masking drops) then `" BACK."`."""
        before: dict[int, list[Param]] = {}
        for k, p in self.retries:
            before.setdefault(k, []).append(p)
        out: list[tuple[str, bool]] = []
        for k, step in enumerate(self.steps):
            for p in before.get(k, ()):
                out += [(f" Define {self.name(p)} as", True), (f" {BACK}.", False)]
            out.append((" " + render_step(step, self.name(step.param)) + ".", False))
        return out

    def answer_text(self) -> str:
        return f" {self.answer}"

    def template_hash(self) -> int:
        return template_hash(sketch(self.steps))


# --- text -----------------------------------------------------------------------------------------------------


def ref(s: Structure, p: Param) -> str:
    return "each " + s.name(p)


def sentence(s: Structure, p: Param, inputs: list[Param], form: Form) -> str:
    """The problem sentence that states instance parameter p [§6.2]."""
    xs = [ref(s, u) for u in inputs if u != RNG]
    head = f"The number of {ref(s, p)} equals"
    if form.body == "none":
        return f"{head} {form.r}"
    if form.body == "single":
        body = xs[0]
    elif form.body == "diff":
        body = f"the difference of {xs[0]} and {xs[1]}"
    else:
        body = f"the sum of {', '.join(xs[:-1])} and {xs[-1]}"
    if form.rng_op == "add":
        return f"{head} {form.r} more than {body}"
    if form.rng_op == "mul":
        return f"{head} {form.r} times as much as {body}"
    return f"{head} {body}"


def question(s: Structure, q: Param) -> str:
    kind, i, j, k = q
    what = s.names[i + 1][k] if kind == INST else s.categories[k]
    return f"How many {what} does {s.names[i][j]} have?"


def render_clause(c: Clause, number: Callable[[int], str] = str, so: bool = False) -> str:
    parts = [c.letter]
    if c.operands:
        parts.append(f" {c.sign} ".join(tok if tok in LETTERS else number(int(tok)) for tok, _ in c.operands))
    if len(c.operands) == 2:
        parts.append(f" {c.sign} ".join(number(v) for _, v in c.operands))
    parts.append(number(c.value))
    return ("so " if so else "") + " = ".join(parts)


def render_step(step: Step, name: str, number: Callable[[int], str] = str) -> str:
    clauses = [render_clause(c, number) for c in step.clauses[:-1]]
    clauses.append(render_clause(step.clauses[-1], number, so=True))
    return f"Define {name} as {step.letter}; " + "; ".join(clauses)


def render_solution(steps: list[Step], name: Callable[[Param], str], number: Callable[[int], str] = str) -> str:
    return " " + ". ".join(render_step(st, name(st.param), number) for st in steps) + "."


def sketch(steps: list[Step]) -> str:
    """The solution template [§9]: parameters by kind (Inst / Inter), numbers as 0, letters renamed in
    order of first appearance, ';' read as '.'. Built from the steps, not by the official substring
    replacement, which differs where one item name ends another (e.g. "Aviary" in "Falcon Aviary"): there
    the two can fall in different hash bins."""
    text = render_solution(steps, lambda p: "Inst" if p[0] == INST else "Inter", lambda v: "0")
    rename: dict[str, str] = {}
    pieces = []
    for piece in text.replace(";", ".").split(". "):
        tokens = piece.split(" ")
        for t, tok in enumerate(tokens):
            if tok in LETTERS:
                tokens[t] = rename.setdefault(tok, LETTERS[len(rename)])
        pieces.append(" ".join(tokens))
    return ". ".join(pieces)


def template_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % HASH_MOD


# --- forms, values, solution ------------------------------------------------------------------------------------


def draw_form(rng: random.Random, inputs: list[Param], mod: int) -> Form:
    """The sentence form of an instance parameter with these inputs [§6.2]."""
    q = sum(u != RNG for u in inputs)
    if q == 0:
        return Form("none", None, rng.randrange(mod))
    body = "single" if q == 1 else ("sum" if q >= 3 or rng.random() < 0.5 else "diff")
    if RNG not in inputs:
        return Form(body)
    if rng.random() < 0.5:
        return Form(body, "add", rng.randrange(mod))
    return Form(body, "mul", rng.randrange(1, mod))


def evaluate(s: Structure, p: Param, inputs: list[Param], form: Form | None, val: dict[Param, int], mod: int) -> int:
    """p's value mod `mod` from its inputs' values in `val` [§6.2, §3]."""
    if p[0] == ABS:
        _, i, j, k = p
        kids = s.children[i][j]
        if k == i + 1:
            return sum(val[(INST, i, j, x)] for x in kids) % mod
        return sum(val[(INST, i, j, x)] * val[(ABS, i + 1, x, k)] for x in kids) % mod
    if form.body == "none":
        return form.r % mod
    xs = [val[u] for u in inputs if u != RNG]
    body = xs[0] - xs[1] if form.body == "diff" else sum(xs)
    if form.rng_op == "add":
        body = form.r + body
    elif form.rng_op == "mul":
        body = form.r * body
    return body % mod


def compute_values(g: Graph, forms: dict[Param, Form], mod: int) -> dict[Param, int]:
    """Every parameter's value mod `mod`, in the graph's topological problem order [§6.3, §3]."""
    val: dict[Param, int] = {}
    for p in g.problem_order:
        val[p] = evaluate(g.structure, p, g.inputs[p], forms.get(p), val, mod)
    return val


Node = tuple  # ("ref", Param) | ("num", r) | ("op", sign, left, right)


def apply(sign: str, a: int, b: int, mod: int) -> int:
    return (a - b if sign == "-" else a * b if sign == "*" else a + b) % mod


def fold(nodes: list[Node], sign: str = "+") -> Node | None:
    """Left fold into binary operations: (o1 + o2) + o3 … [§7.2]."""
    if not nodes:
        return None
    out = nodes[0]
    for node in nodes[1:]:
        out = ("op", sign, out, node)
    return out


def expression(s: Structure, p: Param, inputs: list[Param], form: Form | None) -> Node | None:
    """The binary expression tree that computes p [§7.2]; None for a childless abstract (value 0)."""
    if p[0] == ABS:
        _, i, j, k = p
        kids = s.children[i][j]
        if k == i + 1:
            return fold([("ref", (INST, i, j, x)) for x in kids])
        return fold([("op", "*", ("ref", (INST, i, j, x)), ("ref", (ABS, i + 1, x, k))) for x in kids])
    xs = [("ref", u) for u in inputs if u != RNG]
    if form.body == "none":
        return ("num", form.r)
    body = ("op", "-", xs[0], xs[1]) if form.body == "diff" else fold(xs)
    if form.rng_op is None:
        return body
    return ("op", "+" if form.rng_op == "add" else "*", ("num", form.r), body)


def make_steps(g: Graph, forms: dict[Param, Form], values: dict[Param, int], order: list[Param],
               letters: Iterator[str], mod: int) -> list[Step]:
    """The solution of `order` (query last): one step per parameter, fresh letters from `letters`."""
    letter_of: dict[Param, str] = {}
    steps = []
    for p in order:
        clauses: list[Clause] = []

        def operand(node: Node) -> tuple[str, int]:
            if node[0] == "ref":
                return letter_of[node[1]], values[node[1]]
            if node[0] == "num":
                return str(node[1]), node[1]
            return emit(node)

        def emit(node: Node) -> tuple[str, int]:  # children first: post-order clauses and letters
            a, b = operand(node[2]), operand(node[3])
            letter = next(letters)
            clauses.append(Clause(letter, (a, b), node[1], apply(node[1], a[1], b[1], mod)))
            return letter, clauses[-1].value

        root = expression(g.structure, p, g.inputs[p], forms.get(p))
        if root is not None and root[0] == "op":
            own, _ = emit(root)
        else:
            operands = (operand(root),) if root is not None and root[0] == "ref" else ()
            own = next(letters)
            value = root[1] if root is not None and root[0] == "num" else values[p] if operands else 0
            clauses.append(Clause(own, operands, None, value))
        if clauses[-1].value != values[p]:
            raise AssertionError(f"solution value {clauses[-1].value} != {values[p]} for {p}")
        letter_of[p] = own
        steps.append(Step(p, own, tuple(clauses)))
    return steps


def letter_stream(rng: random.Random, letters: Literal["random", "ordered"] = "random") -> Iterator[str]:
    """Fresh solution letters: a random permutation of the 52 (the paper), or a, b, c, … in order (a
    small-scale deviation: a small model then need not learn which letters are still unused)."""
    return iter(rng.sample(LETTERS, len(LETTERS)) if letters == "random" else LETTERS)


def make_problem(rng: random.Random, g: Graph, fmt: Literal["pq", "qp"] = "pq", mod: int = 23,
                 letters: Literal["random", "ordered"] = "random") -> Problem | None:
    """Forms, values, a uniformly random sentence order (the paper's "hard" permutation) and the
    solution with fresh letters; None if the solution needs more than 52 letters."""
    forms = {p: draw_form(rng, g.inputs[p], mod) for p in g.problem_order if p[0] == INST}
    values = compute_values(g, forms, mod)
    sentence_order = [p for p in g.problem_order if p[0] == INST]
    rng.shuffle(sentence_order)
    if g.op > len(LETTERS):
        return None
    steps = make_steps(g, forms, values, g.order, letter_stream(rng, letters), mod)
    return Problem(g, forms, values, sentence_order, steps, fmt, mod)
