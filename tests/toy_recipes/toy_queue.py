"""A recipe for the execution tests: three independent `work` stages (arms a, b, c) and a `gather` stage
that needs them all. Each stage records where it ran (pid, CUDA_VISIBLE_DEVICES, threads, start and end)."""

from dataclasses import dataclass

import toy_queue_stages  # tests/ is on PYTHONPATH, in the workers too

from phys.spec import Check, Recipe, Stage


@dataclass(frozen=True)
class WorkConfig:
    seconds: float = 1.5
    """How long the stage works (it stops early when asked to)."""
    wait_for: str = ""
    """A file the stage waits for after it started (tests kill it meanwhile); empty: none."""


RECIPE = Recipe(
    name="toy_queue",
    part="test",
    title="toy queue",
    claim="three independent stages run at once where there are slots",
    stages=(
        *(Stage(f"work_{arm}", toy_queue_stages.work, WorkConfig()) for arm in "abc"),
        Stage("gather", toy_queue_stages.gather, WorkConfig(seconds=0.0), deps=("work_a", "work_b", "work_c")),
    ),
    checks=(Check("all three worked", "gathered", ">=", 3, paper="-"),),
)
