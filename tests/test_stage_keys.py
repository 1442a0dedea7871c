"""Every shipped recipe's stage cache keys, at every scale and device type, are those recorded in
`fixtures/stage_keys.json`: moving or refactoring code must not invalidate the stores users already have.

`runs`: the stages each scale runs by default (what a store holds from `phys run recipe NAME`), recorded
before the layout step of issue 19 and unchanged by it. `arms`: every arm at every scale (`--arms`),
re-recorded once by that issue, when scale settings began to reach a role's stages in every arm: 784
(recipe, scale, device, stage) keys changed, all of stages their scale does not run by default (a capacity
cell added with `--arms` at the smoke scale now gets the smoke sizes), and `igsm_probing`'s `probe` became
`probe_trained` with the same key.

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


def stage_keys(name: str, every_arm: bool) -> dict[str, dict[str, str]]:
    """{"<scale>/<device>": {stage: key}} of recipe `name`: the scale's arms, or every arm."""
    recipe = registry.load_recipe(name)
    arms = recipe.all_arms or None if every_arm else None
    return {f"{scale}/{device}": {s.name: s.key for s in make_plan(recipe, scale, seed=0, device=device,
                                                                     arms=arms).stages}
            for scale in SCALES for device in ("cpu", "cuda")}


RECORDED = json.loads(FIXTURE.read_text())


def test_every_shipped_recipe_is_recorded() -> None:
    for section in ("runs", "arms"):
        assert sorted(RECORDED[section]) == registry.recipe_names(), "a recipe was added: regenerate the fixture"


@pytest.mark.parametrize("name", sorted(RECORDED.get("runs", {})))
def test_the_stages_a_scale_runs_keep_their_keys(name: str) -> None:
    assert stage_keys(name, every_arm=False) == RECORDED["runs"][name]


@pytest.mark.parametrize("name", sorted(RECORDED.get("arms", {})))
def test_every_arm_keeps_its_keys(name: str) -> None:
    assert stage_keys(name, every_arm=True) == RECORDED["arms"][name]


if __name__ == "__main__":
    names = registry.recipe_names()
    FIXTURE.write_text(json.dumps({"runs": {n: stage_keys(n, False) for n in names},
                                   "arms": {n: stage_keys(n, True) for n in names}}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}", file=sys.stderr)
