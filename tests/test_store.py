"""The stage store: a cache hit checks sizes and modification times; a deep check compares sha256."""

import os

from phys.store import Store


def test_cache_hit_checks_stats_and_deep_check_reads_contents(tmp_path):
    store = Store(tmp_path)
    out = store.begin("k")
    (out / "model.pt").write_bytes(b"weights-1")
    (out / "sub").mkdir()
    (out / "sub" / "a.json").write_text("{}")
    store.commit("k", {"stage": "train"})
    assert store.has("k") and store.verify("k", deep=True) is None
    model = store.path("k") / "model.pt"
    before = model.stat()
    model.write_bytes(b"weights-2")  # same size, new contents, new mtime
    assert "model.pt changed" in store.verify("k")
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))  # stats restored: only a deep check sees it
    assert store.verify("k") is None and "model.pt changed" in store.verify("k", deep=True)
    (store.path("k") / "sub" / "a.json").unlink()
    assert store.verify("k") == "file sub/a.json missing"
