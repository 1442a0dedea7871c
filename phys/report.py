"""report.md: the claim, each check with the paper's number beside the measured one, and all metrics."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from phys.spec import Recipe


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def render_report(
    recipe: Recipe, run_info: Mapping[str, Any], verdict: str, checks: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any],
) -> str:
    lines = [
        f"# {recipe.title} — {run_info['id']}",
        "",
        f"**Paper part {recipe.part}.** {recipe.claim}",
        "",
        f"Scale `{run_info['scale']}`, seed {run_info['seed']}, device {run_info.get('device', '?')}, "
        f"overrides: {', '.join(run_info.get('overrides') or []) or 'none'}.",
        "",
        f"## Verdict: **{verdict}**",
        "",
        "| check | role | measured | threshold | paper | pass |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c['name']} (`{c['metric']}`) | {c['role']} | {fmt(c['measured'])} | {c['op']} {fmt(c['threshold'])} "
            f"| {c['paper']} | {'yes' if c['passed'] else 'NO'} |"
        )
    if recipe.paper_numbers:
        lines += ["", "## The paper's numbers", ""]
        lines += [f"- {label}: {value}" for label, value in recipe.paper_numbers.items()]
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {fmt(v)} |" for k, v in sorted(metrics.items()) if not isinstance(v, (dict, list))]
    return "\n".join(lines) + "\n"
