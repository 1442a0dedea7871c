"""A run's report as markdown: claim, paper vs measured for every check, the lints of its design, the
paper's numbers, figures, stages, metrics. Pure: `phys.core.report` reads the run's files and writes `report.md` beside them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from phys.spec import Recipe
from phys.views.format import fmt, group_lints, label


def md(text: Any) -> str:
    """Text for a markdown cell or line: `<date>` must not vanish as an HTML tag, `|` must not split a cell."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", str(text)).replace("|", "\\|")


def render_report(
    recipe: Recipe, run_info: Mapping[str, Any], verdict: str | None, checks: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any], status: str = "done", stages: Mapping[str, Mapping[str, Any]] | None = None,
    figures: Sequence[str] = (), lints: Sequence[Mapping[str, Any]] = (),
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
    lines += lint_lines(lints)
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


def render_group_report(recipe: Recipe, group: Mapping[str, Any], figures: Sequence[str] = ()) -> str:
    """A run group's report: the verdict over seeds, per check every seed's value, mean and spread."""
    seeds = [str(s) for s in group["seeds"]]
    lines = [
        f"# {md(recipe.title)} — {group['id']}",
        "",
        f"**Paper part {recipe.part}.** {md(recipe.claim)}",
        "",
        f"Scale `{group['scale']}`, seeds {', '.join(seeds)}, device {group.get('device', '?')}, "
        f"overrides: {', '.join(group.get('overrides') or []) or 'none'}.",
        "",
        f"## Verdict over seeds: **{group.get('verdict') or 'none yet'}**"
        + ("" if group["status"] == "done" else f" (group {group['status']})"),
        "",
        "| check | role | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | min–max | threshold | paper | held |",
        "|---|---|" + "---|" * len(seeds) + "---|---|---|---|---|",
    ]
    for c in group["checks"]:
        cells = [fmt(c["values"].get(s)) + ("" if c["values"].get(s) is None else (" ✓" if c["passed"][s] else " ✗"))
                 for s in seeds]
        spread = "—" if c["min"] is None else f"{fmt(c['min'])}–{fmt(c['max'])}"
        lines.append(f"| {md(c['name'])} (`{label(c)}`) | {c['role']} | " + " | ".join(cells)
                     + f" | {fmt(c['mean'])} | {spread} | {c['op']} {fmt(c['threshold'])} | {md(c['paper'])} "
                       f"| {c['passes']}/{c['seeds']} |")
    if figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures]
    lines += ["", "## Runs", "", "| seed | run | status | verdict |", "|---|---|---|---|"]
    lines += [f"| {r['seed']} | `{r['id']}` | {r['status']} | {r.get('verdict') or '—'} |" for r in group["runs"]]
    lines += lint_lines(group.get("lints") or [])
    return "\n".join(lines) + "\n"


def lint_lines(lints: Sequence[Mapping[str, Any]]) -> list[str]:
    """The `## Lints` section of a report (none without lints)."""
    if not lints:
        return []
    return ["", "## Lints", "", "What the run's design may get wrong (`phys.core.lint`).", ""] + [
        f"- `{g['code']}` {md(g['message'])}" + (f" — explained: {md(g['explained'])}" if g["explained"]
                                                 else " — **not explained by the recipe**")
        for g in group_lints(lints)]
