"""The stage store: a cache hit checks sizes and modification times and falls back to sha256 where they
changed; a deep check always compares sha256."""

import os

from phys.store import Store


def test_cache_hit_checks_stats_then_hashes_and_deep_check_reads_contents(tmp_path):
    store = Store(tmp_path)
    out = store.begin("k")
    (out / "model.pt").write_bytes(b"weights-1")
    (out / "sub").mkdir()
    (out / "sub" / "a.json").write_text("{}")
    store.commit("k", {"stage": "train"})
    assert store.has("k") and store.verify("k", deep=True) is None
    model = store.path("k") / "model.pt"
    written = model.stat().st_mtime_ns
    os.utime(model, ns=(written, written + 10**9))  # touched (a copied store): same bytes, new time
    assert store.verify("k") is None  # hashed, still the same file: a hit, and its new time is recorded
    assert store.manifest("k")["stats"]["model.pt"] == [9, written + 10**9]
    model.write_bytes(b"weights-2")  # same size, new contents
    os.utime(model, ns=(written, written + 2 * 10**9))
    assert "model.pt changed" in store.verify("k")
    os.utime(model, ns=(written, written + 10**9))  # the recorded size and time: only a deep check sees it
    assert store.verify("k") is None and "model.pt changed" in store.verify("k", deep=True)
    (store.path("k") / "sub" / "a.json").unlink()
    assert store.verify("k") == "file sub/a.json missing"
