"""Colours of statuses and verdicts as rich Text, the same as the CLI's."""

from __future__ import annotations

from rich.text import Text

from phys.views.format import STATUS_STYLE, verdict_style


def status(text: str | None) -> Text:
    return Text(text or "—", style=STATUS_STYLE.get(text or "", ""))


def verdict(text: str | None) -> Text:
    return Text(text or "—", style=verdict_style(text))


def passed(check: dict) -> Text:
    if check.get("measured") is None:
        return Text("—", style="dim")
    if check["passed"]:
        return Text("pass", style="green")
    return Text("fail", style="yellow" if check["role"] == "sanity" else "bold red")
