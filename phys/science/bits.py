"""Bits of knowledge: the capacity ratios of [3.3 Definitions 4.1 and 4.3], as plain arithmetic.

Losses are in nats and *summed* over the tokens of an item, never averaged (Remark 3.1):
  p1  the loss of the name at the start of a paragraph (a person's name, predicted from nothing)
  p2  the loss of a whole value given the name and attribute (bioD: per (person, attribute); bioS: summed
      over a person's six values and every pronoun — the joint loss of gender x the five values: the
      employer city is summed too, since it can come before the employer and then carries its bits)
  p3  the loss of a value's first chunk (bioD)
Each function returns bits (the numerator of R(F)); divide by the parameter count P for bits per parameter.
A model that knows everything (p1 = ln N, p2 = p3 = 0) stores exactly the `*_max_bits`. One uniform over
what is possible (p1 = ln N0; bioS p2 = ln S0; bioD p2 = C ln D) stores 0 bits of names and values; bioD's
diversity term then counts only what p3 says about the diversity sets.
"""

from __future__ import annotations

import math

LN2 = math.log(2)

BIRTH_DATES = 12 * 28 * 200
S0 = 2 * BIRTH_DATES * 200 * 300 * 100 * 263
"""The bioS value space: gender x birth date x birth city x university x major x employer (the employer
city is the employer's headquarters, no extra bits). log2 S0 ≈ 47.6 [3.3 Definition 4.3]."""


def biod_bits(N: int, K: int, C: int, D: int, L: int, T: int, N0: int, p1: float, p2: float, p3: float) -> float:
    """R(F) x P for bioD (Definition 4.1): names, values, and the diversity sets."""
    names = N * (math.log2(N0) - p1 / LN2)
    values = N * K * (C * math.log2(D) - p2 / LN2)
    diversity = K * D * (L * math.log2(T) - math.log2(D) - p3 / LN2)
    return names + values + diversity


def biod_max_bits(N: int, K: int, C: int, D: int, L: int, T: int, N0: int) -> float:
    """R^max(F) x P for bioD."""
    return N * math.log2(N0 / N) + N * K * C * math.log2(D) + K * D * (L * math.log2(T) - math.log2(D))


def bios_bits(N: int, N0: int, p1: float, p2: float, s0: int = S0) -> float:
    """R(F) x P for bioS (Definition 4.3): names and the six values (the diversity term is dropped)."""
    return N * (math.log2(N0) - p1 / LN2) + N * (math.log2(s0) - p2 / LN2)


def bios_max_bits(N: int, N0: int, s0: int = S0) -> float:
    """R^max(F) x P for bioS."""
    return N * math.log2(N0 / N) + N * math.log2(s0)
