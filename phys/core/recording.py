"""Recording a run as it executes: `LedgerWriter`, the thread that keeps the ledger up to date off the
run's critical path (status.json, written at once, is the source of truth)."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from phys.core.ledger import Ledger


class LedgerWriter:
    """Writes a run's record and stage documents to the ledger from a thread of its own.

    The ledger is one JSON file, rewritten whole by each transaction: with thousands of runs that takes
    longer than a cached stage should (about 0.1 s per 1,000 runs on 2 cores). So a stage change costs the
    run a status.json write only (the run folder is the source of truth); this thread writes the latest
    record and the stages changed since its last write in one transaction, `DELAY_S` after the first
    change (a run's cached stages, a second apart or less, make one write; the encoder holds the GIL, so
    writing at once would slow the run's thread after all). `flush()` writes at once and returns once all
    recorded so far is in the ledger (the run's start and end are flushed).
    """

    DELAY_S = 1.0

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._cv = threading.Condition()
        self._record: dict[str, Any] | None = None
        self._dirty: set[str] = set()
        self._asked = self._written = 0
        self._urgent = False
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="ledger-writer", daemon=True)
        self._thread.start()

    def touch(self, record: dict[str, Any], stage: str | None = None) -> None:
        snapshot = copy.deepcopy(record)  # the run goes on changing its record while this one is written
        with self._cv:
            self._record = snapshot
            if stage is not None:
                self._dirty.add(stage)
            self._asked += 1
            self._cv.notify_all()

    def flush(self) -> None:
        with self._cv:
            target = self._asked
            self._urgent = True
            self._cv.notify_all()
            while self._written < target and self._error is None and self._thread.is_alive():
                self._cv.wait(0.5)
            self._urgent = False
            if self._error is not None:
                error, self._error = self._error, None
                raise error

    def close(self) -> None:
        self.flush()
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while self._written == self._asked and not self._closed:
                    self._cv.wait()
                if self._closed and self._written == self._asked:
                    return
                deadline = time.monotonic() + self.DELAY_S
                while not (self._urgent or self._closed) and time.monotonic() < deadline:
                    self._cv.wait(deadline - time.monotonic())
                self._urgent = False
                record, dirty, asked = self._record, self._dirty, self._asked
                self._dirty = set()
            error: BaseException | None = None
            try:
                assert record is not None
                self.ledger.record_stages(record, {name: record["stages"][name] for name in dirty})
            except BaseException as exc:  # noqa: BLE001 - re-raised in the run's thread by flush()
                error = exc
            with self._cv:
                self._error = error  # a later write that succeeds supersedes an earlier failure
                if error is not None:
                    self._dirty |= dirty  # written again with the next change
                self._written = asked
                self._cv.notify_all()
