"""Recipe + scale + overrides + seed -> `Plan`: the stages in dependency order, resolved configs, cache keys.

A stage's cache key is a hash of its implementation path and version, its resolved config, its seed and the
keys of its upstream stages, so a change anywhere upstream changes every key below it. `explain` says why a
stage would rerun; `plan_for` rebuilds a run's plan from its run.json.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, get_args, get_origin, get_type_hints

from phys.core.registry import load_recipe
from phys.errors import PhysError
from phys.science.config import ADDED_LATER
from phys.spec import SCALES, Recipe, Stage


@dataclass(frozen=True)
class PlannedStage:
    name: str
    run: str
    """The adapter's `module:qualname` (`Stage.path`), as keyed and recorded."""
    version: int
    config: Any
    deps: tuple[str, ...]
    seed: int
    key: str
    arm: str | None = None
    role: str | None = None
    function: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    """The adapter itself (`Stage.run`)."""

    def config_dict(self) -> dict[str, Any]:
        return config_to_dict(self.config)

    @property
    def data_parallel(self) -> bool:
        """Whether `--ddp N` spreads this stage over N processes (`phys.stages.context.data_parallel`)."""
        return bool(getattr(self.function, "data_parallel", False))


@dataclass(frozen=True)
class Plan:
    recipe: Recipe
    scale: str
    overrides: tuple[str, ...]
    seed: int
    stages: tuple[PlannedStage, ...]
    arms: tuple[str, ...] = ()
    """The arms this plan runs (all stages of other arms are left out)."""

    def stage(self, name: str) -> PlannedStage:
        return next(s for s in self.stages if s.name == name)

    def upstream(self, name: str) -> dict[str, PlannedStage]:
        """Stage `name`'s upstream stages as its adapter sees them (`ctx.inputs`): by role, else by name."""
        return {(self.stage(d).role or d): self.stage(d) for d in self.stage(name).deps}


