"""A run's report on disk: `runs/<id>/report.md` (rendered by `phys.views.report`) and its PNG figures in
`runs/<id>/figures/` (curves, checks, arms, the recipe's plots; `phys.views.figures`); a run group's in
`runs/groups/<group>/` (every seed's value of each check, `seeds.png`).

Written at the end of every run and on demand by `phys report RUN` (also for unfinished runs: whatever is
recorded so far). The markdown is rendered without matplotlib; figures import it lazily.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from phys.core.rundir import RunDir
from phys.errors import PhysError
from phys.views.curves import series
from phys.views.report import render_report


def write_report(runs_root: Path, run_id: str, figures: bool = True) -> dict[str, Any]:
    """Write report.md (and, with `figures`, the PNGs) from the run's own files; returns the paths."""
    from phys.core.registry import load_recipe
    from phys.core.runs import in_plan_order, stage_names

    rd = RunDir(runs_root, run_id)
    info = rd.info()
    record = rd.read("status.json")
    if record is None:
        raise PhysError(f"run {run_id}: status.json is missing or damaged", hint="see `phys ledger check`")
    recipe = load_recipe(info["recipe"])
    pngs: list[Path] = []
    if figures:
        from phys.views import figures as fig

        folder = rd.path / "figures"
        folder.mkdir(exist_ok=True)
        made = [
            fig.curves_png(series(rd.read_metrics()), folder / "curves.png", f"{recipe.name} — {run_id}"),
            fig.checks_png(record.get("checks") or [], folder / "checks.png", f"{recipe.title}: measured vs needed"),
            fig.arms_png(record.get("metrics") or {}, folder / "arms.png", f"{recipe.title}: arms",
                         order=recipe.arms_at(info["scale"])),
            *(fig.plot_png(p, record.get("metrics") or {}, folder / f"{p.name}.png", recipe.title)
              for p in recipe.plots),
        ]
        pngs = [p for p in made if p is not None]
    stages = in_plan_order(record.get("stages") or {}, stage_names(info))
    text = render_report(recipe, info, record.get("verdict"), record.get("checks") or [], record.get("metrics") or {},
                         status=record.get("status", "?"), stages=stages,
                         figures=[str(p.relative_to(rd.path)) for p in pngs], lints=record.get("lints") or [])
    tmp = rd.report.with_name(f".report.md.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(rd.report)
    return {"id": run_id, "report": str(rd.report), "figures": [str(p) for p in pngs]}


def write_group_report(runs_root: Path, group_id: str, figures: bool = True,
                       group: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write `runs/groups/<group>/report.md` (and, with `figures`, `seeds.png`) from its runs' records
    (`group`: their `phys.core.groups.summary`, where the caller has it already)."""
    from phys.core.groups import summary
    from phys.core.registry import load_recipe
    from phys.views.report import render_group_report

    group = group or summary(runs_root, group_id)
    recipe = load_recipe(group["recipe"])
    folder = Path(runs_root) / "groups" / group_id
    folder.mkdir(parents=True, exist_ok=True)
    pngs = []
    if figures:
        from phys.views import figures as fig

        made = fig.seeds_png(group["checks"], folder / "seeds.png", f"{recipe.title}: every seed")
        pngs = [made] if made is not None else []
    text = render_group_report(recipe, group, figures=[p.name for p in pngs])
    report = folder / "report.md"
    tmp = report.with_name(f".report.md.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(report)
    return {"id": group_id, "report": str(report), "figures": [str(p) for p in pngs]}
