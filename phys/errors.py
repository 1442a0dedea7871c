"""The one error type a user can cause, turned into a one-line message and exit 1 at the CLI edge; and the
signal of a stage that stopped on request, which the science raises and the core catches."""

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


class StageInterrupted(Exception):
    """Raised by a stage that saved its state and stopped because `should_stop()` became true."""


def describe(exc: PhysError) -> str:
    """The text the CLI prints for `exc` (without colour): shown verbatim by the TUI's notifications."""
    return f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else "")


def as_phys_error(exc: BaseException) -> PhysError:
    """Any exception met while *reading* runs (a folder removed mid-read, a file without permission) as a
    PhysError the TUI can show and survive; PhysErrors pass through unchanged."""
    if isinstance(exc, PhysError):
        return exc
    if isinstance(exc, OSError):
        return PhysError(f"{exc.strerror or type(exc).__name__}: {exc.filename or exc}",
                         hint="a run folder changed while it was read; see `phys ledger check`")
    return PhysError(f"{type(exc).__name__}: {exc}", hint="this is a bug in phys; please report it with the log")
