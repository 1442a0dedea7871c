"""`phys recipes`: list, show and check (plan with cache hits; runs nothing)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from phys.core import registry
from phys.cli.jsonout import print_json
from phys.cli.options import ArmsOpt, DeviceOpt, JsonOpt, ScaleOpt, SeedOpt, SetOpt, arm_list, runs_root
from phys.cli.render import err, out, print_lints
from phys.errors import PhysError
from phys.core.folders import Folders
from phys.core.ledger import Ledger
from phys.core.lint import lint
from phys.core.plan import check_metrics, explain_difference, make_plan
from phys.core.store import Store
from phys.views.format import VERDICT_STYLE, label, styled

app = typer.Typer(help="List, show and check recipes.", no_args_is_help=False)

def _last_verdicts() -> dict[str, dict[str, str]]:
    """recipe -> {verdict, scale, run} of its newest run with a verdict (run ids sort by creation time)."""

    try:
        records = Ledger(runs_root()).runs()
    except PhysError as exc:
        err.print(f"[yellow]warning:[/] {escape(exc.message)}; last verdicts not shown ({escape(exc.hint or '')})")
        return {}
    return {r["recipe"]: {"verdict": r["verdict"], "scale": r["scale"], "run": r["id"]}
            for r in sorted(records, key=lambda r: r["id"]) if r.get("verdict")}


def _previous_stages(recipe_name: str) -> tuple[dict[str, dict], str | None]:
    """Stage records of the newest run of this recipe (to say what changed), from its run.json."""
    from phys.core.rundir import RunDir

    try:
        records = [r for r in Ledger(runs_root()).runs() if r.get("recipe") == recipe_name]
    except PhysError:
        return {}, None
    if not records:
        return {}, None
    newest = max(records, key=lambda r: r["id"])
    info = RunDir(runs_root(), newest["id"]).read("run.json") or {}
    return {s["name"]: s for s in info.get("stages", [])}, newest["id"]


@app.callback(invoke_without_command=True)
def recipes(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List every recipe with its paper part, claim and last verdict."""
    if ctx.invoked_subcommand is not None:
        return
    verdicts = _last_verdicts()
    rows = [{"name": r.name, "part": r.part, "title": r.title, "claim": r.claim,
             "last_verdict": verdicts.get(r.name)} for r in registry.all_recipes()]
    if json:
        print_json(rows)
        return
    table = Table(title="recipes", title_justify="left")
    for col in ("part", "name", "claim", "last verdict"):
        table.add_column(col, overflow="fold")
    for r in sorted(rows, key=lambda r: (r["part"], r["name"])):
        last = r["last_verdict"]
        shown = f"{styled(last['verdict'], VERDICT_STYLE)} ({last['scale']})" if last else "—"
        table.add_row(r["part"], r["name"], r["claim"], shown)
    out.print(table)


@app.command("show")
def show(name: str, scale: Annotated[str, typer.Option("--scale", help="Show the configs at this scale.")] = "cpu",
         json: JsonOpt = False) -> None:
    """Claim, paper numbers, stages with their configs, checks and scales of one recipe."""
    recipe = registry.load_recipe(name)
    plan = make_plan(recipe, scale)
    data = {
        "name": recipe.name, "part": recipe.part, "title": recipe.title, "claim": recipe.claim,
        "paper_numbers": dict(recipe.paper_numbers), "doc": recipe.doc, "scale": plan.scale,
        "stages": [{"name": s.name, "run": s.run, "deps": list(s.deps), "config": s.config_dict()} for s in plan.stages],
        "checks": [dataclasses.asdict(c) for c in recipe.checks],
        "scales": {k: {kk: v for kk, v in d.items()} for k, d in recipe.scales.items()},
        "lints": dataclasses.asdict(recipe.lints),
    }
    if json:
        print_json(data)
        return
    out.print(f"[bold]{recipe.name}[/] — part {recipe.part}: {recipe.title}\n\n{recipe.claim}\n")
    # Paragraphs reflowed to the terminal: the docstring is hard-wrapped for the source, not for 80 columns.
    for paragraph in recipe.doc.strip().split("\n\n"):
        out.print(" ".join(line.strip() for line in paragraph.splitlines()) + "\n", markup=False)
    if recipe.paper_numbers:
        out.print("[bold]paper numbers[/]")
        for k, v in recipe.paper_numbers.items():
            out.print(f"  {k}: {v}", markup=False)
    out.print(f"\n[bold]stages[/] at scale {plan.scale}")
    for s in plan.stages:
        cfg = ", ".join(f"{k}={v}" for k, v in s.config_dict().items())
        out.print(f"  {s.name} <- {', '.join(s.deps) or '∅'}: {cfg}", markup=False)
    out.print("\n[bold]checks[/]")
    for c in recipe.checks:
        only = f" [judged at {', '.join(c.scales)} only]" if c.scales else ""
        out.print(f"  [{c.role}] {c.name}: {label(dataclasses.asdict(c))} {c.op} {c.threshold} (paper: {c.paper})"
                  f"{only}", markup=False)
    lints = recipe.lints
    out.print("\n[bold]lints[/] (what `phys recipes check` warns about; README: Before a run)")
    out.print(f"  bounds: at least {lints.min_eval_questions} distinct questions and {lints.min_eval_templates:g} "
              f"templates per eval set, a commonest answer of at most {lints.max_eval_majority:g} (and chance + 0.1), "
              f"at least {lints.min_top_op_share:g} of iGSM problems at the largest op, no window naming a person "
              "twice", markup=False)
    for stage, need in lints.min_exposures.items():
        out.print(f"  exposures: {stage} needs at least {need:,.0f} per person", markup=False)
    for key, why in lints.explained.items():
        code, _, at = key.partition("@")
        out.print(f"  {code} ({f'at {at}' if at else 'at every scale'}) explained: {why}", markup=False)
    out.print("\n[bold]scales[/] (overrides of the stage configs)")
    for k, d in recipe.scales.items():
        out.print(f"  {k}: " + (", ".join(f"{kk}={v}" for kk, v in d.items()) or "as written"), markup=False)


