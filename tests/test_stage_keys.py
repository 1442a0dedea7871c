"""Every shipped recipe's stage cache keys, at every scale and device type, are those recorded in
`fixtures/stage_keys.json`: moving or refactoring code must not invalidate the stores users already have.

A deliberate change of what a stage produces bumps its `version`, which changes its key and every key below
it; regenerate the fixture then with `python tests/test_stage_keys.py` and say why in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from phys.core import registry
from phys.core.plan import make_plan
from phys.spec import SCALES

FIXTURE = Path(__file__).parent / "fixtures" / "stage_keys.json"


def stage_keys(name: str) -> dict[str, dict[str, str]]:
    """{"<scale>/<device>": {stage: key}} for every arm of recipe `name`."""
    recipe = registry.load_recipe(name)
    every = tuple(dict.fromkeys(s.arm for s in recipe.stages if s.arm)) or None
    return {f"{scale}/{device}": {s.name: s.key for s in make_plan(recipe, scale, seed=0, device=device,
                                                                     arms=every).stages}
            for scale in SCALES for device in ("cpu", "cuda")}


RECORDED = json.loads(FIXTURE.read_text())


def test_every_shipped_recipe_is_recorded() -> None:
    assert sorted(RECORDED) == registry.recipe_names(), "a recipe was added or removed: regenerate the fixture"


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_stage_keys_unchanged(name: str) -> None:
    assert stage_keys(name) == RECORDED[name]


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps({n: stage_keys(n) for n in registry.recipe_names()}, indent=1, sort_keys=True)
                       + "\n")
    print(f"wrote {FIXTURE}", file=sys.stderr)
