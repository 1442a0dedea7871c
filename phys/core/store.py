"""The content-addressed stage store `runs/store/<key>/`.

A stage writes into `<key>.partial/` (which survives a crash, so training can resume from its checkpoints)
and is committed by writing `manifest.json` (config, files with sha256) and renaming the folder to `<key>/`.
A finished stage is reused only if its manifest is present and every file is still the one written: same
size and modification time (a cache hit must not read gigabytes of checkpoints); where those differ (a
copied store, a manifest written before they were recorded) and for `deep` checks (`phys ledger check`),
the same sha256 — a file whose hash still matches gets its new size and time recorded.
A per-key file lock makes concurrent runs that need the same stage compute it once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Store:
    def __init__(self, runs_root: Path) -> None:
        self.root = Path(runs_root) / "store"

    def path(self, key: str) -> Path:
        return self.root / key

    def partial(self, key: str) -> Path:
        return self.root / f"{key}.partial"

    def lock(self, key: str) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / f".{key}.lock"))

    def manifest(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.path(key) / MANIFEST).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def verify(self, key: str, deep: bool = False) -> str | None:
        """None if the stage output is complete and intact, else why not (missing, damaged file …).
        `deep`: compare every file's sha256, not only its size and modification time."""
        manifest = self.manifest(key)
        if manifest is None:
            return "not in the store" if not self.path(key).exists() else "manifest missing or damaged"
        stats = dict(manifest.get("stats") or {})
        restated = False
        for rel, digest in manifest["files"].items():
            path = self.path(key) / rel
            try:
                st = path.stat()
            except OSError:
                return f"file {rel} missing"
            if not deep and stats.get(rel) == [st.st_size, st.st_mtime_ns]:
                continue
            if sha256_file(path) != digest:
                return f"file {rel} changed since it was written"
            restated |= stats.get(rel) != [st.st_size, st.st_mtime_ns]
            stats[rel] = [st.st_size, st.st_mtime_ns]
        if restated:  # same contents, new times (e.g. a copied store): the next hit needs no hashing
            tmp = self.path(key) / (MANIFEST + ".tmp")
            tmp.write_text(json.dumps({**manifest, "stats": stats}, indent=1, sort_keys=True))
            os.replace(tmp, self.path(key) / MANIFEST)
        return None

    def has(self, key: str) -> bool:
        return self.verify(key) is None

    def begin(self, key: str) -> Path:
        """The partial folder for `key`, created if needed; a damaged final folder is discarded first."""
        final = self.path(key)
        if final.exists():
            shutil.rmtree(final)
        part = self.partial(key)
        part.mkdir(parents=True, exist_ok=True)
        return part

    def commit(self, key: str, meta: dict[str, Any]) -> Path:
        part = self.partial(key)
        paths = [p for p in sorted(part.rglob("*")) if p.is_file() and p.name != MANIFEST]
        files = {str(p.relative_to(part)): sha256_file(p) for p in paths}
        # the rename below keeps sizes and mtimes: they are what a cache hit checks
        stats = {str(p.relative_to(part)): [p.stat().st_size, p.stat().st_mtime_ns] for p in paths}
        manifest = {**meta, "key": key, "files": files, "stats": stats}
        tmp = part / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(tmp, part / MANIFEST)
        os.replace(part, self.path(key))
        return self.path(key)

    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.endswith(".partial"))
