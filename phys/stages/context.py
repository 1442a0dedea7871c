"""`StageContext`: everything a stage adapter gets from the runner, and nothing about the ledger.

Adapters read `config`, `seed`, `inputs` (upstream output folders) and write into `out`. They report
through three callbacks: `log` (a line for humans and log.txt), `metrics` (one JSON line of numbers for
metrics.jsonl) and `progress` (done / total for progress bars). `should_stop()` turns true after SIGINT or
SIGTERM: long loops checkpoint and raise `phys.errors.StageInterrupted`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from phys.errors import PhysError

F = TypeVar("F", bound=Callable[..., Any])


def data_parallel(func: Callable[["StageContext"], Any]) -> Callable[["StageContext"], Any]:
    """Marks a stage adapter whose work is one `phys.science.train.train` call: `--ddp N` runs it on N processes
    under torchrun (every rank runs the adapter; after training, only rank 0 goes on)."""
    func.data_parallel = True  # type: ignore[attr-defined]
    return func


def previewable(func: F) -> F:
    """Marks a data stage cheap enough (pure Python: under a second at a few thousand people, 2–25 s at 20,000) that
    `phys recipes check` may compute it in a scratch folder, before any run, to count the tokens and people
    its budget needs (`phys.core.budget`); nothing of it is stored."""
    func.previewable = True  # type: ignore[attr-defined]
    return func


def steps_from_data(steps: Callable[[Any, Path, int], int]) -> Callable[[F], F]:
    """Marks a training stage whose steps follow from its data (Part 3.3: exposures of a population):
    `steps(config, data_folder, seed)` computes them as the stage will, for the budget (`phys.core.budget`)."""

    def mark(func: F) -> F:
        func.steps_from_data = steps  # type: ignore[attr-defined]
        return func

    return mark


def epochs_from_data(windows: Callable[[Any, Path, int], int | None]) -> Callable[[F], F]:
    """Marks a training stage whose epoch the budget can count (`phys.core.budget`): `windows(config,
    data_folder, seed)` packs one epoch of its data as the stage will and returns its windows."""

    def mark(func: F) -> F:
        func.epochs_from_data = windows  # type: ignore[attr-defined]
        return func

    return mark


def produces(declare: Callable[[Any, Mapping[str, Any]], Iterable[str]]) -> Callable[[F], F]:
    """Declares the metrics a stage adapter returns: `declare(config, upstream)` names them from the stage's
    config and its upstream stages' configs (keyed like `ctx.inputs`: by role, else by name). A superset is
    fine (a metric the data may leave out); a name may hold `*` for a family whose members only the data
    decides. `phys recipes check` rejects a check whose metric no stage of the plan declares."""

    def mark(func: F) -> F:
        func.produces = declare  # type: ignore[attr-defined]
        return func

    return mark


@dataclass(frozen=True)
class Measure:
    """One quantity a stage measures about its data or its evaluation sets for the lints (`phys.core.lint`
    holds the bounds): `window_names` (share of training windows in which two documents name one person),
    `eval_questions` (distinct questions of an eval set), `eval_templates` (its templates, counted as the
    inverse Simpson index 1 / Σ share²), `eval_majority` (the share of its commonest answer), `top_op_share`
    (the share of the training problems at the largest op)."""

    lint: str
    subject: str
    """What was measured, e.g. `eval set id` or `train windows`."""
    value: float
    chance: float | None = None
    """eval_majority: 1 / the set's distinct answers (a binary set's majority is 0.5 by chance)."""


@dataclass(frozen=True)
class LintInput:
    """What a stage's lint measurement (`measures`) reads: its config and seed, its own output folder and its
    upstream stages' (where stored, or previewed by `phys recipes check`), and its upstream configs."""

    name: str
    config: Any
    seed: int
    folder: Path | None
    """The stage's own output (None where it has not run and is not previewable)."""
    inputs: Mapping[str, Path]
    """Upstream output folders that exist, keyed like `StageContext.inputs`."""
    upstream: Mapping[str, Any]
    """Upstream configs, keyed like `inputs` (every upstream stage, run or not)."""


def measures(measure: Callable[[LintInput], Iterable[Measure]]) -> Callable[[F], F]:
    """Declares what a stage measures for the lints: `measure(LintInput)` returns `Measure`s from whatever of
    its inputs exists (none where a folder it needs is None). It must be cheap (a second or so): `phys recipes
    check` and the end of every run call it."""

    def mark(func: F) -> F:
        func.measures = measure  # type: ignore[attr-defined]
        return func

    return mark


def layer_names(model_config: Any) -> list[str]:
    """`L1` … `Ln` of a model stage's config (the per-layer metrics of probes); `L*` where the upstream
    config does not give the depth (e.g. a finetuned model, whose depth its own upstream decides)."""
    n_layer = getattr(model_config, "n_layer", None)
    return [f"L{layer}" for layer in range(1, n_layer + 1)] if n_layer else ["L*"]


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


@dataclass
class StageContext:
    name: str
    config: Any
    seed: int
    out: Path
    inputs: dict[str, Path] = field(default_factory=dict)
    device: str = "cpu"
    log: Callable[[str], None] = print
    metrics: Callable[..., None] = _noop
    """metrics(step=..., **values): one record in the run's metrics.jsonl, tagged with the stage name."""
    trim_metrics: Callable[[int], None] = _noop
    """trim_metrics(step): drop this stage's records after `step` (called when training resumes)."""
    progress: Callable[..., None] = _noop
    """progress(done, total, **info)"""
    should_stop: Callable[[], bool] = lambda: False

    def upstream(self, role: str, field: str) -> Path:
        """The output folder of the upstream stage with `role`, named by the config field `field` (e.g.
        `evaluate.model`); a PhysError naming the choices if there is none."""
        if role not in self.inputs:
            raise PhysError(f"{field}={role!r} is not an upstream stage of {self.name}",
                            hint=f"choose one of {', '.join(k for k in self.inputs if k != 'data')}")
        return self.inputs[role]
