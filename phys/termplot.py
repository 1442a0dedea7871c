"""Curves drawn as text with plotext, for `phys runs plot` and the TUI's plot widget.

plotext keeps one global figure, so this is only called from one thread at a time (the CLI, or the TUI's
event loop); the result is a plain string with ANSI colours.
"""

from __future__ import annotations

from phys.curves import Series


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
