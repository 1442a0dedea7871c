"""A plotext chart that fills its region and redraws on new points or a resize."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from phys.views import termplot
from phys.views.curves import Series


class Plot(Widget):
    DEFAULT_CSS = "Plot { height: 1fr; width: 1fr; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves: Series = {}
        self.title = ""

    def show(self, curves: Series, title: str = "") -> None:
        if curves != self.curves or title != self.title:
            self.curves, self.title = {k: list(v) for k, v in curves.items()}, title
            self.refresh()

    def render(self) -> Text:
        width, height = self.content_size
        if width < 20 or height < 6:
            return Text("(too small for a plot)", style="dim")
        return Text.from_ansi(termplot.render(self.curves, width, height, title=self.title))
