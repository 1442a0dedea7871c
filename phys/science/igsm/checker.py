"""The iGSM solution checker [IGSM.md §12]: parse a written solution and grade every step.

A solution is correct when every defined parameter exists, is computed from exactly its true inputs
(after following intermediate letters), every letter is defined before use, every substituted value and
every operation is right mod 23, each defined parameter gets its true value, and it ends on the query
with the right answer. Unnecessary parameters are allowed and counted (Result 3); steps containing
"BACK" are retracted retries (Part 2.2) and skipped.

Error types, the first error in solution order decides:

    parse             the text is not in the solution format (or reuses a letter)
    nonexistent       a defined name is no parameter of the problem
    redefined         a parameter defined a second time
    skipped_step      a parameter computed before all its inputs are: an input not yet computed (or a
                      letter never defined)
    wrong_dependency  a parameter computed from something that is not its input, or without an input
                      that is already known
    wrong_value       a wrong substitution, operation, value, or formula (a wrong constant or operation
                      that gives the right value by chance)
    wrong_query       the last defined parameter is not the one asked
    wrong_answer      the answer segment is not the query's value

Numbers are written as the solutions write them: 0..mod − 1, ASCII digits, no leading zero (at mod 23 a
constant of 25 that equals 2 is a wrong value, "²" or "02" not a number). A step may reuse an
intermediate letter of an earlier step (it is evaluated on the same inputs).

Stricter than the official checker in three ways: every defined parameter's value is compared with its
true value, its written formula is evaluated on random input values against the true one (so a wrong
constant, operation or operand order is caught even when it gives the right value), and the "so" letter
must be the defined letter.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from phys.science.igsm.graph import RNG, Param
from phys.science.igsm.problem import BACK, LETTERS, Problem, apply, evaluate

ERRORS = ("parse", "nonexistent", "redefined", "skipped_step", "wrong_dependency", "wrong_value", "wrong_query",
          "wrong_answer")
_DEFINE = re.compile(r"Define (.+) as (\S+)")
_SIGNS = (" + ", " - ", " * ")


class ParseError(ValueError):
    pass


@dataclass(frozen=True)
class Equation:
    """`letter = HINT = CALC = result`: hint operands are letters or numbers as written."""

    letter: str
    hint: tuple[str, ...]
    sign: str | None
    calc: tuple[int, ...] | None
    result: int


@dataclass(frozen=True)
class ParsedStep:
    name: str
    equations: tuple[Equation, ...]  # intermediates, then the defined parameter's own


@dataclass
class Grade:
    correct: bool
    error: str | None = None
    step: int | None = None  # index of the first wrong step (among the Define steps)
    detail: str = ""
    unnecessary: int = 0  # correctly defined parameters that the answer does not need
    retries: int = 0  # retracted ("BACK") steps
    defined: list[Param] = field(default_factory=list)  # the parameters defined, in order


def _number(text: str) -> int | None:
    """The value of a number as the solutions write it (ASCII digits, no leading zero), else None."""
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        return None
    return int(text)


def _equation(letter: str, parts: list[str]) -> Equation:
    if len(letter) != 1 or letter not in LETTERS:
        raise ParseError(f"illegal letter {letter!r}")
    hint: tuple[str, ...] = ()
    sign = None
    calc = None
    result = None
    for part in parts:
        if result is not None:
            raise ParseError(f"text after the result of {letter}")
        op = next((s for s in _SIGNS if s in part), None)
        if op is not None:
            operands = part.split(op)
            if len(operands) != 2:
                raise ParseError(f"not a binary operation: {part!r}")
            numbers = [_number(o) for o in operands]
            if all(n is not None for n in numbers):
                if calc is not None or not hint:
                    raise ParseError(f"misplaced calculation {part!r}")
                calc, calc_sign = tuple(numbers), op.strip()
                if calc_sign != sign:
                    raise ParseError(f"calculation {part!r} does not match its hint")
            else:
                if hint:
                    raise ParseError(f"two hints for {letter}")
                hint, sign = tuple(operands), op.strip()
        elif _number(part) is not None:
            result = _number(part)
        else:
            if hint:
                raise ParseError(f"two hints for {letter}")
            hint = (part,)
    if result is None:
        raise ParseError(f"no result for {letter}")
    if (len(hint) == 2) != (calc is not None):
        raise ParseError(f"hint and calculation of {letter} do not match")
    for operand in hint:
        if _number(operand) is None and (len(operand) != 1 or operand not in LETTERS):
            raise ParseError(f"illegal operand {operand!r}")
    return Equation(letter, hint, sign, calc, result)


def parse(solution: str) -> tuple[list[ParsedStep], int]:
    """(steps, number of retracted BACK steps). Raises ParseError."""
    text = solution[1:] if solution.startswith(" ") else solution
    text = text[:-1] if text.endswith(".") else text
    if not text:
        raise ParseError("empty solution")
    steps, retries = [], 0
    for sentence in text.split(". "):
        if BACK in sentence:
            retries += 1
            continue
        clauses = sentence.split("; ")
        head = _DEFINE.fullmatch(clauses[0])
        if head is None or len(clauses) < 2:
            raise ParseError(f"not a 'Define … as X; …; so X = …' sentence: {sentence[:60]!r}")
        name, letter = head.groups()
        equations = []
        for clause in clauses[1:-1]:
            lhs, *parts = clause.split(" = ")
            equations.append(_equation(lhs, parts))
        last = clauses[-1]
        if not last.startswith("so "):
            raise ParseError(f"the last clause of {name!r} does not start with 'so'")
        lhs, *parts = last[3:].split(" = ")
        if lhs != letter:
            raise ParseError(f"'so {lhs}' after 'as {letter}'")
        equations.append(_equation(letter, parts))
        steps.append(ParsedStep(name, tuple(equations)))
    if not steps:
        raise ParseError("no Define sentence")
    return steps, retries


def same_formula(problem: Problem, p: Param, step: ParsedStep, param_of: dict[str, Param],
                 earlier: dict[str, Equation] | None = None, trials: int = 3) -> bool:
    """Whether the step computes p's formula: both evaluated on random values of p's inputs (a wrong
    constant or operation can give the right value by chance, e.g. when an input is 0). `earlier`: the
    intermediate letters of earlier steps (letter -> its equation), which a step may reuse; they are
    evaluated on the same random inputs."""
    rng = random.Random(0)
    inputs = problem.graph.inputs[p]
    earlier = earlier or {}
    for _ in range(trials):
        val = {u: rng.randrange(problem.mod) for u in inputs if u != RNG}
        letters = {letter: val[q] for letter, q in param_of.items() if q in val}

        def compute(eq: Equation) -> int | None:
            values = []
            for o in eq.hint:
                if o not in LETTERS:
                    values.append(int(o))
                elif o in letters:
                    values.append(letters[o])
                elif o in earlier and o not in param_of:  # an earlier step's intermediate
                    value = compute(earlier[o])
                    if value is None:
                        return None
                    values.append(letters.setdefault(o, value))
                else:
                    return None  # a parameter that is not an input of p
            return (apply(eq.sign, *values, problem.mod) if len(values) == 2
                    else values[0] if values else eq.result)

        for eq in step.equations:
            value = compute(eq)
            if value is None:
                return False
            letters[eq.letter] = value
        truth = evaluate(problem.structure, p, inputs, problem.forms.get(p), val, problem.mod)
        if letters[step.equations[-1].letter] != truth:
            return False
    return True


def grade(problem: Problem, solution: str, answer: str | None = None) -> Grade:
    """Grade a written solution (the text between <sol> and <ans>) and optionally the answer segment."""
    try:
        steps, retries = parse(solution)
    except ParseError as exc:
        return Grade(False, "parse", None, str(exc))
    necessary = set(problem.necessary)
    value_of: dict[str, int] = {}  # letter -> the value written for it
    deps_of: dict[str, frozenset[str]] = {}  # letter -> the Define letters it was computed from
    param_of: dict[str, Param] = {}  # Define letter -> parameter
    intermediates: dict[str, Equation] = {}  # an earlier step's intermediate letter -> its equation
    out = Grade(True, retries=retries)

    def fail(error: str, t: int, detail: str) -> Grade:
        out.correct, out.error, out.step, out.detail = False, error, t, detail
        return out

    for t, step in enumerate(steps):
        name = step.name[5:] if step.name.startswith("each ") else step.name
        p = problem.param(name)
        if p is None:
            return fail("nonexistent", t, f"{name!r} is no parameter of this problem")
        if p in param_of.values():
            return fail("redefined", t, f"{name} defined twice")
        for eq in step.equations:  # letters: defined before use, never twice; what each one depends on
            if eq.letter in deps_of:
                return fail("parse", t, f"letter {eq.letter} defined twice")
            deps: set[str] = set()
            for operand in eq.hint:
                if operand in LETTERS:
                    if operand not in deps_of:
                        return fail("skipped_step", t, f"{name}: letter {operand} used before it is defined")
                    deps |= {operand} if operand in param_of else deps_of[operand]
            deps_of[eq.letter] = frozenset(deps)
        own = step.equations[-1]
        used = {param_of[letter] for letter in deps_of[own.letter]}
        true = {u for u in problem.graph.inputs[p] if u != RNG}
        if true - used:
            missing = true - used
            names = ", ".join(sorted(problem.name(u) for u in missing))
            if missing - set(out.defined):  # an input not computed yet: the step was taken too early
                return fail("skipped_step", t, f"{name}: computed before {names}")
            return fail("wrong_dependency", t, f"{name}: computed without {names}, although it is known")
        if used - true:
            extra = ", ".join(sorted(problem.name(u) for u in used - true))
            return fail("wrong_dependency", t, f"{name}: computed from {extra}, which it does not depend on")
        for eq in step.equations:  # values: substitutions, operations, the parameter's value, its formula
            numbers = [*(int(o) for o in eq.hint if o not in LETTERS), *(eq.calc or ()), eq.result]
            if any(n >= problem.mod for n in numbers):
                return fail("wrong_value", t, f"{name}: a number outside 0..{problem.mod - 1} (mod {problem.mod})")
            if eq.calc is not None:
                for operand, written in zip(eq.hint, eq.calc):
                    expected = value_of[operand] if operand in LETTERS else int(operand)
                    if written != expected:
                        return fail("wrong_value", t, f"{name}: {operand} substituted as {written}, not {expected}")
                if apply(eq.sign, *eq.calc, problem.mod) != eq.result:
                    return fail("wrong_value", t, f"{name}: {eq.calc[0]} {eq.sign} {eq.calc[1]} != {eq.result}")
            elif len(eq.hint) == 1 and eq.hint[0] in LETTERS and value_of[eq.hint[0]] != eq.result:
                return fail("wrong_value", t, f"{name}: {eq.hint[0]} is {value_of[eq.hint[0]]}, not {eq.result}")
            value_of[eq.letter] = eq.result
        if own.result != problem.values[p]:
            return fail("wrong_value", t, f"{name} = {own.result}, its value is {problem.values[p]}")
        if not same_formula(problem, p, step, param_of, intermediates):
            return fail("wrong_value", t, f"{name}: the right value by a wrong formula")
        intermediates.update((eq.letter, eq) for eq in step.equations[:-1])
        param_of[own.letter] = p
        out.defined.append(p)
        out.unnecessary += p not in necessary
    if out.defined[-1] != problem.query:
        return fail("wrong_query", len(steps) - 1, f"ends on {problem.name(out.defined[-1])}, "
                                                   f"the question asks {problem.name(problem.query)}")
    if answer is not None and answer != problem.answer_text():
        return fail("wrong_answer", len(steps) - 1, f"answer {answer!r}, expected {problem.answer_text()!r}")
    return out