def stage_seed(run_seed: int, stage_name: str) -> int:
    """Every stage draws its randomness from (run seed, stage name) and nothing else."""
    digest = hashlib.sha256(f"{run_seed}:{stage_name}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def config_to_dict(config: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(config), sort_keys=True))


def key_config(config: Any) -> dict[str, Any]:
    """The config as its cache key sees it: `config_to_dict` less the ADDED_LATER fields at their default."""
    keyed = config_to_dict(config)
    for f in dataclasses.fields(config):
        if f.metadata.get(ADDED_LATER) and keyed[f.name] == json.loads(json.dumps(f.default)):
            del keyed[f.name]  # compared as the key sees them: a list set equals a tuple default
    return keyed


def cache_key(run: str, version: int, config: Any, seed: int, upstream: Mapping[str, str],
              device_type: str | None = None) -> str:
    payload = {
        **({"device_type": device_type} if device_type else {}),
        "run": run,
        "version": version,
        "config": key_config(config),
        "seed": seed,
        "upstream": dict(sorted(upstream.items())),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def make_plan(recipe: Recipe, scale: str, overrides: typing.Sequence[str] = (), seed: int = 0,
              device: str = "cpu", arms: typing.Sequence[str] | None = None) -> Plan:
    """Resolve a recipe at a scale with `STAGE.FIELD=value` overrides (or `ROLE.FIELD=value`: every stage of
    the role; a stage's own key wins); raises PhysError on bad input.

    `arms`: run these arms of the recipe instead of the scale's (e.g. one more cell of a sweep: the cells
    already computed are cache hits, since a stage's key never depends on which other arms run).

    `device` matters only to stages marked `device_sensitive`, whose key includes its type (cpu / cuda).
    """
    device_type = device.split(":")[0]
    if scale not in SCALES:
        raise PhysError(f"unknown scale {scale!r}", hint=f"scales are {', '.join(SCALES)}")
    changes: dict[str, dict[str, Any]] = {s.name: {} for s in recipe.stages}
    parsed = []
    for item in overrides:
        if "=" not in item:
            raise PhysError(f"override {item!r} is not STAGE.FIELD=VALUE (or ROLE.FIELD=VALUE)",
                            hint=f"give it a value, e.g. --set {item.strip()}=…; `phys recipes show {recipe.name}` "
                                 "lists every field with its value")
        key, text = (part.strip() for part in item.split("=", 1))
        parsed.append((key, text))
    # Keys by role first, then by stage name, so that a stage's own key wins wherever either is written
    # (a scale pins its 100-exposure cells; `--set train.exposures=50` sets every other cell); within each,
    # the command line after the scale.
    given = [(key, value, False) for key, value in recipe.scales.get(scale, {}).items()]
    given += [(key, text, True) for key, text in parsed]
    targeted = [(key, value, from_text, _targets(recipe, key)) for key, value, from_text in given]
    for key, value, from_text, targets in sorted(targeted, key=lambda t: t[0].partition(".")[0] in changes):
        for stage_name, field_name in targets:
            if from_text:
                value_type = get_type_hints(type(recipe.stage(stage_name).config))[field_name]
                changes[stage_name][field_name] = parse_value(value_type, value, key)
            else:
                changes[stage_name][field_name] = value
    configs = {s.name: _replace(s.config, s.name, changes[s.name]) for s in recipe.stages}

    arms = recipe.arms_at(scale) if arms is None else chosen_arms(recipe, arms)
    keys: dict[str, str] = {}
    planned: list[PlannedStage] = []
    for stage in _topological(recipe.stages):
        if stage.arm is not None and stage.arm not in arms:
            continue
        seed_s = stage_seed(seed, stage.role or stage.name)  # by role: every arm the same people and init
        missing = [d for d in stage.deps if d not in keys]
        if missing:
            raise PhysError(f"stage {stage.name!r} needs {', '.join(missing)}, left out at scale {scale}",
                            hint="an arm's stages may depend on shared stages and on their own arm only")
        upstream = {d: keys[d] for d in stage.deps}
        key = cache_key(stage.path, stage.version, configs[stage.name], seed_s, upstream,
                        device_type if stage.device_sensitive else None)
        keys[stage.name] = key
        planned.append(PlannedStage(stage.name, stage.path, stage.version, configs[stage.name], stage.deps, seed_s,
                                    key, stage.arm, stage.role, stage.run))
    return Plan(recipe, scale, tuple(overrides), seed, tuple(planned), arms)


def plan_for(info: dict[str, Any]) -> Plan:
    """The run's plan rebuilt from run.json; PhysError if the recipe changed since the run was created."""
    recipe = load_recipe(info["recipe"])
    plan = make_plan(recipe, info["scale"], info.get("overrides", []), info["seed"], info["device"], info.get("arms"))
    recorded = {s["key"] for s in info["stages"]}  # by key: a stage renamed with the same key is the same
    changed = [s.name for s in plan.stages if s.key not in recorded]
    if changed:
        raise PhysError(
            f"recipe {recipe.name} changed since run {info['id']} was created (stages {', '.join(changed)})",
            hint="start a new run instead of resuming this one",
        )
    return plan


def declared_metrics(plan: Plan, name: str) -> set[str] | None:
    """The metrics stage `name`'s adapter declares for its config (`phys.stages.context.produces`), None if
    it declares none (a user's own adapter)."""
    stage = plan.stage(name)
    declare = getattr(stage.function, "produces", None)
    if declare is None:
        return None
    return set(declare(stage.config, {k: s.config for k, s in plan.upstream(name).items()}))


def undeclared(names: typing.Iterable[str], declared: set[str]) -> list[str]:
    """`names` that neither equal a declared metric nor match a declared `*` pattern."""
    patterns = [m for m in declared if "*" in m]
    return [n for n in names if n not in declared and not any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def produced_metrics(plan: Plan) -> tuple[set[str], list[str]]:
    """(the metrics the plan's stages declare, named as the run records them: `metric@arm` for an arm's
    stage; the stages whose adapter declares none)."""
    produced: set[str] = set()
    silent = []
    for stage in plan.stages:
        declared = declared_metrics(plan, stage.name)
        if declared is None:
            silent.append(stage.name)
        else:
            produced |= {f"{m}@{stage.arm}" if stage.arm else m for m in declared}
    return produced, silent


def check_metrics(plan: Plan) -> None:
    """PhysError naming the first check metric or baseline that no stage of the plan produces (before anything
    runs: a misspelt metric would otherwise end the run `inconclusive`). Unchecked if a stage declares none."""
    produced, silent = produced_metrics(plan)
    if silent:
        return
    for check in plan.recipe.checks:
        if not check.arms() <= set(plan.arms):
            continue  # an arm this plan does not run: judged by no run of it (`phys.core.verdict.judge`)
        wanted = [f"{check.metric}@{arm}" for arm in plan.arms] if check.over_arms else [check.metric]
        for name in undeclared([*wanted, *check.baselines()], produced):
            close = difflib.get_close_matches(name, sorted(produced), n=1)
            raise PhysError(
                f"recipe {plan.recipe.name}: check {check.name!r} reads metric {name!r}, which no stage produces "
                f"at scale {plan.scale}",
                hint=(f"did you mean {close[0]}? " if close else "") + "the stages produce " + ", ".join(sorted(produced)))


def chosen_arms(recipe: Recipe, arms: typing.Sequence[str]) -> tuple[str, ...]:
    """`arms` in the recipe's order; PhysError naming the arms if one is unknown or none is given."""
    every = recipe.all_arms
    unknown = [a for a in arms if a not in every]
    if unknown or not arms:
        what = f"unknown arm {', '.join(map(repr, unknown))}" if unknown else "no arm chosen"
        hint = f"arms of {recipe.name}: {', '.join(every)}" if every else f"{recipe.name} has no arms"
        raise PhysError(f"{what} for recipe {recipe.name}", hint=hint)
    return tuple(a for a in every if a in arms)


def valid_keys(recipe: Recipe) -> list[str]:
    return [f"{s.name}.{f.name}" for s in recipe.stages for f in dataclasses.fields(s.config)]


def role_keys(recipe: Recipe) -> list[str]:
    """`ROLE.FIELD` keys: a field of every stage with that role (`pretrain.steps` sets every arm's pretraining)."""
    names = {s.name for s in recipe.stages}
    keys = []
    for role in dict.fromkeys(s.role for s in recipe.stages if s.role and s.role not in names):
        stages = [s for s in recipe.stages if s.role == role]
        common = set.intersection(*({f.name for f in dataclasses.fields(s.config)} for s in stages))
        keys += [f"{role}.{f.name}" for f in dataclasses.fields(stages[0].config) if f.name in common]
    return keys


def _valid_keys_hint(recipe: Recipe) -> str:
    by_role = role_keys(recipe)
    return ("valid keys: " + ", ".join(valid_keys(recipe))
            + (f"; by role (every stage of the role): {', '.join(by_role)}" if by_role else ""))


def _targets(recipe: Recipe, key: str) -> list[tuple[str, str]]:
    """The (stage, field) pairs `key` sets: `STAGE.FIELD`, or `ROLE.FIELD` for every stage with that role (a
    stage's name wins over a role of the same name)."""
    head, _, field_name = key.partition(".")
    names = {s.name for s in recipe.stages}
    stages = [head] if head in names else [s.name for s in recipe.stages if s.role == head]
    if not stages or not all(field_name in {f.name for f in dataclasses.fields(recipe.stage(n).config)}
                             for n in stages):
        raise PhysError(f"unknown override key {key!r} for recipe {recipe.name}", hint=_valid_keys_hint(recipe))
    return [(n, field_name) for n in stages]


def _replace(config: Any, stage_name: str, fields: dict[str, Any]) -> Any:
    """All changes of one stage at once: validation in __post_init__ sees the final config."""
    if not fields:
        return config
    try:
        return dataclasses.replace(config, **fields)
    except (ValueError, TypeError) as exc:  # __post_init__ says what is wrong
        spelled = ", ".join(f"{stage_name}.{k}" for k in fields)
        raise PhysError(f"bad value for {spelled}: {exc}", hint="`phys recipes show RECIPE` lists the configs") from None


def parse_value(hint: Any, text: str, spelled: str) -> Any:
    """Parse override text through the field's type: int, float, bool, str, Literal, tuple[...]."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        if text not in [str(a) for a in args]:
            raise PhysError(f"bad value for {spelled}: {text!r}", hint=f"choose one of {', '.join(map(str, args))}")
        return next(a for a in args if str(a) == text)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        return parse_value(inner[0], text, spelled)
    if origin is tuple:
        items = [t.strip() for t in text.split(",") if t.strip()]
        item_type = args[0] if args else str
        return tuple(parse_value(item_type, t, spelled) for t in items)
    try:
        if hint is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if hint is str:
            return text
    except ValueError:
        kind = {int: "an integer", float: "a number", bool: "true or false"}.get(hint, hint.__name__)
        example = {int: "100", float: "0.001", bool: "true"}.get(hint, "…")
        raise PhysError(f"bad value for {spelled}: {text!r} is not {kind}",
                        hint=f"e.g. --set {spelled}={example}") from None
    raise PhysError(f"{spelled} cannot be set from the command line (type {hint})", hint="edit the recipe instead")


def _topological(stages: typing.Sequence[Stage]) -> list[Stage]:
    by_name = {s.name: s for s in stages}
    for s in stages:
        for d in s.deps:
            if d not in by_name:
                raise PhysError(f"stage {s.name!r} depends on unknown stage {d!r}", hint="fix the recipe's deps")
    order: list[Stage] = []
    state: dict[str, str] = {}

    def visit(stage: Stage, path: list[str]) -> None:
        if state.get(stage.name) == "done":
            return
        if state.get(stage.name) == "visiting":
            raise PhysError("stage dependency cycle: " + " -> ".join(path + [stage.name]), hint="fix the recipe's deps")
        state[stage.name] = "visiting"
        for d in stage.deps:
            visit(by_name[d], path + [stage.name])
        state[stage.name] = "done"
        order.append(stage)

    for s in stages:
        visit(s, [])
    return order


def explain_difference(planned: PlannedStage, previous: dict[str, Any] | None) -> str | None:
    """Why `planned` differs from a previously run stage record (run.json's `stages` entry), or None."""
    if previous is None or previous.get("key") == planned.key:
        return None
    reasons = []
    if previous.get("run") != planned.run or previous.get("version") != planned.version:
        reasons.append("implementation changed")
    if previous.get("seed") != planned.seed:
        reasons.append("seed differs")
    old, new = previous.get("config", {}), planned.config_dict()
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            reasons.append(f"{planned.name}.{name} {old.get(name)!r} -> {new.get(name)!r}")
    return ", ".join(reasons) or "an upstream stage changed"
