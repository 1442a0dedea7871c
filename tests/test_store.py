"""The stage store (cache hits check sizes and times, then hashes) and per-stage progress files."""

import os

from phys.core.store import Store


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


def test_each_stage_keeps_its_own_progress_beside_the_latest(tmp_path):
    """Stages running at once (workers) each keep progress/<stage>.json; progress.json is the latest."""
    from phys.core.rundir import RunDir

    rd = RunDir(tmp_path, "20261130-000000-toy-smoke-abcd")
    rd.path.mkdir()
    rd.write_progress({"stage": "train_a", "done": 3, "total": 10, "t": 1.0})
    rd.write_progress({"stage": "train_b", "done": 7, "total": 10, "t": 2.0})
    rd.write_progress({"stage": "train_a", "done": 4, "total": 10, "t": 3.0})
    assert rd.read("progress.json")["stage"] == "train_a"
    assert {k: v["done"] for k, v in rd.stage_progress().items()} == {"train_a": 4, "train_b": 7}
