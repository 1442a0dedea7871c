"""A run's report: `runs/<id>/report.md` (claim, paper vs measured for every check, stages, metrics) and
its PNG figures in `runs/<id>/figures/` (curves, checks, arms).

Written at the end of every run and on demand by `phys report RUN` (also for unfinished runs: whatever is
recorded so far). The markdown is rendered without matplotlib; figures import it lazily.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from phys.views.curves import series
from phys.errors import PhysError
from phys.core.rundir import RunDir
from phys.spec import Recipe
from phys.core.verdict import label


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def human_duration(seconds: float | None) -> str:
    """7s, 4m58s, 1h05m (the CLI's progress, the TUI's durations)."""
    if seconds is None:
        return "—"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_info(info: Mapping[str, Any]) -> str:
    """A stage's progress fields for people: `loss 3.214  tokens/s 28,412  eta 2m58s`."""
    parts = []
    for key, value in info.items():
        if key in ("stage", "done", "total", "t"):
            continue
        if key == "eta_s":
            parts.append(f"eta {human_duration(value)}")
        elif key == "tokens_per_s":
            parts.append(f"tokens/s {value:,}")
        else:
            parts.append(f"{key} {fmt(value)}")
    return "  ".join(parts)


def md(text: Any) -> str:
    """Text for a markdown cell or line: `<date>` must not vanish as an HTML tag, `|` must not split a cell."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", str(text)).replace("|", "\\|")


def render_report(
    recipe: Recipe, run_info: Mapping[str, Any], verdict: str | None, checks: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any], status: str = "done", stages: Mapping[str, Mapping[str, Any]] | None = None,
    figures: Sequence[str] = (),
) -> str:
    lines = [
        f"# {md(recipe.title)} — {run_info['id']}",
        "",
        f"**Paper part {recipe.part}.** {md(recipe.claim)}",
        "",
        f"Scale `{run_info['scale']}`, seed {run_info['seed']}, device {run_info.get('device', '?')}, "
        f"overrides: {', '.join(run_info.get('overrides') or []) or 'none'}.",
        "",
        f"## Verdict: **{verdict or 'none yet'}**" + ("" if status == "done" else f" (run {status})"),
        "",
        "| check | role | measured | threshold | paper | pass |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {md(c['name'])} (`{label(c)}`) | {c['role']} | {fmt(c['measured'])} | {c['op']} "
            f"{fmt(c['threshold'])} | {md(c['paper'])} | {'pass' if c['passed'] else '**fail**'} |"
        )
    if recipe.paper_numbers:
        lines += ["", "## The paper's numbers", ""]
        lines += [f"- {md(label)}: {md(value)}" for label, value in recipe.paper_numbers.items()]
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{Path(f).stem}]({f})" for f in figures]
    if stages:
        lines += ["", "## Stages", "", "| stage | status | cached | seconds | key |", "|---|---|---|---|---|"]
        lines += [f"| {n} | {s.get('status', '—')} | {'yes' if s.get('cached') else 'no'} | {fmt(s.get('seconds'))} "
                  f"| `{s.get('key', '')}` |" for n, s in stages.items()]
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {fmt(v)} |" for k, v in sorted(metrics.items()) if not isinstance(v, (dict, list))]
    return "\n".join(lines) + "\n"


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
                         figures=[str(p.relative_to(rd.path)) for p in pngs])
    tmp = rd.report.with_name(f".report.md.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(rd.report)
    return {"id": run_id, "report": str(rd.report), "figures": [str(p) for p in pngs]}
