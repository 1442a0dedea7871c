"""The knowledge populations of Part 3.3, rendered one exposure at a time, with what each token carries.

A population is N people and their knowledge. `render(rng)` writes every person's paragraph once — one
exposure [3.3 §2.2] — as `Docs`, and a `part` array that says, token by token, whether it belongs to the
name (`NAME`), to a value (`VALUE`), to the first chunk of a value (`FIRST`, bioD) or to neither. The bit
accounting of `phys.science.capacity` sums the model's losses over those parts (p1, p2, p3 of [3.3 §3]).

  `BioD`   bioD(N, K, C, D, L, T), Definition 2.2: K attributes "ID 1 … ID K"; each has a diversity set of
           D distinct chunks of L tokens drawn from a vocabulary of T; a value is C chunks drawn from its
           attribute's set. One fixed template, a fresh random sentence order at every exposure.
  `BioS`   bioS(N), the biographies of `phys.science.data.bios`: `online` draws fresh templates and a fresh sentence
           order at every exposure (multi∞+permute, the paper's bioS(N)); otherwise each person has one
           fixed biography (bioS^simple(N): templates and order drawn once).

Both are pure functions of their seed: the same (population, rng) gives the same tokens. No torch here.

Deviations from the paper, both for the `cpu` scale's sake: names are one token per name part (the word
tokenizer of `phys.science.data.tokenizer`), and `name_pool` may shrink the 400 / 400 / 1000 name pools (N0 follows:
it is always the number of possible names). bioD's later sentences start with the neutral "Their" (the
paper's example uses "Her"), so bioD text carries no gender bit the formula does not count.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from phys.science.bits import biod_max_bits, bios_max_bits
from phys.science.data import bios
from phys.science.data.packing import Docs
from phys.science.data.pools import ATTRIBUTES, load_pools, load_templates, name_pools, name_space
from phys.science.data.tokenizer import SPECIALS, Tokenizer, pieces

OTHER, NAME, VALUE, FIRST = 0, 1, 2, 3
"""Token parts: FIRST is a value token of the first chunk (it counts towards p2 and p3)."""
DOMAIN = "<domain>"
"""The special token [3.3 Result 12] prepends to every useful paragraph ("wikipedia.org"); last in every
population's vocabulary, and counted as used only where a model was trained with it."""


@dataclass(frozen=True)
class Rendered:
    """One exposure of every person: docs[i] is person i's paragraph; part (n_tokens,) aligns with docs.tokens."""

    docs: Docs
    part: np.ndarray  # (n_tokens,) int8: OTHER / NAME / VALUE / FIRST


def with_domain(rendered: Rendered, token: int) -> Rendered:
    """Every document with `token` in front (part OTHER)."""
    d = rendered.docs
    starts = np.asarray(d.offsets)[:-1]
    tokens = np.insert(np.asarray(d.tokens), starts, token)
    part = np.insert(rendered.part, starts, OTHER)
    offsets = np.asarray(d.offsets) + np.arange(len(d) + 1)
    return Rendered(Docs(tokens, offsets, np.asarray(d.loss_start), np.asarray(d.person), np.asarray(d.group)), part)


