"""Curves drawn as text with plotext, for `phys runs plot` and the TUI's plot widget.

plotext keeps one global figure, so this is only called from one thread at a time (the CLI, or the TUI's
event loop); the result is a plain string with ANSI colours.
"""

from __future__ import annotations

from typing import Any

from phys.views.curves import Series


def render(curves: Series, width: int, height: int, title: str = "", color: bool = True) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.plot_size(max(width, 20), max(height, 6))
    plt.theme("pro" if color else "clear")
    if not any(curves.values()):
        plt.title(title or "no curves yet")
        return plt.build()
    for name, points in curves.items():
        if points:
            xs, ys = zip(*points)
            plt.plot(list(xs), list(ys), label=name if len(curves) > 1 else None)
    if all(name.endswith("_acc") for name in curves):
        plt.ylim(0, 1)  # accuracies on their own scale, even while they are all 0
    plt.title(title)
    plt.xlabel("step")
    return plt.build()


def scatter(plot: Any, metrics: dict[str, Any], width: int, height: int, color: bool = True) -> str | None:
    """A `phys.spec.Plot` as text: one point per arm and the reference lines; None without points."""
    import math

    import plotext as plt

    from phys.views.curves import plot_points

    points = plot_points(plot, metrics)
    if not points:
        return None
    scale = math.log10 if plot.log else (lambda v: v)
    plt.clear_figure()
    plt.plot_size(max(width, 30), max(height, 8))
    plt.theme("pro" if color else "clear")
    xs = [x for _, x, _ in points]
    for slope, text in plot.lines:
        ends = [min(xs), max(xs)]
        plt.plot([scale(x) for x in ends], [scale(slope * x) for x in ends], label=text)
    plt.scatter([scale(x) for x in xs], [scale(y) for _, _, y in points], marker="o", label=plot.y)
    plt.title(plot.title or plot.name)
    plt.xlabel(f"log10 {plot.x}" if plot.log else plot.x)
    plt.ylabel(f"log10 {plot.y}" if plot.log else plot.y)
    return plt.build()
