"""The ledger under concurrency, and its loss or damage."""

import json
import shutil
import subprocess
import sys
import threading
from multiprocessing import Pool
from pathlib import Path

import pytest

from conftest import SMOKE, phys, phys_json
from phys.errors import PhysError
from phys.core.ledger import Ledger


def _write_many(args):
    root, worker = args
    ledger = Ledger(Path(root))
    for i in range(20):
        ledger.upsert_run({"id": f"w{worker}-{i}", "status": "done"})
        ledger.record_stages({"id": f"w{worker}-{i}", "status": "running"}, {"train": {"key": "k"}})
    return worker


def test_concurrent_writers_lose_nothing(tmp_path):
    with Pool(4) as pool:
        pool.map(_write_many, [(str(tmp_path), w) for w in range(4)])
    ledger = Ledger(tmp_path)
    assert len(ledger.runs()) == 80
    assert len(json.loads(ledger.path.read_text())["stages"]) == 80


def test_damaged_ledger_is_a_clear_error(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.upsert_run({"id": "a"})
    ledger.path.write_text('{"runs": {"1": {"id"')
    with pytest.raises(PhysError, match="damaged"):
        ledger.runs()
    assert ledger.state() == "damaged"


def test_four_runs_at_once_all_complete_and_the_ledger_is_always_valid(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    bad_reads, reads = [], [0]
    stop = threading.Event()

    def watch():
        path = root / "ledger.json"
        while not stop.is_set():
            if path.exists():
                try:
                    json.loads(path.read_text())
                    reads[0] += 1
                except ValueError as exc:
                    bad_reads.append(str(exc))

    watcher = threading.Thread(target=watch)
    watcher.start()
    cmd = [sys.executable, "-m", "phys", "--runs-dir", str(root), "run", "recipe", "reversal_curse", *SMOKE, "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    stop.set()
    watcher.join()
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    assert not bad_reads and reads[0] > 0
    records = phys_json(root, "runs", "ls")
    assert len(records) == 4 and all(r["status"] == "done" and r["verdict"] for r in records)
    computed = [r for r in records if r["stages"]["train"]["status"] == "done"]
    assert len(computed) == 1  # the others waited for it and reused it


def test_lost_or_truncated_ledger_is_reported_and_rebuilt(smoke_runs, tmp_path):
    source, record = smoke_runs
    root = tmp_path / "runs"
    shutil.copytree(source, root, symlinks=True)
    before = phys_json(root, "runs", "ls")
    for damage in ("delete", "truncate"):
        path = root / "ledger.json"
        if damage == "delete":
            path.unlink()
        else:
            path.write_text(path.read_text()[:25])
        for args in (["runs", "ls"], ["runs", "show", "last"], ["run", "recipe", "reversal_curse", *SMOKE]):
            proc = phys(root, *args, check=False)
            assert proc.returncode == 1 and "ledger" in proc.stderr and "phys ledger rebuild" in proc.stderr, args
            assert "Traceback" not in proc.stderr
        check = phys(root, "ledger", "check", check=False)
        assert check.returncode == 1 and ("missing" in check.stdout or "damaged" in check.stdout)
        phys(root, "ledger", "rebuild")
        after = phys_json(root, "runs", "ls")
        assert [(r["id"], r["status"], r["verdict"]) for r in after] == \
               [(r["id"], r["status"], r["verdict"]) for r in before]
        assert phys(root, "ledger", "check").returncode == 0


def test_ledger_writer_coalesces_stage_records_and_flush_writes_everything(tmp_path):
    """Stage changes reach the ledger from a thread, several per transaction; flush() returns once the
    latest record is in the ledger, and an error there reaches the run's thread."""
    from phys.core.recording import LedgerWriter

    ledger = Ledger(tmp_path)
    ledger.upsert_run({"id": "r", "stages": {}}, allow_missing=True)
    writes = []
    original = ledger.record_stages
    ledger.record_stages = lambda run, stages: (writes.append(sorted(stages)), original(run, stages))
    writer = LedgerWriter(ledger)
    record = {"id": "r", "status": "running", "stages": {}}
    for name in ("data", "train", "evaluate"):
        record["stages"][name] = {"status": "cached"}
        writer.touch(record, name)
    record["status"] = "done"
    writer.touch(record)
    writer.flush()
    assert writes == [["data", "evaluate", "train"]]  # one transaction for all three
    assert ledger.run("r")["status"] == "done"
    db = json.loads((tmp_path / "ledger.json").read_text())
    assert sorted(d["name"] for d in db["stages"].values()) == ["data", "evaluate", "train"]
    ledger.record_stages = lambda run, stages: 1 / 0
    writer.touch(record, "data")
    with pytest.raises(ZeroDivisionError):
        writer.flush()
    writer.close()
