"""Lints: what a recipe's design may get wrong, seen before it runs (`phys recipes check`) and recorded with
every run (the run's `lints`, in `phys runs show` and its report).

Independent reproductions of these papers failed for reasons visible before training; each lint measures
one of them and fires against a bound of the recipe's `phys.spec.Lints`:

  window_names    two documents naming one person in one training window (attention copies the other
                  paraphrase instead of storing the fact on the name [PAPERS.md §9.1: 7% vs 97%]);
                  any such window fires; found from the tokens, not from the person labels the packer uses
  exposures       fewer exposures per person (per problem for iGSM) than the recipe's claim needs
                  (`Lints.min_exposures`, by stage or role), from the budget (`phys.core.budget`)
  eval_questions  an eval set with fewer distinct questions than `min_eval_questions`
  eval_templates  an eval set of templated problems (iGSM) with fewer templates than `min_eval_templates`,
                  counted as 1 / Σ share² so that a long tail of rare templates does not hide two that dominate
  eval_majority   an eval set whose commonest answer has a share above `max_eval_majority` and above its
                  chance (1 / its distinct answers) by 0.1
  top_op_share    iGSM training problems at the largest op below `min_top_op_share` of the data

The measurements come from the stages (`phys.stages.context.measures`) on whatever of their output exists:
stored, or previewed where that is cheap (`phys.core.folders`), so a lint whose data is neither stays
silent until the run. A lint the recipe explains (`Lints.explained`, by `code` or `code@scale`) is shown with
its explanation; at scale `smoke` every lint is explained by the scale itself: it tests the plumbing on a toy
population and its numbers judge nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Sequence

from phys.core.budget import StageBudget
from phys.core.folders import Folders
from phys.core.plan import Plan
from phys.spec import Lints

SMOKE = "smoke tests the plumbing on a toy population; its numbers judge nothing"
MAJORITY_OVER_CHANCE = 0.1
"""eval_majority fires only where the commonest answer beats the set's chance (1 / answers) by this much."""


@dataclass(frozen=True)
class Lint:
    code: str
    stage: str
    subject: str
    value: float
    bound: float
    side: str
    """`<` the value is below a minimum, `>` above a maximum."""
    explained: str | None = None
    """Why it fires and what that means for the verdict (`Lints.explained`), None where the recipe does not say."""

    def message(self) -> str:
        what = {"window_names": "share of windows where two documents name one person",
                "exposures": "exposures per person", "eval_questions": "distinct questions",
                "eval_templates": "templates (1 / Σ share²)", "eval_majority": "commonest answer's share",
                "top_op_share": "share"}[self.code]
        need = "at least" if self.side == "<" else "at most"
        return f"{self.stage}: {self.subject}: {what} {_number(self.value)}, {need} {_number(self.bound)} wanted"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message()}


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.3g}"


def measurements(plan: Plan, folders: Folders) -> list[tuple[str, Any]]:
    """(stage, `phys.stages.context.Measure`) of every stage that measures something for the lints."""
    from phys.stages.context import LintInput

    out, seen = [], {}  # the arms of a recipe often measure the same thing: once per distinct input
    for stage in plan.stages:
        measure = getattr(stage.function, "measures", None)
        if measure is None:
            continue
        upstream = plan.upstream(stage.name)
        inputs = {role: folder for role, s in upstream.items() if (folder := folders.folder(s)) is not None}
        given = LintInput(name=stage.name, config=stage.config, seed=stage.seed, folder=folders.folder(stage),
                          inputs=inputs, upstream={role: s.config for role, s in upstream.items()})
        same = (stage.run, repr(given.config), given.seed, given.folder, tuple(sorted(inputs.items())),
                repr(sorted(given.upstream.items())))
        if same not in seen:
            seen[same] = list(measure(given))
        out += [(stage.name, m) for m in seen[same]]
    return out


BOUNDS: dict[str, tuple[str, Callable[[Lints, Any], float]]] = {
    "window_names": (">", lambda lints, m: 0.0),
    "eval_questions": ("<", lambda lints, m: lints.min_eval_questions),
    "eval_templates": ("<", lambda lints, m: lints.min_eval_templates),
    "eval_majority": (">", lambda lints, m: round(max(lints.max_eval_majority,
                                                      (m.chance or 0.0) + MAJORITY_OVER_CHANCE), 4)),
    "top_op_share": ("<", lambda lints, m: lints.min_top_op_share),
}
"""A stage's measurement code -> (the side of its bound that fires: `<` below a minimum, `>` above a maximum,
the bound from the recipe's `Lints` and the measurement)."""


def lint(plan: Plan, folders: Folders, budget: Sequence[StageBudget] = ()) -> list[Lint]:
    """The lints of `plan` that fire, from its stages' measurements and its `budget` rows."""
    bounds, scale = plan.recipe.lints, plan.scale
    fired: list[Lint] = []

    def fire(code: str, stage: str, subject: str, value: float, bound: float, side: str) -> None:
        if value < bound if side == "<" else value > bound:
            explained = SMOKE if scale == "smoke" else bounds.explanation(code, scale)
            fired.append(Lint(code, stage, subject, round(float(value), 4), bound, side, explained))

    for row in budget:
        stage = plan.stage(row.stage)
        need = bounds.min_exposures.get(stage.name, bounds.min_exposures.get(stage.role or "", None))
        if need is not None and row.exposures is not None:
            fire("exposures", row.stage, "training", row.exposures, need, "<")
    for stage_name, m in measurements(plan, folders):
        side, bound = BOUNDS[m.lint]
        fire(m.lint, stage_name, m.subject, m.value, bound(bounds, m), side)
    return fired


def unexplained(lints: Iterable[Lint]) -> list[Lint]:
    return [x for x in lints if x.explained is None]


def lint_plan(plan: Plan, folders: Folders, device: str) -> list[Lint]:
    """Every lint of `plan` from what `folders` holds, its budget included (no throughput probe)."""
    from phys.core.budget import budget

    return lint(plan, folders, budget(plan, folders.runs_root, device, None, folders))
