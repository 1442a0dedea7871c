"""The dataclasses a recipe is built from: `Recipe`, `Stage`, `Check`.

A recipe says *what* a finding is (claim, paper numbers, stages, checks, scales); it never says how stages
are executed or cached — that is `phys.core.plan` and `phys.core.runner`. Nothing here imports torch: a
stage names its adapter function (`bios.run` of `phys.stages.bios`), whose module imports the science only
when the stage runs; its `module:qualname` (`"phys.stages.bios:run"`) enters the cache key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

SCALES: tuple[str, ...] = ("smoke", "cpu", "gpu", "paper")
PARTS: dict[str, str] = {
    "2.1": "Grade-school math and the hidden reasoning process",
    "2.2": "How to learn from mistakes on grade-school math problems",
    "3.1": "Knowledge storage and extraction",
    "3.2": "Knowledge manipulation",
    "3.3": "Knowledge capacity scaling laws",
}
"""Paper parts of *Physics of Language Models*, by number: how the TUI and listings group recipes."""
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Op = Literal[">=", "<=", ">", "<"]
Role = Literal["claim", "sanity"]


@dataclass(frozen=True)
class Stage:
    """One cached step of a recipe: an implementation, a frozen config and named upstream stages."""

    name: str
    run: Callable[..., Any]
    """The stage adapter, a module-level function of `phys.stages` (or of a recipe's own module); it receives a
    `phys.stages.context.StageContext` and returns the stage's metrics."""
    config: Any
    """A frozen dataclass instance; every field can be overridden with `--set NAME.FIELD=VALUE`."""
    deps: tuple[str, ...] = ()
    """Names of upstream stages; their output folders reach the adapter as `ctx.inputs[name]`."""
    version: int = 1
    """Bump when the implementation changes what it produces, so cached outputs are not reused."""
    device_sensitive: bool = False
    """The device type (cpu / cuda) enters the cache key: e.g. training, whose precision follows the device."""
    arm: str | None = None
    """The arm of a multi-arm recipe this stage belongs to (e.g. `multi5+permute`); its results reach the
    run's metrics as `metric@arm`, and a scale may run a subset of the arms (`Recipe.arms`)."""
    role: str | None = None
    """The generic name of an arm's stage (e.g. `data` for `data_single`): downstream stages get its folder
    as `ctx.inputs[role]`, and its seed derives from the role, so every arm draws the same people and the
    same initial weights."""

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"stage name {self.name!r} must match {NAME_RE.pattern}")
        if self.role is not None and not NAME_RE.match(self.role):
            raise ValueError(f"stage {self.name!r}: role {self.role!r} must match {NAME_RE.pattern}")
        if self.arm is not None and (not self.arm or any(c in self.arm for c in "@ \t")):
            raise ValueError(f"stage {self.name!r}: arm {self.arm!r} must be non-empty, without '@' or spaces")
        if not dataclasses.is_dataclass(self.config):
            raise TypeError(f"stage {self.name!r}: config must be a dataclass instance")
        if not callable(self.run):
            raise TypeError(f"stage {self.name!r}: run must be the stage's adapter function, got {self.run!r}")
        if "<" in self.path:
            raise ValueError(f"stage {self.name!r}: the adapter {self.path} must be a module-level function "
                             "(its module:qualname enters the cache key)")

    @property
    def path(self) -> str:
        """`module:qualname` of the adapter: what enters the cache key and the run's records."""
        return f"{self.run.__module__}:{self.run.__qualname__}"


