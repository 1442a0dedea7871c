"""The recipes screen: recipes grouped by paper part; for the selected one its claim, the paper's numbers,
stages, scales with a time estimate, and the verdict of its last run. `l` opens the launch form."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from phys.core import registry
from phys.errors import PhysError
from phys.core.ledger import Ledger
from phys.spec import SCALES, Recipe
from phys.tui.data import human_duration, last_verdict, measured_times, parts
from phys.tui.widgets import styles


def recipe_details(recipe: Recipe, records: list[dict], estimates: dict[str, float] | None = None) -> Group:
    """The right-hand pane: everything a user needs to decide whether and at which scale to run it. A scale's
    time: the median of finished runs here, else `estimates` (the budget's, from throughput measured here),
    else the recipe's hand-written estimate."""
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
        elif estimates and scale in estimates:
            estimate = Text(f"≈ {human_duration(estimates[scale])} of training here (budget from the "
                            "throughput measured on this machine)")
        else:
            estimate = Text(recipe.estimates.get(scale, "not measured"), style="dim")
        scales.add_row(scale, estimate)
    parts_ += [Text("Scales", style="bold"), scales]
    return Group(*parts_)


ESTIMATE_AFTER_S = 0.4
"""How long a recipe stays highlighted before its budget is estimated."""


def budget_estimates(recipe: Recipe, root: Path) -> dict[str, float]:
    """scale -> the training time `phys recipes check` estimates here, for the scales where every training
    stage has a throughput measured on this machine; data is previewed at smoke and cpu only (larger
    previews take long)."""
    from phys.core.budget import budget
    from phys.core.environment import resolve_device
    from phys.core.folders import Folders
    from phys.core.plan import make_plan

    device, out = resolve_device("auto"), {}
    for scale in SCALES:
        try:
            plan = make_plan(recipe, scale, device=device)
            with Folders(root, preview=scale in ("smoke", "cpu")) as folders:
                rows = budget(plan, root, device, None, folders)
        except Exception:  # noqa: BLE001 - an estimate is a nicety: the hand-written one stays
            continue
        if rows and all(r.seconds is not None for r in rows):
            out[scale] = sum(r.seconds for r in rows)
    return out


class RecipesScreen(Screen):
    BINDINGS = [Binding("l", "launch", "Launch"), Binding("enter", "launch", "Launch", show=False)]

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="recipe-list")
            with VerticalScroll(id="recipe-pane"):
                yield Static("", id="recipe-details")
        yield Footer()

    def on_mount(self) -> None:
        self._estimates: dict[str, dict[str, float]] = {}  # recipe -> scale -> seconds (`budget_estimates`)
        self._estimate_timer: Timer | None = None
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
        if recipe is None:
            return
        self._show(recipe)
        if self._estimate_timer is not None:
            self._estimate_timer.stop()
        if recipe.name not in self._estimates:  # once the highlight rests: not for every recipe scrolled past
            self._estimate_timer = self.set_timer(
                ESTIMATE_AFTER_S, lambda: self.run_worker(lambda: self._estimate(recipe), thread=True, exclusive=True,
                                                          group="estimate"))

    def _show(self, recipe: Recipe) -> None:
        self.query_one("#recipe-details", Static).update(
            recipe_details(recipe, self.records(), self._estimates.get(recipe.name)))

    def _estimate(self, recipe: Recipe) -> None:
        """The budget's training time per scale (a worker thread: previews of cheap data take a second)."""
        estimates = budget_estimates(recipe, self.app.root)
        self.app.call_from_thread(self._estimated, recipe, estimates)

    def _estimated(self, recipe: Recipe, estimates: dict[str, float]) -> None:
        self._estimates[recipe.name] = estimates
        if self.selected() is recipe:
            self._show(recipe)

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
