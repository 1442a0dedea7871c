"""Reversal curse, judged as a gap: on the people whose questions were never trained, forward QA beats
inverse search by a wide margin. The stages are reversal_curse's own, so a runs folder that has run it has
every stage cached; only the verdict is new."""

import dataclasses

from phys.recipes import reversal_curse
from phys.spec import Check

BASE = reversal_curse.RECIPE

RECIPE = dataclasses.replace(
    BASE,
    name="reversal_gap",
    title="Reversal curse as a gap: forward QA far above inverse search",
    claim="On people whose QA was never trained, forward QA is far above inverse search.",
    checks=(
        Check("forward QA beats inverse search on unseen people", "forward_test_acc", ">=", 0.5,
              baseline="inverse_test_acc", paper="96.6% vs ≈ 0% (+96 points)",
              description="halfway between no gap (0) and the paper's"),
        *(c for c in BASE.checks if c.role == "sanity"),
    ),
    doc=__doc__ or "",
)
