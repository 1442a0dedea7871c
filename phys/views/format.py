"""How numbers, durations, progress, check quantities, statuses, verdicts and lints read: one spelling for
the CLI, the TUI and the reports."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

STATUS_STYLE = {"done": "green", "running": "cyan", "queued": "cyan", "crashed": "red", "failed": "red",
                "interrupted": "yellow", "cancelled": "dim"}
VERDICT_STYLE = {"reproduced": "bold green", "not reproduced": "bold red", "inconclusive": "yellow"}


def styled(text: str | None, styles: dict[str, str]) -> str:
    if not text:
        return "—"
    style = styles.get(text)
    return f"[{style}]{text}[/]" if style else text


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def count(n: float | None) -> str:
    """1234567 -> 1.23M (parameters, tokens, tokens/s)."""
    if n is None:
        return "—"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def human_duration(seconds: float | None) -> str:
    """7s, 4m58s, 1h05m (the CLI's progress, the TUI's durations)."""
    if seconds is None:
        return "—"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_info(info: Mapping[str, Any]) -> str:
    """A stage's progress fields for people: `loss 3.214  tokens/s 28,412  eta 2m58s`."""
    parts = []
    for key, value in info.items():
        if key in ("stage", "done", "total", "t"):
            continue
        if key == "eta_s":
            parts.append(f"eta {human_duration(value)}")
        elif key == "tokens_per_s":
            parts.append(f"tokens/s {value:,}")
        else:
            parts.append(f"{key} {fmt(value)}")
    return "  ".join(parts)


def label(check: Mapping[str, Any]) -> str:
    """How a check's quantity is shown: `metric`, `metric - baseline`, or `metric - max(b1, b2, …)`."""
    baseline = check.get("baseline")
    if check.get("over_arms"):
        return f"{check['over_arms']} over arms of {check['metric']}"
    if not baseline:
        return check["metric"]
    sign = " / " if check.get("ratio") else " - "
    return check["metric"] + sign + (baseline if isinstance(baseline, str) else f"max({', '.join(baseline)})")


def verdict_style(verdict: str | None) -> str:
    """The style of a run's verdict, or of a run group's (`reproduced 3/3`, `mixed 2/3`: by its words)."""
    if not verdict:
        return "dim"
    words = verdict.rsplit(" ", 1)[0] if "/" in verdict.rsplit(" ", 1)[-1] else verdict
    return VERDICT_STYLE.get(words, "yellow" if words == "mixed" else "dim")


def group_lints(lints: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lint records (`Lint.to_dict`) that differ only in their stage (the arms of a recipe), as one record with
    `stages`, in first-seen order; `message` then names the stages."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for lint in lints:
        same = (lint["code"], lint["subject"], lint["value"], lint["bound"], lint["side"], lint["explained"])
        groups.setdefault(same, {**lint, "stages": []})["stages"].append(lint["stage"])
    out = []
    for g in groups.values():
        stages = g["stages"]
        named = stages[0] if len(stages) == 1 else f"{', '.join(stages[:3])}{' …' if len(stages) > 3 else ''} " \
                                                    f"({len(stages)} stages)"
        out.append({**g, "message": named + g["message"][len(g["stage"]):]})
    return out