@app.command("check")
def check(name: str, scale: ScaleOpt = None, set_: SetOpt = None, seed: SeedOpt = 0, device: DeviceOpt = "auto",
          arms: ArmsOpt = None, json: JsonOpt = False,
          probe: Annotated[bool, typer.Option("--probe/--no-probe", help="Measure the throughput of a model shape "
                                              "not yet measured on this machine (a few seconds each) for the time "
                                              "estimate.")] = True) -> None:
    """Validate a recipe (configs, overrides, every check's metrics) and show its plan: cache key of each
    stage, cache hit or why it would run; its budget: per training stage parameters, tokens, passes over the
    data, exposures per person and the time it should take here; and its lints (what its design may get
    wrong: same-person windows, too few exposures, thin or skewed eval sets, a skewed op mix)."""
    from phys.core.environment import default_scale, resolve_device

    recipe = registry.load_recipe(name)
    scale, device = default_scale() if scale is None else scale, resolve_device(device)
    plan = make_plan(recipe, scale, set_ or [], seed, device, arm_list(arms))
    every = recipe.all_arms
    check_metrics(make_plan(recipe, scale, set_ or [], seed, device, every) if every else plan)  # every arm's checks
    store = Store(runs_root())
    previous, previous_id = _previous_stages(recipe.name)
    rows = []
    for s in plan.stages:
        why = store.verify(s.key)
        if why is None:
            state, reason = "cached", "intact in the store"
        elif store.partial(s.key).exists():
            state, reason = "resume", "a partial result exists (interrupted run): it will continue"
        else:
            state, reason = "run", why
            changed = explain_difference(s, previous.get(s.name))
            if changed:
                reason += f"; vs {previous_id}: {changed}"
        rows.append({"stage": s.name, "key": s.key, "state": state, "reason": reason, "seed": s.seed,
                     "deps": list(s.deps)})
    with Folders(runs_root()) as folders:
        budget = _budget(plan, device, probe, folders)
        lints = [x.to_dict() for x in lint(plan, folders, budget)]
    if json:
        print_json({"recipe": recipe.name, "scale": plan.scale, "seed": seed, "stages": rows,
                    "budget": [b.to_dict() for b in budget], "lints": lints})
        return
    table = Table(title=f"{recipe.name} at scale {plan.scale}, seed {seed}", title_justify="left")
    for col in ("stage", "key", "state", "why"):
        table.add_column(col)
    for r in rows:
        style = {"cached": "green", "resume": "yellow", "run": "cyan"}[r["state"]]
        table.add_row(r["stage"], r["key"], f"[{style}]{r['state']}[/]", r["reason"])
    out.print(table)
    if budget:
        _print_budget(budget)
    if lints:
        print_lints(lints)
    else:
        out.print("lints: none fired (a data stage neither stored nor cheap to preview is linted when the run ends)")


def _budget(plan, device: str, probe: bool, folders: Folders) -> list:
    from phys.core.budget import budget, probe as run_probe

    def measure(cfg, vocab: int, device: str) -> float | None:
        err.print(f"measuring the throughput of a {cfg.n_layer}×{cfg.n_embd} model, batch {cfg.batch_size} × "
                  f"{cfg.block_size} on {device} (5 s; once per shape on this machine)")
        try:
            return run_probe(cfg, vocab, device)
        except RuntimeError as exc:  # e.g. out of memory: the estimate is left out, the check goes on
            err.print(f"[yellow]warning:[/] the throughput probe failed: {escape(str(exc))}")
            return None

    return budget(plan, runs_root(), device, measure if probe else None, folders)


def _print_budget(rows: list) -> None:
    from phys.views.format import count, fmt, human_duration

    table = Table(title="budget (training only; — where the data stage has not run yet)", title_justify="left")
    used = any(b.params_used is not None for b in rows)  # a recipe that measures bits: the papers' P too
    for col in ("stage", "params", "non-emb.", *(["P (used rows)"] if used else []), "tokens", "passes",
                "exposures", "tokens/s", "time"):
        table.add_column(col, justify="left" if col == "stage" else "right", overflow="fold")
    for b in rows:
        table.add_row(b.stage, count(b.params), count(b.params_non_embedding),
                      *([count(b.params_used)] if used else []), count(b.tokens), fmt(b.passes), fmt(b.exposures),
                      count(b.tokens_per_s), "cached" if b.cached else (human_duration(b.seconds) if b.seconds else "—"))
    out.print(table)
    total = sum(b.seconds for b in rows if b.seconds)
    if total:
        out.print(f"training: about {human_duration(total)} on this machine"
                  + ("" if all(b.seconds is not None for b in rows) else " (stages without an estimate not counted)"))
