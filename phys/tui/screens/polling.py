"""A screen that rereads its data every `app.poll_s` seconds in a thread worker (one read at a time) and
shows it on the event loop; a failed read is one notification (not one a second) and never a crash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.screen import Screen

from phys.errors import PhysError, as_phys_error


class PollingScreen(Screen):
    @dataclass
    class Loaded(Message):
        data: Any

    @dataclass
    class Failed(Message):
        error: PhysError

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        self._last_error: str | None = None

    def start_polling(self) -> None:
        self.poll()
        self.set_interval(self.app.poll_s, self.poll)

    def poll(self) -> None:
        """Start a read unless one is in flight (a slow disk must not pile reads up)."""
        if not self._loading:
            self._loading = True
            self._load()

    @work(thread=True, group="poll")
    def _load(self) -> None:
        try:
            self.post_message(self.Loaded(self.read()))
        except Exception as exc:  # noqa: BLE001 - shown as a notification; the TUI keeps running
            self.post_message(self.Failed(as_phys_error(exc)))

    def read(self) -> Any:
        """Runs in a worker thread: read files, touch no widget."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Runs on the event loop with what `read` returned."""
        raise NotImplementedError

    def show_failure(self, error: PhysError) -> None:
        """Runs on the event loop after a failed read (the notification is already out)."""

    def on_polling_screen_loaded(self, message: Loaded) -> None:
        self._loading = False
        self._last_error = None
        self.show(message.data)

    def on_polling_screen_failed(self, message: Failed) -> None:
        self._loading = False
        if str(message.error) != self._last_error:  # say it once, not every second
            self._last_error = str(message.error)
            self.app.show_error(message.error)
        self.show_failure(message.error)
