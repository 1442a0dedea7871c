"""Recipe + scale + overrides + seed -> `Plan`: the stages in dependency order, resolved configs, cache keys.

A stage's cache key is a hash of its implementation path and version, its resolved config, its seed and the
keys of its upstream stages, so a change anywhere upstream changes every key below it. `explain` says why a
stage would rerun; `plan_for` rebuilds a run's plan from its run.json.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, get_args, get_origin, get_type_hints

from phys.core.registry import load_recipe
from phys.errors import PhysError
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


def stage_seed(run_seed: int, stage_name: str) -> int:
    """Every stage draws its randomness from (run seed, stage name) and nothing else."""
    digest = hashlib.sha256(f"{run_seed}:{stage_name}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def config_to_dict(config: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(config), sort_keys=True))


def cache_key(run: str, version: int, config: Any, seed: int, upstream: Mapping[str, str],
              device_type: str | None = None) -> str:
    payload = {
        **({"device_type": device_type} if device_type else {}),
        "run": run,
        "version": version,
        "config": config_to_dict(config),
        "seed": seed,
        "upstream": dict(sorted(upstream.items())),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def make_plan(recipe: Recipe, scale: str, overrides: typing.Sequence[str] = (), seed: int = 0,
              device: str = "cpu", arms: typing.Sequence[str] | None = None) -> Plan:
    """Resolve a recipe at a scale with `stage.field=value` overrides; raises PhysError on bad input.

    `arms`: run these arms of the recipe instead of the scale's (e.g. one more cell of a sweep: the cells
    already computed are cache hits, since a stage's key never depends on which other arms run).

    `device` matters only to stages marked `device_sensitive`, whose key includes its type (cpu / cuda).
    """
    device_type = device.split(":")[0]
    if scale not in SCALES:
        raise PhysError(f"unknown scale {scale!r}", hint=f"scales are {', '.join(SCALES)}")
    changes: dict[str, dict[str, Any]] = {s.name: {} for s in recipe.stages}
    for key, value in recipe.scales.get(scale, {}).items():
        stage_name, field_name = _split_key(recipe, key)
        changes[stage_name][field_name] = value
    for item in overrides:
        if "=" not in item:
            raise PhysError(f"override {item!r} is not STAGE.FIELD=VALUE",
                            hint=f"give it a value, e.g. --set {item.strip()}=…; `phys recipes show {recipe.name}` "
                                 "lists every field with its value")
        key, text = item.split("=", 1)
        stage_name, field_name = _split_key(recipe, key.strip())
        hint = get_type_hints(type(recipe.stage(stage_name).config))[field_name]
        changes[stage_name][field_name] = parse_value(hint, text.strip(), key.strip())
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
    recorded = {s["name"]: s["key"] for s in info["stages"]}
    changed = [s.name for s in plan.stages if recorded.get(s.name) != s.key]
    if changed:
        raise PhysError(
            f"recipe {recipe.name} changed since run {info['id']} was created (stages {', '.join(changed)})",
            hint="start a new run instead of resuming this one",
        )
    return plan


def chosen_arms(recipe: Recipe, arms: typing.Sequence[str]) -> tuple[str, ...]:
    """`arms` in the recipe's order; PhysError naming the arms if one is unknown or none is given."""
    every = tuple(dict.fromkeys(s.arm for s in recipe.stages if s.arm))
    unknown = [a for a in arms if a not in every]
    if unknown or not arms:
        what = f"unknown arm {', '.join(map(repr, unknown))}" if unknown else "no arm chosen"
        hint = f"arms of {recipe.name}: {', '.join(every)}" if every else f"{recipe.name} has no arms"
        raise PhysError(f"{what} for recipe {recipe.name}", hint=hint)
    return tuple(a for a in every if a in arms)


def valid_keys(recipe: Recipe) -> list[str]:
    return [f"{s.name}.{f.name}" for s in recipe.stages for f in dataclasses.fields(s.config)]


def _valid_keys_hint(recipe: Recipe) -> str:
    return "valid keys: " + ", ".join(valid_keys(recipe))


def _split_key(recipe: Recipe, key: str) -> tuple[str, str]:
    stage_name, _, field_name = key.partition(".")
    names = {s.name for s in recipe.stages}
    if stage_name not in names or field_name not in {f.name for f in dataclasses.fields(recipe.stage(stage_name).config)}:
        raise PhysError(f"unknown override key {key!r} for recipe {recipe.name}", hint=_valid_keys_hint(recipe))
    return stage_name, field_name


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
