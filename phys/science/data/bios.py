"""The bioS generator of Part 3.1: people, their biographies under each augmentation, and questions.

People get unique full names from the 400 / 400 / 1000 name pools and six independent uniform attributes
(birth date over 200 years x 12 months x 28 days, birth city, university, major, employer; the employer
city is the employer's HQ). A biography is six sentences, one per attribute in the canonical order of
[3.1 Eq. 2.1] (birth date, birth city, university, major, employer, employer city), each from its own
template pool; only the first sentence carries the full name, the others the pronoun.

Augmentations ([3.1 App. A.1]), written as in the paper:
  `single`            one biography, canonical order
  `multiK`            K biographies, templates re-drawn for every sentence of every entry
  `+permute`          each entry gets its own random sentence order (on `single`: `single+permuteP`,
                      the same six sentences permuted P times, giving P entries)
  `+fullname`         the full name replaces every pronoun

Questions: forward QA per attribute ([3.1 §2]) and inverse search ([3.2 §5]): the name from attributes.
Every function takes an explicit `random.Random`; nothing here touches global randomness.
"""

from __future__ import annotations

import dataclasses
import random
import re
from itertools import zip_longest
from dataclasses import dataclass
from typing import Sequence

from phys.science.data.pools import ATTRIBUTES, Pools, load_pools, load_templates

GROUPS = {"bio": 0, "qa": 1, "inverse": 2, "task": 3}
"""Kinds of training documents (`Docs.group`): a stream can take a share of each kind per epoch."""

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
YEARS = range(1900, 2100)
DAYS = range(1, 29)


@dataclass(frozen=True)
class Person:
    id: int
    first: str
    middle: str
    last: str
    pronoun: str  # "He" | "She"
    birth_month: int  # 1..12
    birth_day: int  # 1..28
    birth_year: int
    birth_city: str
    university: str
    major: str
    employer: str
    employer_city: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.middle} {self.last}"

    @property
    def birth_date(self) -> str:
        return f"{MONTHS[self.birth_month - 1]} {self.birth_day}, {self.birth_year}"

    @property
    def possessive(self) -> str:
        return "his" if self.pronoun == "He" else "her"

    def value(self, attribute: str) -> str:
        return getattr(self, attribute)


def sample_people(n: int, rng: random.Random, pools: Pools | None = None, pool_size: int = 0) -> list[Person]:
    """n people with unique full names (rejection sampling) and uniform independent attributes, drawn from
    the first `pool_size` values of each attribute pool (0 = all)."""
    pools = restrict(pools or load_pools(), pool_size)
    capacity = len(pools.first_names) * len(pools.middle_names) * len(pools.last_names)
    if n > capacity // 2:
        raise ValueError(f"n_people={n} is too many for the name pools ({capacity} names)")
    seen: set[tuple[str, str, str]] = set()
    people = []
    while len(people) < n:
        name = (rng.choice(pools.first_names), rng.choice(pools.middle_names), rng.choice(pools.last_names))
        if name in seen:
            continue
        seen.add(name)
        employer, employer_city = rng.choice(pools.companies)
        people.append(Person(
            id=len(people), first=name[0], middle=name[1], last=name[2],
            pronoun=rng.choice(("He", "She")),
            birth_month=rng.randint(1, 12), birth_day=rng.choice(DAYS), birth_year=rng.choice(YEARS),
            birth_city=rng.choice(pools.cities), university=rng.choice(pools.universities),
            major=rng.choice(pools.majors), employer=employer, employer_city=employer_city,
        ))
    return people


def restrict(pools: Pools, size: int) -> Pools:
    """`size` values of each attribute pool (0 = all); names are kept whole. Cities, universities and
    majors: the first `size`. Companies: taken in turn from each headquarters city (in file order), so the
    company city varies too — the first 36 companies of the pool are all in New York."""
    if not size:
        return pools
    by_city: dict[str, list[tuple[str, str]]] = {}
    for company in pools.companies:
        by_city.setdefault(company[1], []).append(company)
    round_robin = [c for rank in zip_longest(*by_city.values()) for c in rank if c is not None]
    return dataclasses.replace(pools, cities=pools.cities[:size], universities=pools.universities[:size],
                               majors=pools.majors[:size], companies=tuple(round_robin[:size]))


_AUG_RE = re.compile(r"^(single|multi(\d+))((?:\+(?:permute\d*|fullname))*)$")


@dataclass(frozen=True)
class Augmentation:
    multiplicity: int  # K of multiK; 1 for single
    permute: bool
    permute_count: int  # P of single+permuteP (entries); equals multiplicity otherwise
    fullname: bool
    single: bool

    @property
    def entries(self) -> int:
        return self.permute_count if self.single and self.permute else self.multiplicity


