"""The launch form: scale, `--set` overrides, seed and device, validated as you type (the same plan and the
same messages as `phys recipes check`); Launch runs `phys run recipe … --detach` in its own session."""

from __future__ import annotations

import shlex

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from phys.errors import PhysError, as_phys_error, describe
from phys.core.plan import check_metrics, make_plan
from phys.spec import SCALES, Recipe
from phys.tui import commands
from phys.tui.data import guess_scale

DEVICES = ("auto", "cpu", "cuda")


class LaunchScreen(ModalScreen[str | None]):
    """Dismissed with the new run's id, or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel"), Binding("ctrl+s", "launch", "Launch")]

    def __init__(self, recipe: Recipe) -> None:
        super().__init__()
        self.recipe = recipe
        self.valid = False
        self.launching = False  # once Launch is pressed, nothing may start a second run or leave the form

    def compose(self) -> ComposeResult:
        with Vertical(id="launch-form"):
            yield Label(Text.assemble("Launch ", (self.recipe.name, "bold")), id="launch-title")
            with Horizontal(classes="field"):
                yield Label("scale", classes="label")
                yield Select([(s, s) for s in SCALES], value=guess_scale(), allow_blank=False, id="scale", compact=True)
                yield Label("device", classes="label")
                yield Select([(d, d) for d in DEVICES], value="auto", allow_blank=False, id="device", compact=True)
            with Horizontal(classes="field"):
                yield Label("seed", classes="label")
                yield Input("0", id="seed", type="integer", compact=True)
            with Horizontal(classes="field"):
                yield Label("--set", classes="label")
                yield Input(placeholder="train.steps=200 data.n_people=100", id="overrides", compact=True)
            yield Static("", id="launch-check")
            with Horizontal(id="launch-buttons"):
                yield Button("Launch", variant="primary", id="launch")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#overrides", Input).focus()
        self.validate()

    def values(self) -> tuple[str, list[str], int, str]:
        """(scale, overrides, seed, device) as typed; PhysError for what cannot even be parsed."""
        scale = str(self.query_one("#scale", Select).value)
        device = str(self.query_one("#device", Select).value)
        seed_text = self.query_one("#seed", Input).value.strip()
        try:
            seed = int(seed_text)
        except ValueError:
            raise PhysError(f"seed {seed_text!r} is not an integer", hint="e.g. 0") from None
        try:
            overrides = shlex.split(self.query_one("#overrides", Input).value)
        except ValueError as exc:
            raise PhysError(f"overrides: {exc}", hint="separate STAGE.FIELD=VALUE (or ROLE.FIELD=VALUE) items with spaces") from None
        return scale, overrides, seed, device

    @on(Input.Changed)
    @on(Select.Changed)
    def validate(self) -> None:
        if self.launching:
            return
        check = self.query_one("#launch-check", Static)
        try:
            scale, overrides, seed, device = self.values()
            # The device only enters cache keys; validating with cpu keeps torch out of the TUI.
            plan = make_plan(self.recipe, scale, overrides, seed, "cpu" if device == "auto" else device)
            check_metrics(plan)
        except PhysError as exc:
            self.valid = False
            check.update(Text(describe(exc), style="red"))
        else:
            self.valid = True
            steps = " → ".join(s.name for s in plan.stages)
            check.update(Text(f"ok: {steps}", style="green"))
        self.query_one("#launch", Button).disabled = not self.valid or self.launching

    @on(Input.Submitted)
    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        if not self.valid or self.launching:
            return
        self.launching = True
        self.query_one("#launch", Button).disabled = True
        self.query_one("#launch-check", Static).update(Text("starting…", style="cyan"))
        self.launch(*self.values())

    @on(Button.Pressed, "#cancel")
    def action_dismiss_none(self) -> None:
        if self.launching:
            self.notify("the run is being started; the form closes when it has")
            return
        self.dismiss(None)

    @work(thread=True, group="action")
    def launch(self, scale: str, overrides: list[str], seed: int, device: str) -> None:
        try:
            run_id = commands.launch(self.app.root, self.recipe.name, scale, overrides, seed, device)
        except Exception as exc:  # noqa: BLE001 - shown in the form, which stays open
            self.app.call_from_thread(self.failed, as_phys_error(exc))
            return
        self.app.call_from_thread(self.dismiss, run_id)

    def failed(self, exc: PhysError) -> None:
        self.launching = False
        self.query_one("#launch-check", Static).update(Text(describe(exc), style="red"))
        self.query_one("#launch", Button).disabled = False
        self.app.show_error(exc)
