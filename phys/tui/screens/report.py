"""The report screen: a run's report.md rendered, with the paths of its figures."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, MarkdownViewer


class ReportScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, written: dict) -> None:
        super().__init__()
        self.written = written

    def compose(self) -> ComposeResult:
        text = Path(self.written["report"]).read_text()
        if self.written.get("figures"):
            text += "\n## Figure files\n\n" + "\n".join(f"- `{p}`" for p in self.written["figures"]) + "\n"
        yield MarkdownViewer(text, show_table_of_contents=False, id="report")
        yield Footer()
