"""The report's PNG figures (matplotlib, Agg backend): curves, checks, and arms for multi-arm recipes.

Imported only when a report is written (matplotlib costs ~0.7 s to import), never by listing commands.
Multi-arm recipes name per-arm metrics `metric@arm` (e.g. `forward_test_acc@multi5+permute`); every metric
reported for two or more arms gets a group of bars in `arms.png`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from phys.views.curves import Series, panels
from phys.views.format import label as check_label

PASS, FAIL, SANITY_FAIL = "#2e7d32", "#c62828", "#f9a825"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:
    """Figures are made with the constrained layout, which fits long labels where tight_layout warned."""
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def curves_png(curves: Series, path: Path, title: str) -> Path | None:
    """One panel per group of `phys.views.curves.panels` (losses together, accuracies together, then the rest)."""
    groups = panels(curves)
    if not groups:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 2.4 * len(groups)), sharex=True, squeeze=False,
                             layout="constrained")
    for ax, (name, group) in zip(axes[:, 0], groups):
        for label, points in group.items():
            xs, ys = zip(*points)
            ax.plot(xs, ys, lw=1.4, label=label)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if len(group) > 1:
            ax.legend(fontsize=7)
        values = [y for points in group.values() for _, y in points]
        if name == "loss" and min(values) > 0 and max(values) / min(values) > 20:
            ax.set_yscale("log")
        if name == "accuracy":
            ax.set_ylim(-0.02, 1.02)
    axes[-1, 0].set_xlabel("step")
    axes[0, 0].set_title(title)
    return _save(plt, fig, path)


def checks_png(checks: Sequence[Mapping[str, Any]], path: Path, title: str) -> Path | None:
    """A bar per check: the measured value, coloured pass / fail, with its threshold as a tick."""
    checks = [c for c in checks if c.get("measured") is not None]
    if not checks:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(checks) + 1.2), layout="constrained")
    labels = [f"{check_label(c)}{' (sanity)' if c['role'] == 'sanity' else ''}" for c in checks]
    colors = [PASS if c["passed"] else (SANITY_FAIL if c["role"] == "sanity" else FAIL) for c in checks]
    ys = range(len(checks))
    ax.barh(ys, [c["measured"] for c in checks], color=colors, height=0.55)
    for y, c, color in zip(ys, checks, colors):
        ax.plot([c["threshold"]] * 2, [y - 0.4, y + 0.4], color="black", lw=2)
        ax.plot([c["measured"]], [y], "o", color=color, ms=6)  # visible even when the bar has length 0
        ax.annotate(f"{c['measured']:.3g}  (need {c['op']} {c['threshold']:g})", (c["measured"], y),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(list(ys), labels)
    ax.invert_yaxis()
    values = [c["measured"] for c in checks] + [c["threshold"] for c in checks]
    ax.set_xlim(min(0.0, min(values)) * 1.2, max(1.0, max(values)) * 1.45)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(plt, fig, path)


def seeds_png(checks: Sequence[Mapping[str, Any]], path: Path, title: str) -> Path | None:
    """A run group's checks: one dot per seed (coloured pass / fail), the mean as a bar, the threshold as a
    tick, and the paper's number beside it."""
    checks = [c for c in checks if any(v is not None for v in c["values"].values())]
    if not checks:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.7 * len(checks) + 1.2), layout="constrained")
    values: list[float] = []
    for y, c in enumerate(checks):
        fail = SANITY_FAIL if c["role"] == "sanity" else FAIL
        seeds = [(s, v) for s, v in c["values"].items() if v is not None]
        ax.barh([y], [c["mean"]], color="#e0e0e0", height=0.55)
        for i, (s, v) in enumerate(seeds):
            jitter = (i - (len(seeds) - 1) / 2) * 0.12
            ax.plot([v], [y + jitter], "o", color=PASS if c["passed"][s] else fail, ms=6)
        ax.plot([c["threshold"]] * 2, [y - 0.4, y + 0.4], color="black", lw=2)
        paper = c["paper"] if len(c["paper"]) <= 30 else c["paper"][:29] + "…"
        ax.annotate(f"{c['passes']}/{c['seeds']} pass (need {c['op']} {c['threshold']:g})\npaper: {paper}",
                    (max(v for _, v in seeds), y), xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize=7)
        values += [v for _, v in seeds] + [c["threshold"]]
    ax.set_yticks(list(range(len(checks))),
                  [f"{check_label(c)}{' (sanity)' if c['role'] == 'sanity' else ''}" for c in checks])
    ax.invert_yaxis()
    ax.set_xlim(min(0.0, min(values)) * 1.2, max(1.0, max(values)) * 2.3)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(plt, fig, path)


def plot_png(plot: Any, metrics: Mapping[str, Any], path: Path, title: str) -> Path | None:
    """A `phys.spec.Plot`: one labelled point per arm, and its reference lines y = slope * x."""
    from phys.views.curves import plot_points

    points = plot_points(plot, dict(metrics))
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    xs = [x for _, x, _ in points]
    span = [min(xs) / 1.5, max(xs) * 1.5] if plot.log else [0, max(xs) * 1.1]
    for (slope, text), style in zip(plot.lines, ("--", ":", "-.", "-")):
        ax.plot(span, [slope * x for x in span], style, color="gray", lw=1, label=text)
    ax.plot(xs, [y for _, _, y in points], "o", color="#1565c0", ms=6)
    for arm, x, y in points:
        ax.annotate(arm, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
    if plot.log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(plot.x)
    ax.set_ylabel(plot.y)
    ax.set_title(f"{title}: {plot.title or plot.name}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    if plot.lines:
        ax.legend(fontsize=8)
    return _save(plt, fig, path)


def arm_metrics(metrics: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """`{"metric": {"arm": value}}` for the accuracies (`*_acc`, and per attribute `*_test_*`) named
    `metric@arm` that two or more arms report; losses, counts and sizes stay in the metrics table."""
    grouped: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        if "@" in key and isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            metric, arm = key.split("@", 1)
            if metric.endswith("_acc") or "_test_" in metric:
                grouped.setdefault(metric, {})[arm] = float(value)
    return {m: arms for m, arms in grouped.items() if len(arms) >= 2}


def arms_png(metrics: Mapping[str, Any], path: Path, title: str, order: Sequence[str] = ()) -> Path | None:
    """Grouped bars: for each per-arm metric, one bar per arm (arms in `order` first, as the recipe lists them)."""
    grouped = arm_metrics(metrics)
    if not grouped:
        return None
    plt = _pyplot()
    seen = list(dict.fromkeys(a for by_arm in grouped.values() for a in by_arm))
    arms = [a for a in order if a in seen] + [a for a in seen if a not in order]
    width = 0.8 / len(arms)
    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(grouped) * len(arms) / 2), 3.6), layout="constrained")
    for i, arm in enumerate(arms):
        xs = [j + i * width for j in range(len(grouped))]
        ax.bar(xs, [by_arm.get(arm, 0.0) for by_arm in grouped.values()], width, label=arm)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(grouped))], list(grouped), rotation=20, ha="right")
    ax.set_ylim(0, 1.2)
    ax.legend(fontsize=8, ncol=len(arms), loc="upper left")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _save(plt, fig, path)