def parse_augmentation(text: str) -> Augmentation:
    """`single`, `single+permute5`, `multi5+permute+fullname`, … -> Augmentation; ValueError otherwise."""
    m = _AUG_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not an augmentation like single, multi5+permute, single+permute2+fullname")
    single = m.group(1) == "single"
    k = 1 if single else int(m.group(2))
    flags = [f for f in m.group(3).split("+") if f]
    permute_flags = [f for f in flags if f.startswith("permute")]
    p_text = permute_flags[0][len("permute"):] if permute_flags else ""
    if k < 1 or (p_text and not single):
        raise ValueError(f"{text!r}: permuteP takes a count only on single (multiK+permute permutes each entry)")
    return Augmentation(
        multiplicity=k, permute=bool(permute_flags), permute_count=int(p_text or 1), fullname="fullname" in flags,
        single=single,
    )


def _sentence(person: Person, attribute: str, template: str, subject: str) -> tuple[str, int]:
    """The sentence and the character offset of the attribute's value in it."""
    before = template[: template.index("{value}")]
    offset = len(before.format(name=subject, their=person.possessive))
    return template.format(name=subject, value=person.value(attribute), their=person.possessive), offset


Span = tuple[str, int]  # (attribute, character offset of its value in the biography)


def biographies(person: Person, augmentation: Augmentation, rng: random.Random,
                templates_per_attribute: int = 0, with_spans: bool = False) -> list[str] | list[tuple[str, list[Span]]]:
    """The biography entries of one person under `augmentation`, drawing from the first
    `templates_per_attribute` templates of each pool (0: all of them, 46–52 as in the paper). With
    `with_spans`, each entry comes with where each attribute's value starts, in the entry's order (the
    positions P-probing reads [3.1 §5])."""
    templates = {a: t[: templates_per_attribute or None] for a, t in load_templates().items()}

    def draw() -> dict[str, str]:
        return {a: rng.choice(templates[a]) for a in ATTRIBUTES}

    def render(chosen: dict[str, str], order: Sequence[str]) -> tuple[str, list[Span]]:
        sentences, spans, start = [], [], 0
        for i, attribute in enumerate(order):
            subject = person.full_name if i == 0 or augmentation.fullname else person.pronoun
            sentence, offset = _sentence(person, attribute, chosen[attribute], subject)
            sentences.append(sentence)
            spans.append((attribute, start + offset))
            start += len(sentence) + 1  # joined by one space
        return " ".join(sentences), spans

    def order() -> list[str]:
        if not augmentation.permute:
            return list(ATTRIBUTES)
        return rng.sample(ATTRIBUTES, len(ATTRIBUTES))

    if augmentation.single:
        chosen = draw()  # the same six sentences in every entry
        entries = [render(chosen, order()) for _ in range(augmentation.entries)]
    else:
        entries = [render(draw(), order()) for _ in range(augmentation.multiplicity)]
    return entries if with_spans else [text for text, _ in entries]


QUESTIONS = {
    "birth_date": "What is the birth date of {name}?",
    "birth_city": "What is the birth city of {name}?",
    "university": "Which university did {name} study?",
    "major": "What major did {name} study?",
    "employer": "Which company did {name} work for?",
    "employer_city": "Where did {name} work?",
}
ANSWER = " Answer:"


def qa(person: Person, attribute: str) -> tuple[str, str]:
    """Forward QA [3.1 §2]: (prompt ending in ' Answer:', answer text with its leading space)."""
    return QUESTIONS[attribute].format(name=person.full_name) + ANSWER, f" {person.value(attribute)}."


# Inverse search [3.2 §5]: conditions of growing detail, asking for the first or the full name.
INVERSE_CONDITIONS = {
    "bdate": "born on {birth_date}",
    "birth": "born on {birth_date} in {birth_city}",
    "three": "born on {birth_date} in {birth_city}, who studied at {university}",
    "four": "born on {birth_date} in {birth_city}, who studied {major} at {university}",
    "all": "born on {birth_date} in {birth_city}, who studied {major} at {university} and worked for "
           "{employer} in {employer_city}",
}
INVERSE_TASKS = tuple(f"{c}_to_{w}" for c in INVERSE_CONDITIONS for w in ("first", "full"))


def inverse_qa(person: Person, task: str) -> tuple[str, str]:
    """Inverse search, e.g. task `birth_to_full`: 'Give me the full name of the person born on … in …?'"""
    condition, _, which = task.partition("_to_")
    if task not in INVERSE_TASKS:
        raise ValueError(f"unknown inverse task {task!r}; tasks: {', '.join(INVERSE_TASKS)}")
    values = {a: person.value(a) for a in ATTRIBUTES}
    text = INVERSE_CONDITIONS[condition].format(**values)
    answer = person.first if which == "first" else person.full_name
    return f"Give me the {which} name of the person {text}?" + ANSWER, f" {answer}."


def split_people(people: Sequence[Person], train_fraction: float, rng: random.Random) -> tuple[list[int], list[int]]:
    """Person ids of P_train and P_test, disjoint, by a seeded shuffle."""
    ids = [p.id for p in people]
    rng.shuffle(ids)
    cut = int(round(len(ids) * train_fraction))
    return sorted(ids[:cut]), sorted(ids[cut:])
