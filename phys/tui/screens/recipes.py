"""The recipes screen: recipes grouped by paper part; for the selected one its claim, the paper's numbers,
stages, scales with a time estimate, and the verdict of its last run. `l` opens the launch form."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from phys.core import registry
from phys.errors import PhysError
from phys.core.ledger import Ledger
from phys.spec import SCALES, Recipe
from phys.tui.data import human_duration, last_verdict, measured_times, parts
from phys.tui.widgets import styles


def recipe_details(recipe: Recipe, records: list[dict]) -> Group:
    """The right-hand pane: everything a user needs to decide whether and at which scale to run it."""
    parts_: list = [Text(recipe.title, style="bold"), Text(f"Part {recipe.part} · {recipe.name}", style="dim"),
                    Text(""), Text(recipe.claim), Text("")]
    last = last_verdict(records, recipe.name)
    verdict = Text("last verdict: ", style="bold")
    if last:
        verdict.append_text(styles.verdict(last["verdict"]))
        verdict.append(f"  ({last['scale']}, run {last['id'].rsplit('-', 1)[-1]})", style="dim")
    else:
        verdict.append("never run here", style="dim")
    parts_ += [verdict, Text("")]
    if recipe.paper_numbers:
        numbers = Table.grid(padding=(0, 1))
        numbers.add_column(style="dim")
        numbers.add_column()
        for label, value in recipe.paper_numbers.items():
            numbers.add_row(label, value)
        parts_ += [Text("The paper", style="bold"), numbers, Text("")]
    parts_ += [Text("Stages: ", style="bold") + Text(" → ".join(s.name for s in recipe.stages)), Text("")]
    measured = measured_times(records, recipe.name)
    scales = Table.grid(padding=(0, 1))
    scales.add_column(style="cyan")
    scales.add_column()
    for scale in SCALES:
        if scale in measured:
            estimate = Text(f"{human_duration(measured[scale])} here (median of finished runs)")
        else:
            estimate = Text(recipe.estimates.get(scale, "not measured"), style="dim")
        scales.add_row(scale, estimate)
    parts_ += [Text("Scales", style="bold"), scales]
    return Group(*parts_)


class RecipesScreen(Screen):
    BINDINGS = [Binding("l", "launch", "Launch"), Binding("enter", "launch", "Launch", show=False)]

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="recipe-list")
            with VerticalScroll(id="recipe-pane"):
                yield Static("", id="recipe-details")
        yield Footer()

    def on_mount(self) -> None:
        self.recipes = {r.name: r for r in registry.all_recipes()}
        options = self.query_one("#recipe-list", OptionList)
        for title, recipes in parts(list(self.recipes.values())):
            options.add_option(Option(Text(title, style="bold"), disabled=True))
            for r in recipes:
                options.add_option(Option(f"  {r.name}", id=r.name))
        options.focus()
        first = next((i for i in range(options.option_count) if not options.get_option_at_index(i).disabled), None)
        if first is not None:
            options.highlighted = first

    def on_screen_resume(self) -> None:
        self._records: list[dict] | None = None  # reread once per visit, not per highlighted recipe
        self._highlighted()

    def records(self) -> list[dict]:
        if getattr(self, "_records", None) is None:
            try:
                self._records = Ledger(self.app.root).runs()
            except PhysError:
                self._records = []  # the runs screen reports a damaged ledger; here it only hides last verdicts
        return self._records or []

    def selected(self) -> Recipe | None:
        options = self.query_one("#recipe-list", OptionList)
        if options.highlighted is None:
            return None
        return self.recipes.get(options.get_option_at_index(options.highlighted).id or "")

    @on(OptionList.OptionHighlighted, "#recipe-list")
    def _highlighted(self) -> None:
        recipe = self.selected()
        if recipe is not None:
            self.query_one("#recipe-details", Static).update(recipe_details(recipe, self.records()))

    @on(OptionList.OptionSelected, "#recipe-list")
    def _selected(self) -> None:
        self.action_launch()

    def action_launch(self) -> None:
        recipe = self.selected()
        if recipe is None:
            return
        if self.app.read_only:
            self.app.show_error(PhysError("the TUI is read-only", hint="restart it without --read-only to launch runs"))
            return
        from phys.tui.screens.launch import LaunchScreen

        self.app.push_screen(LaunchScreen(recipe), self.app.launched)
