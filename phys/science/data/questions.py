"""The question families of Part 3.2 (arXiv 2309.14402 §3–4) beyond forward QA and inverse search:
partial retrieval, dual retrieval, classification and comparison, each with its chain-of-thought hint.

A task maps one person (or, for comparisons, an ordered pair of people) to a `Question`: the question
text, the answer, and the hint — the attributes the answer is computed from ([3.2 §4]: "October;
September. No."). Rendered as training or evaluation text:

  direct   "{text} Answer: {answer}."
  with CoT "{text} Hint: {hint}. {answer}."   (the control word `Hint:` asks for the hint first, [3.2 §4])

Luckiness is a major's 0-based line in `pools/majors.txt` (0..99), as in the paper's `field.txt`. Months
are 1..12. Ties in a "later / luckier" comparison answer No (A is not later than B).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from phys.science.data.bios import MONTHS, Person
from phys.science.data.pools import load_pools

ANSWER = " Answer:"
HINT = " Hint:"


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    hint: str = ""

    def direct(self) -> tuple[str, str]:
        """(prompt, target): the target with its leading space and final '.'."""
        return self.text + ANSWER, f" {self.answer}."

    def with_hint(self) -> tuple[str, str]:
        return self.text + HINT, f" {self.hint}. {self.answer}."


@functools.lru_cache(maxsize=1)
def _major_index() -> dict[str, int]:
    return {m: i for i, m in enumerate(load_pools().majors)}


def luckiness(major: str) -> int:
    return _major_index()[major]


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _month(p: Person) -> str:
    return MONTHS[p.birth_month - 1]


# --- one person -------------------------------------------------------------------------------------------

PARTIAL: dict[str, Callable[[Person], Question]] = {
    "birth_day": lambda p: Question(f"What is the birth day of {p.full_name}?", str(p.birth_day), p.birth_date),
    "birth_year": lambda p: Question(f"What is the birth year of {p.full_name}?", str(p.birth_year), p.birth_date),
}

NOUNS = {"birth_date": "birth date", "birth_city": "birth city", "university": "university", "major": "major",
         "employer": "company", "employer_city": "company city"}


def dual(first: str, second: str) -> Callable[[Person], Question]:
    """Dual retrieval [3.2 §3]: two attributes in one answer, in the asked order ('v1; v2')."""
    return lambda p: Question(f"What are the {NOUNS[first]} and the {NOUNS[second]} of {p.full_name}?",
                              f"{p.value(first)}; {p.value(second)}")


CLASSIFY: dict[str, Callable[[Person], Question]] = {
    "month_parity": lambda p: Question(f"Was {p.full_name} born in an even month?", _yes(p.birth_month % 2 == 0),
                                       _month(p)),
    "month_mod6": lambda p: Question(f"What is {p.full_name}'s birth month mod 6?", str(p.birth_month % 6), _month(p)),
    "month_numeric": lambda p: Question(f"What is {p.full_name}'s birth month in numerics?", str(p.birth_month),
                                        _month(p)),
    **{f"luck_mod{m}": (lambda m: lambda p: Question(
        f"What is the luckiness of {p.full_name}'s major modular {m}?", str(luckiness(p.major) % m), p.major))(m)
       for m in (5, 20, 100)},
}

# --- two people (A, B) ------------------------------------------------------------------------------------

COMPARE: dict[str, Callable[[Person, Person], Question]] = {
    "month_later": lambda a, b: Question(f"Was {a.full_name} born in a month in a year later than {b.full_name}?",
                                         _yes(a.birth_month > b.birth_month), f"{_month(a)}; {_month(b)}"),
    "month_diff": lambda a, b: Question(f"What is {a.full_name}'s birth month minus {b.full_name}'s birth month?",
                                        str(a.birth_month - b.birth_month), f"{_month(a)}; {_month(b)}"),
    "luck_later": lambda a, b: Question(f"Did {a.full_name} major in a field luckier than {b.full_name}?",
                                        _yes(luckiness(a.major) > luckiness(b.major)), f"{a.major}; {b.major}"),
    "luck_diff": lambda a, b: Question(f"How luckier is {a.full_name}'s major compared with {b.full_name}'s major?",
                                       str(luckiness(a.major) - luckiness(b.major)), f"{a.major}; {b.major}"),
}


def person_task(name: str) -> Callable[[Person], Question] | None:
    """Partial retrieval, classification, or dual retrieval written `first+second` (e.g. employer+employer_city)."""
    if name in PARTIAL:
        return PARTIAL[name]
    if name in CLASSIFY:
        return CLASSIFY[name]
    first, plus, second = name.partition("+")
    if plus and first in NOUNS and second in NOUNS and first != second:
        return dual(first, second)
    return None


def kind_of(name: str) -> str:
    """The family a task belongs to (metrics are named `{kind}_{split}_{task}`)."""
    if name in PARTIAL:
        return "partial"
    if name in COMPARE:
        return "compare"
    if name in CLASSIFY:
        return "classify"
    return "dual"


def validate(name: str) -> None:
    if name not in COMPARE and person_task(name) is None:
        raise ValueError(f"unknown task {name!r}; tasks: {', '.join([*PARTIAL, *CLASSIFY, *COMPARE])}, or dual "
                         f"retrieval as first+second of {', '.join(NOUNS)}")
