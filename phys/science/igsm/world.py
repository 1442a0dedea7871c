"""World knowledge of iGSM [IGSM.md §1]: 4 categorizations × 4 layers of categories, each category with
5 sub-categories of 20 item names, read from `world.txt` (phys's own lists, of the official shape).

A problem draws one categorization, d consecutive layers of it, and per layer one sub-category from
which it draws its distinct item names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORLD_FILE = Path(__file__).with_name("world.txt")


@dataclass(frozen=True)
class Category:
    name: str
    subcategories: tuple[tuple[str, tuple[str, ...]], ...]  # (sub-category name, its items)


@dataclass(frozen=True)
class World:
    categorizations: tuple[tuple[Category, ...], ...]  # [c][layer]

    def draw(self, rng: random.Random, widths: list[int]) -> tuple[int, tuple[str, ...], tuple[tuple[str, ...], ...]]:
        """(categorization, category names C[i], item names N[i][j]) for len(widths) consecutive layers."""
        d = len(widths)
        c = rng.randrange(len(self.categorizations))
        start = rng.randrange(len(self.categorizations[c]) - d + 1)
        layers = self.categorizations[c][start : start + d]
        names = []
        for category, width in zip(layers, widths):
            _, items = rng.choice(category.subcategories)
            names.append(tuple(rng.sample(items, width)))
        return c, tuple(cat.name for cat in layers), tuple(names)

    def restrict(self, subcategories: int, items: int) -> World:
        """The first `subcategories` sub-categories of every category, each cut to its first `items` names
        (a smaller world for small models: fewer names to learn the category of)."""
        return World(tuple(tuple(Category(cat.name, tuple((sub, names[:items]) for sub, names in
                                                          cat.subcategories[:subcategories]))
                                 for cat in layers) for layers in self.categorizations))

    def words(self) -> set[str]:
        """Every category and item name (for the vocabulary)."""
        out: set[str] = set()
        for layers in self.categorizations:
            for cat in layers:
                out.add(cat.name)
                for _, items in cat.subcategories:
                    out.update(items)
        return out


def parse(text: str) -> World:
    """`Category / Sub-category: item; item; …` lines, categorization after categorization, 4 categories
    each, a category's sub-categories on consecutive lines; `#` starts a comment."""
    cats: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    order: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, items = line.partition(":")
        category, slash, sub = head.partition(" / ")
        if not sep or not slash:
            raise ValueError(f"world line {number}: expected 'Category / Sub-category: a; b; …'")
        names = tuple(s.strip() for s in items.split(";") if s.strip())
        if len(set(names)) != len(names):
            raise ValueError(f"world line {number}: repeated item in {sub.strip()!r}")
        if category not in cats:
            cats[category] = []
            order.append(category)
        cats[category].append((sub.strip(), names))
    if len(order) % 4:
        raise ValueError(f"world: {len(order)} categories, expected 4 per categorization")
    categories = [Category(name, tuple(cats[name])) for name in order]
    return World(tuple(tuple(categories[i : i + 4]) for i in range(0, len(categories), 4)))


@lru_cache(maxsize=None)
def load(path: Path = WORLD_FILE) -> World:
    return parse(Path(path).read_text())
