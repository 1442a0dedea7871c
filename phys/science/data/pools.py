"""Invented attribute pools and sentence templates of the bioS dataset.

This module owns the static text data from which the "Physics of Language
Models" Part 3.1 synthetic biographies (bioS) are built, and nothing else:

* ``phys/science/data/pools/*.txt``: the pools individuals draw their attributes from
  (400 first names, 400 middle names, 1000 last names, 200 birth cities,
  300 universities, 100 majors, 263 companies with their headquarters city).
  The 0-based line index of a major is its "luckiness" in the paper.
* ``phys/science/data/templates/*.txt``: for each of the six attributes, the pool of
  sentence templates (46 / 49 / 49 / 52 / 47 / 48 of them). A template starts
  with ``{name}`` (a full name, or the pronoun "He"/"She"), contains ``{value}``
  exactly once and may contain ``{their}`` ("his"/"her").

Both directories are package data of ``phys.science.data`` (not Python packages) and
are read with :mod:`importlib.resources`, so they load from a wheel as well.
One entry per line; files are UTF-8 (in practice ASCII).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources

__all__ = ["ATTRIBUTES", "Pools", "load_pools", "load_templates", "name_pools", "name_space"]

_PACKAGE = "phys.science.data"

ATTRIBUTES: tuple[str, ...] = (
    "birth_date",
    "birth_city",
    "university",
    "major",
    "employer",
    "employer_city",
)


@dataclass(frozen=True)
class Pools:
    """The attribute pools, in file order (order is meaningful for majors)."""

    first_names: tuple[str, ...]
    middle_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[str, ...]
    universities: tuple[str, ...]
    majors: tuple[str, ...]
    companies: tuple[tuple[str, str], ...]  # (name, hq_city)


def _read_lines(subdir: str, filename: str) -> tuple[str, ...]:
    """Non-empty, stripped lines of ``phys/science/data/<subdir>/<filename>``."""
    text = resources.files(_PACKAGE).joinpath(subdir, filename).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _parse_company(line: str) -> tuple[str, str]:
    name, sep, hq_city = line.partition(";")
    if not sep or not name.strip() or not hq_city.strip():
        raise ValueError(f"malformed companies.txt line (want 'Name; City, ST'): {line!r}")
    return name.strip(), hq_city.strip()


@functools.cache
def load_pools() -> Pools:
    """Load every attribute pool (cached; the result is immutable)."""
    return Pools(
        first_names=_read_lines("pools", "first_names.txt"),
        middle_names=_read_lines("pools", "middle_names.txt"),
        last_names=_read_lines("pools", "last_names.txt"),
        cities=_read_lines("pools", "cities.txt"),
        universities=_read_lines("pools", "universities.txt"),
        majors=_read_lines("pools", "majors.txt"),
        companies=tuple(_parse_company(line) for line in _read_lines("pools", "companies.txt")),
    )


@functools.cache
def load_templates() -> dict[str, tuple[str, ...]]:
    """Map each attribute in :data:`ATTRIBUTES` to its sentence templates (cached).

    The cached dict is shared between callers: do not mutate it.
    """
    return {attr: _read_lines("templates", f"{attr}.txt") for attr in ATTRIBUTES}


def name_pools(size: int = 0) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The first `size` first, middle and last names (0 = all: 400 / 400 / 1000)."""
    pools = load_pools()
    k = size or None
    return pools.first_names[:k], pools.middle_names[:k], pools.last_names[:k]


def name_space(size: int = 0) -> int:
    """N0 of [3.3]: the number of possible full names from `name_pools(size)`."""
    return math.prod(len(p) for p in name_pools(size))
