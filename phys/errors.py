"""The one error type a user can cause, turned into a one-line message and exit 1 at the CLI edge."""

from __future__ import annotations


class PhysError(Exception):
    """A mistake the user can fix (unknown recipe, bad override, damaged ledger, …).

    `hint` says what to do about it; the CLI prints `error: <message>` and `hint: <hint>`, no traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


def describe(exc: PhysError) -> str:
    """The text the CLI prints for `exc` (without colour): shown verbatim by the TUI's notifications."""
    return f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else "")