@dataclass(frozen=True)
class Check:
    """Turns one measured metric into a pass/fail against the paper's finding.

    role `claim`: failing it means the finding did not reproduce. role `sanity`: failing it means the run
    cannot judge the claim (e.g. the model never fit its training data), so the verdict is `inconclusive`.
    """

    name: str
    metric: str
    """Key in the run's metrics (the results of all its stages, merged), e.g. `forward_test_acc`."""
    op: Op
    threshold: float
    paper: str
    """The paper's number for this quantity, as the paper reports it (e.g. `≈ 0%`, `86.6%`)."""
    role: Role = "claim"
    description: str = ""
    baseline: str | tuple[str, ...] | None = None
    """If set, the measured value is `metric - baseline` (e.g. one arm's accuracy minus another's); a tuple
    of metrics means their maximum (e.g. "birth date beats every other attribute")."""

    ratio: bool = False
    """With a baseline: the measured value is `metric / baseline` instead of the difference (e.g. "100
    exposures store half of what 1000 do"); unmeasured when the baseline is not positive."""
    over_arms: Literal["max", "min"] | None = None
    """If set, the measured value is the max (or min) of `metric@arm` over the arms the run ran (e.g. the
    peak bits per parameter of a sweep); `metric` is then the name without `@arm`."""
    scales: tuple[str, ...] = ()
    """The scales that judge this check; empty = every scale. A claim 2 cores cannot show keeps its check for
    the scales that can (the recipe's docstring says why, with the measured reason)."""

    def __post_init__(self) -> None:
        if self.ratio and self.baseline is None:
            raise ValueError(f"check {self.name!r}: ratio=True needs a baseline")
        if self.over_arms is not None and self.baseline is not None:
            raise ValueError(f"check {self.name!r}: over_arms and baseline do not combine")
        unknown = set(self.scales) - set(SCALES)
        if unknown:
            raise ValueError(f"check {self.name!r}: unknown scale {sorted(unknown)[0]!r}; scales are {', '.join(SCALES)}")

    def baselines(self) -> tuple[str, ...]:
        if self.baseline is None:
            return ()
        return (self.baseline,) if isinstance(self.baseline, str) else tuple(self.baseline)

    def metrics(self) -> tuple[str, ...]:
        return (self.metric, *self.baselines())

    def arms(self) -> set[str]:
        """The arms whose metrics (`metric@arm`) this check reads."""
        return {m.split("@", 1)[1] for m in self.metrics() if "@" in m}

    def passes(self, value: float) -> bool:
        return {
            ">=": value >= self.threshold,
            "<=": value <= self.threshold,
            ">": value > self.threshold,
            "<": value < self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Plot:
    """One point per arm: a per-arm metric against another (e.g. bits stored against parameters), drawn in
    the report (PNG) and in the terminal (plotext), with reference lines y = slope * x."""

    name: str
    """File stem of the PNG (`figures/<name>.png`)."""
    x: str
    y: str
    """Metric names without `@arm`."""
    title: str = ""
    lines: tuple[tuple[float, str], ...] = ()
    """(slope, label) of each reference line, e.g. (2.0, "2 bits/param")."""
    log: bool = True
    """Both axes logarithmic."""


LINT_CODES: tuple[str, ...] = ("window_names", "exposures", "eval_questions", "eval_templates", "eval_majority",
                               "top_op_share")
"""The lints of `phys.core.lint`, by the code a recipe's `Lints.explained` names them with."""


@dataclass(frozen=True)
class Lints:
    """The bounds of a recipe's lints (`phys.core.lint`: what `phys recipes check` and every run warn about)
    and the lints the recipe explains. Defaults hold for every recipe; a recipe changes one where its claim
    needs it, and says why in its docstring."""

    min_exposures: Mapping[str, float] = field(default_factory=dict)
    """stage name or role -> the exposures per person (or per item) the recipe's claim needs of that training
    stage; a stage not named is not linted for exposures."""
    min_eval_questions: int = 50
    """Fewer distinct questions in an eval set leave a rate whose standard error is above 0.07."""
    min_eval_templates: float = 10.0
    """An eval set of templated questions (iGSM) whose templates, counted as 1 / Σ share², number fewer than
    this mostly asks a few kinds of question (a long tail of rare templates does not hide two that dominate)."""
    max_eval_majority: float = 0.4
    """An eval set whose commonest answer is above this share (and above its chance 1 / answers by 0.1)
    rewards always giving that answer."""
    min_top_op_share: float = 0.1
    """Training problems at the largest op below this share teach the hardest problems from a sliver of
    the data (the paper's min-of-two-uniforms gives op = max_op a share of 1 / max_op²)."""
    explained: Mapping[str, str] = field(default_factory=dict)
    """`code` or `code@scale` -> why this lint fires there and what it means for the verdict (shown beside the
    lint; it changes no verdict: a check that cannot judge must say so itself)."""

    def __post_init__(self) -> None:
        for key in self.explained:
            code, _, scale = key.partition("@")
            if code not in LINT_CODES or (scale and scale not in SCALES):
                raise ValueError(f"explained lint {key!r}: codes are {', '.join(LINT_CODES)}, "
                                 f"optionally @scale ({', '.join(SCALES)})")

    def explanation(self, code: str, scale: str) -> str | None:
        return self.explained.get(f"{code}@{scale}", self.explained.get(code))


@dataclass(frozen=True)
class Recipe:
    """A finding of the papers, as a runnable and checkable experiment."""

    name: str
    part: str
    """Paper part, e.g. `3.2`."""
    title: str
    claim: str
    """The finding in one sentence."""
    stages: tuple[Stage, ...]
    checks: tuple[Check, ...]
    scales: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """scale name -> {"STAGE.FIELD": value}, or {"ROLE.FIELD": value} for every stage of a role (a stage's own
    key wins); scales not listed use the stage configs as written."""
    arms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """scale -> the arms run at that scale (scales not listed run every arm)."""
    paper_numbers: Mapping[str, str] = field(default_factory=dict)
    """Headline numbers of the paper for this finding, label -> value, shown in `recipes show` and reports."""
    estimates: Mapping[str, str] = field(default_factory=dict)
    """scale -> expected wall time as measured (e.g. `5 min on 2 CPU cores`); shown until this machine has its own."""
    doc: str = ""
    """Longer description: setup, deviations from the paper (scale, tokenizer), references."""
    plots: tuple[Plot, ...] = ()
    """Per-arm scatter plots of the finding (e.g. the capacity law), beside the curves and checks."""
    lints: Lints = field(default_factory=Lints)
    """Bounds of the lints of this recipe's design, and the lints it explains (`phys.core.lint`)."""

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"recipe name {self.name!r} must match {NAME_RE.pattern}")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"recipe {self.name!r}: duplicate stage names in {names}")
        for scale in self.scales:
            if scale not in SCALES:
                raise ValueError(f"recipe {self.name!r}: unknown scale {scale!r}; scales are {', '.join(SCALES)}")
        for s in self.stages:
            if s.role is not None and s.role in names and self.stage(s.role).role != s.role:
                raise ValueError(f"recipe {self.name!r}: role {s.role!r} of stage {s.name!r} is also the name of "
                                 f"another stage; `{s.role}.FIELD` could not reach every stage of the role")
        known_arms = set(self.all_arms)
        for check in self.checks:
            if check.arms() - known_arms:
                raise ValueError(f"recipe {self.name!r}: check {check.name!r} reads unknown arms "
                                 f"{sorted(check.arms() - known_arms)}; arms: {sorted(known_arms)}")
        for scale, arms in self.arms.items():
            unknown = set(arms) - known_arms
            if scale not in SCALES or unknown:
                raise ValueError(f"recipe {self.name!r}: arms of scale {scale!r}: unknown {sorted(unknown)}")

    @property
    def all_arms(self) -> tuple[str, ...]:
        """Every arm of the recipe, in stage order."""
        return tuple(dict.fromkeys(s.arm for s in self.stages if s.arm))

    def arms_at(self, scale: str) -> tuple[str, ...]:
        """The arms run at `scale`, in stage order."""
        return tuple(a for a in self.all_arms if a in self.arms.get(scale, self.all_arms))

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)
