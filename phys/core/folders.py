"""The stage output folders a preflight reads (`phys.core.budget`, `phys.core.lint`): a stored stage's folder
in the store, or, for a cheap data stage that has not run (`phys.stages.context.previewable`), its output
computed now in a scratch folder that is removed when the preflight ends. Nothing of a preview is stored."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from phys.core.plan import PlannedStage
from phys.core.store import Store

PREVIEW_MAX_PEOPLE = 20_000
"""A previewable data stage of more people than this is not computed before a run (it would take long)."""


class Folders:
    """`folder(stage)` / `result(stage)` of the plan's stages; use as a context manager (previews are
    removed on exit)."""

    def __init__(self, runs_root: Path, preview: bool = True) -> None:
        self.runs_root = Path(runs_root)
        self.store = Store(runs_root)
        self.preview = preview
        self._scratch: Path | None = None
        self._previews: dict[str, tuple[Path, dict[str, Any]]] = {}  # key -> (folder, result)
        self._memo: dict[Any, Any] = {}

    def __enter__(self) -> Folders:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self._scratch, self._previews, self._memo = None, {}, {}

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per `key` while these folders are open (e.g. the arms of a sweep on one data)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def folder(self, stage: PlannedStage) -> Path | None:
        """The stage's output: stored, previewed (once per key), or None."""
        if self.store.has(stage.key):
            return self.store.path(stage.key)
        if self._previewable(stage):
            return self._preview(stage)[0]
        return None

    def result(self, stage: PlannedStage) -> dict[str, Any]:
        """The stage's result (its returned metrics): stored, previewed, or empty."""
        if self.store.has(stage.key):
            return dict((self.store.manifest(stage.key) or {}).get("result", {}))
        if self._previewable(stage):
            return dict(self._preview(stage)[1])
        return {}

    def _previewable(self, stage: PlannedStage) -> bool:
        return (self.preview and getattr(stage.function, "previewable", False) and not stage.deps
                and getattr(stage.config, "n_people", 0) <= PREVIEW_MAX_PEOPLE)

    def _preview(self, stage: PlannedStage) -> tuple[Path, dict[str, Any]]:
        from phys.stages.context import StageContext

        if stage.key not in self._previews:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="phys-preview-"))
            out = self._scratch / stage.key
            out.mkdir()
            assert stage.function is not None
            result = stage.function(StageContext(name=stage.name, config=stage.config, seed=stage.seed, out=out,
                                                 log=lambda line: None))
            self._previews[stage.key] = (out, dict(result or {}))
        return self._previews[stage.key]