def draw_names(n: int, name_pool: int, rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) distinct (first, middle, last) indices into `name_pools(name_pool)`, uniformly at random,
    none of them a row of `exclude` (k, 3) (junk people never share a useful person's name)."""
    sizes = [len(p) for p in name_pools(name_pool)]
    n0 = math.prod(sizes)
    taken = np.zeros(0, dtype=np.int64) if exclude is None else np.ravel_multi_index(exclude.T, sizes)
    if n > (n0 - len(taken)) // 2:
        raise ValueError(f"{n} people need more names than the pools hold ({n0}); raise name_pool or lower N")
    flat = rng.choice(n0, size=n + len(taken), replace=False)  # distinct full names
    flat = flat[~np.isin(flat, taken)][:n]
    return np.stack(np.unravel_index(flat, sizes), axis=1)


@dataclass(frozen=True)
class BioDShape:
    """bioD(N, K, C, D, L, T) of [3.3 Definition 2.2], plus the name pool size."""

    n_people: int
    K: int
    C: int
    D: int
    L: int
    T: int
    name_pool: int = 0

    def __post_init__(self) -> None:
        for name in ("n_people", "K", "C", "D", "L", "T"):
            if getattr(self, name) < 1:
                raise ValueError(f"bioD {name} must be >= 1")
        if self.D > self.T ** self.L:
            raise ValueError(f"bioD needs D <= T^L distinct chunks (D={self.D}, T^L={self.T ** self.L})")


class BioD:
    """bioD people: names (N, 3), the diversity sets (K, D, L) of token indices < T, values (N, K, C) of
    chunk indices < D. Paragraph: " Anya Briar Forger's ID 3 is x4 x17 x2. Their ID 1 is … ." """

    def __init__(self, shape: BioDShape, rng: np.random.Generator) -> None:
        self.shape = shape
        self.names = draw_names(shape.n_people, shape.name_pool, rng)
        self.diversity = np.stack([_distinct_chunks(shape.D, shape.L, shape.T, rng) for _ in range(shape.K)])
        self.values = rng.integers(0, shape.D, size=(shape.n_people, shape.K, shape.C))

    @property
    def n_people(self) -> int:
        return self.shape.n_people

    def junk(self, n: int, rng: np.random.Generator) -> BioD:
        """n other people of the same kind (same attributes and diversity sets), none named like these:
        the junk data of [3.3 Results 10–12]."""
        other = object.__new__(BioD)
        other.shape = replace(self.shape, n_people=n)
        other.names = draw_names(n, self.shape.name_pool, rng, exclude=self.names)
        other.diversity = self.diversity
        other.values = rng.integers(0, self.shape.D, size=(n, self.shape.K, self.shape.C))
        other.__dict__["tokenizer"] = self.tokenizer
        return other

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """Specials, the template words, the name words, the chunk words used (x0 … x{T-1}), the domain token."""
        first, middle, last = name_pools(self.shape.name_pool)
        used = sorted(set(self.diversity.ravel().tolist()))
        words = ([" Their", "'", "s", " ID", " is", "."] + [f" {k + 1}" for k in range(self.shape.K)]
                 + [f" {w}" for w in (*first, *middle, *last)] + [f" x{t}" for t in used])
        return Tokenizer(list(SPECIALS) + list(dict.fromkeys(words)) + [DOMAIN])

    def _ids(self, words: list[str]) -> np.ndarray:
        index = self.tokenizer.index
        return np.array([index[w] for w in words], dtype=np.int32)

    def render(self, rng: np.random.Generator) -> Rendered:
        """One exposure: every person's paragraph, sentences in a fresh random order."""
        s = self.shape
        N, K, CL = s.n_people, s.K, s.C * s.L
        first, middle, last = name_pools(s.name_pool)
        name_ids = np.stack([self._ids([f" {w}" for w in pool])[self.names[:, j]]
                             for j, pool in enumerate((first, middle, last))], axis=1)  # (N, 3)
        lookup = np.full(s.T, -1, dtype=np.int32)  # chunk word index < T -> token id
        used = sorted(set(self.diversity.ravel().tolist()))
        lookup[used] = self._ids([f" x{t}" for t in used])
        chunks = self.diversity[np.arange(K)[None, :, None], self.values]  # (N, K, C, L) token indices < T
        value_ids = lookup[chunks].reshape(N, K, CL)  # (N, K, C*L)
        ID, IS, DOT, THEIR, APOS, S = self._ids([" ID", " is", ".", " Their", "'", "s"])
        numbers = self._ids([f" {k + 1}" for k in range(K)])
        # One sentence body per (person, attribute): " ID k is v… ." -> (N, K, 3 + C*L + 1)
        body = np.concatenate([np.full((N, K, 1), ID), np.broadcast_to(numbers[None, :, None], (N, K, 1)),
                               np.full((N, K, 1), IS), value_ids, np.full((N, K, 1), DOT)], axis=2)
        body_part = np.zeros(body.shape[2], dtype=np.int8)
        body_part[3 : 3 + CL] = VALUE
        body_part[3 : 3 + s.L] = FIRST
        order = np.argsort(rng.random((N, K)), axis=1)  # (N, K): a fresh sentence order per person
        ordered = body[np.arange(N)[:, None], order]  # (N, K, S)
        later = np.concatenate([np.full((N, K - 1, 1), THEIR), ordered[:, 1:]], axis=2).reshape(N, -1)
        tokens = np.concatenate([name_ids, np.full((N, 1), APOS), np.full((N, 1), S), ordered[:, 0], later], axis=1)
        part = np.concatenate([np.full(3, NAME, dtype=np.int8), np.zeros(2, dtype=np.int8), body_part,
                               np.tile(np.concatenate([[OTHER], body_part]).astype(np.int8), K - 1)])
        length = tokens.shape[1]
        docs = Docs(tokens.astype(np.int32).ravel(), np.arange(N + 1, dtype=np.int64) * length,
                    np.zeros(N, dtype=np.int32), np.arange(N, dtype=np.int32), np.zeros(N, dtype=np.int8))
        return Rendered(docs, np.tile(part, N))

    def used_tokens(self) -> int:
        """Embedding rows the data uses: <eos> and the words of any exposure (they differ only in order)."""
        return int(np.unique(self.render(np.random.default_rng(0)).docs.tokens).size) + 1

    def max_tokens(self) -> int:
        """The length of every paragraph (bioD's are all alike)."""
        s = self.shape
        return 3 + 2 + s.K * (3 + s.C * s.L + 1) + (s.K - 1)

    def max_bits(self) -> float:
        """The knowledge in the data, in bits: R^max(F) x P of [3.3 Definition 4.1]."""
        s = self.shape
        return biod_max_bits(s.n_people, s.K, s.C, s.D, s.L, s.T, name_space(s.name_pool))


def _distinct_chunks(D: int, L: int, T: int, rng: np.random.Generator) -> np.ndarray:
    """(D, L): D distinct chunks drawn uniformly from the T^L possible ones."""
    if T ** L <= 4 * D:  # a small space: choose without replacement
        flat = rng.choice(T ** L, size=D, replace=False)
        return np.stack(np.unravel_index(flat, [T] * L), axis=1)
    chunks: dict[tuple[int, ...], None] = {}
    while len(chunks) < D:  # rejection: a repeat is rare when T^L > 4 D
        chunks.setdefault(tuple(rng.integers(0, T, size=L).tolist()), None)
    return np.array(list(chunks), dtype=np.int64)


@dataclass(frozen=True)
class BioSShape:
    """bioS(N) (`online`: multi∞+permute) or bioS^simple(N) (one fixed biography per person)."""

    n_people: int
    online: bool = True
    name_pool: int = 0

    def __post_init__(self) -> None:
        if self.n_people < 1:
            raise ValueError("bioS n_people must be >= 1")


GENDER_WORDS = (" He", " She", " his", " her")
"""Pronouns: the first one tells the gender, the one bit of S0's factor 2; their losses count as value."""


class BioS:
    """bioS people (`phys.science.data.bios.Person`) over the full attribute pools; names from `name_pool`."""

    def __init__(self, shape: BioSShape, rng: np.random.Generator) -> None:
        self.shape = shape
        self._random = random.Random(int(rng.integers(2**63)))
        self.people = bios.sample_people(shape.n_people, self._random, _pools(shape.name_pool))
        self._augmentation = bios.parse_augmentation("multi1+permute" if shape.online else "single+permute1")
        self._fixed = None if shape.online else [self._entry(p, self._random) for p in self.people]

    @property
    def n_people(self) -> int:
        return self.shape.n_people

    def _entry(self, person: bios.Person, rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
        text, spans = bios.biographies(person, self._augmentation, rng, with_spans=True)[0]
        return " " + text, [(a, offset + 1) for a, offset in spans]  # + the leading space of every document

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """Every template's words (both genders), every value of the pools, every name word."""
        pools = load_pools()
        texts = [" " + t.format(name=n, value="X", their=their)
                 for ts in load_templates().values() for t in ts for n, their in (("He", "his"), ("She", "her"))]
        values = [*bios.MONTHS, *map(str, range(1, 29)), *map(str, range(1900, 2100)), *pools.cities, *pools.universities,
                  *pools.majors, *(c for company in pools.companies for c in company),
                  *sum(name_pools(self.shape.name_pool), ())]
        built = Tokenizer.build(texts + [" " + v + "," for v in values])
        return Tokenizer(built.vocab + [DOMAIN])

    def junk(self, n: int, rng: np.random.Generator) -> BioS:
        """n other people, none named like these (junk data)."""
        names = {(p.first, p.middle, p.last) for p in self.people}
        py_rng = random.Random(int(rng.integers(2**63)))
        drawn = bios.sample_people(n + len(names), py_rng, _pools(self.shape.name_pool))
        other = object.__new__(BioS)
        other.shape = replace(self.shape, n_people=n)
        other.people = [replace(p, id=i) for i, p in
                        enumerate([p for p in drawn if (p.first, p.middle, p.last) not in names][:n])]
        other._augmentation, other._random = self._augmentation, py_rng
        other._fixed = None if self.shape.online else [other._entry(p, py_rng) for p in other.people]
        other.__dict__["tokenizer"] = self.tokenizer
        return other

    def render(self, rng: np.random.Generator) -> Rendered:
        """One exposure: a fresh biography per person (online), or the fixed one."""
        tokenizer = self.tokenizer
        gender = [tokenizer.index[w] for w in GENDER_WORDS]
        py_rng = random.Random(int(rng.integers(2**63)))
        docs, parts = [], []
        for i, person in enumerate(self.people):
            text, spans = self._fixed[i] if self._fixed is not None else self._entry(person, py_rng)
            words = pieces(text)
            # where each piece's first non-space character is: a piece belongs to the span that holds it
            starts = np.cumsum([0] + [len(w) for w in words[:-1]]) + np.array([w[0] == " " for w in words])
            part = np.zeros(len(words), dtype=np.int8)
            part[(starts >= 1) & (starts < 1 + len(person.full_name))] = NAME
            for attribute, offset in spans:
                part[(starts >= offset) & (starts < offset + len(person.value(attribute)))] = VALUE
            ids = tokenizer.encode(text)
            part[np.isin(ids, gender)] = VALUE
            docs.append(ids)
            parts.append(part)
        n = len(docs)
        return Rendered(Docs.from_lists(docs, [0] * n, list(range(n))), np.concatenate(parts))

    def used_tokens(self) -> int:
        """Embedding rows the data uses over all exposures: <eos>, every template word (online bioS draws every
        template sooner or later; bioS^simple only its fixed biographies') and the people's names and values."""
        if self._fixed is not None:
            return int(np.unique(self.render(np.random.default_rng(0)).docs.tokens).size) + 1
        words = self._template_words()
        for p in self.people:
            words.update(pieces(" " + " ".join([p.full_name, p.pronoun, p.possessive]
                                                + [p.value(a) for a in ATTRIBUTES])))
        return len(words & set(self.tokenizer.index)) + 1

    def _template_words(self) -> set[str]:
        """Every word of every template, with either pronoun, around a placeholder value X."""
        return {w for ts in load_templates().values() for t in ts for n, their in (("He", "his"), ("She", "her"))
                for w in pieces(" " + t.format(name=n, value="X", their=their))} - {" X"}

    def max_tokens(self) -> int:
        """An upper bound on any paragraph's length at any exposure: the longest template of every attribute
        around this population's longest values, the full name in front."""
        tokenizer = self.tokenizer

        def length(text: str) -> int:
            return len(tokenizer.encode(text))

        longest_template = sum(max(length(" " + t.format(name="She", value="X", their="her")) - 1 for t in ts)
                               for ts in load_templates().values())
        values = max(sum(length(" " + p.value(a)) for a in ATTRIBUTES) for p in self.people)
        return longest_template + values + length(" " + max((p.full_name for p in self.people), key=length)) - 1

    def max_bits(self) -> float:
        """R^max(F) x P of [3.3 Definition 4.3]."""
        return bios_max_bits(self.n_people, name_space(self.shape.name_pool))


def _pools(name_pool: int):
    """Every attribute pool, with names from `name_pools(name_pool)`."""
    first, middle, last = name_pools(name_pool)
    return replace(load_pools(), first_names=first, middle_names=middle, last_names=last)


def build(kind: str, n_people: int, seed: int, *, K: int = 0, C: int = 0, D: int = 0, L: int = 0, T: int = 0,
          name_pool: int = 0) -> BioD | BioS:
    """The population of `kind` (bioD, bioS, bioS_simple), a pure function of its arguments.

    Random streams are `np.random.default_rng([seed, ..., tag])` with a nonzero last tag: numpy treats
    trailing zeros of a seed list as absent, so `[seed, 0]` would replay `default_rng(seed)`."""
    rng = np.random.default_rng([seed, 7])
    if kind == "bioD":
        return BioD(BioDShape(n_people, K, C, D, L, T, name_pool), rng)
    if kind in ("bioS", "bioS_simple"):
        return BioS(BioSShape(n_people, online=kind == "bioS", name_pool=name_pool), rng)
    raise ValueError(f"unknown population kind {kind!r}; kinds: bioD, bioS, bioS_simple")
