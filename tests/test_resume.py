"""kill -9 during training, then `phys runs resume`: same final numbers as an uninterrupted run."""

import hashlib
import json
import os
import signal
import time
from pathlib import Path

from conftest import SMOKE, phys, phys_json

LONGER = [*SMOKE, "--set", "train.steps=80", "--set", "train.ckpt_every=10"]


def model_hash(root: Path, record: dict) -> str:
    return hashlib.sha256((root / record["id"] / "stages" / "train" / "model.pt").read_bytes()).hexdigest()


def wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    reference_root, root = tmp_path / "reference", tmp_path / "runs"
    reference = phys_json(reference_root, "run", "recipe", "reversal_curse", *LONGER)

    run_id = phys(root, "run", "recipe", "reversal_curse", *LONGER, "--detach").stdout.strip()
    ledger = root / "ledger.json"
    checkpoints = lambda: list((root / "store").glob("*.partial/checkpoints/ckpt-*.pt"))  # noqa: E731
    wait_for(lambda: len(checkpoints()) >= 1)
    pid = next(r for r in json.loads(ledger.read_text())["runs"].values() if r["id"] == run_id)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: phys_json(root, "runs", "show", run_id)["status"] == "crashed", timeout=30)

    resumed = phys_json(root, "runs", "resume", run_id)
    assert resumed["status"] == "done"
    assert "resumed from the checkpoint" in (root / run_id / "log.txt").read_text()
    assert resumed["metrics"] == reference["metrics"]
    assert model_hash(root, resumed) == model_hash(reference_root, reference)
    steps = [json.loads(l)["step"] for l in (root / run_id / "metrics.jsonl").read_text().splitlines()
             if json.loads(l)["stage"] == "train"]
    assert steps == sorted(set(steps))  # trimmed: no repeated stretch after the resume


def test_sigterm_checkpoints_and_marks_interrupted(tmp_path):
    root = tmp_path / "runs"
    run_id = phys(root, "run", "recipe", "reversal_curse", *SMOKE, "--set", "train.steps=100000", "--detach").stdout.strip()
    wait_for(lambda: (root / run_id / "metrics.jsonl").exists() and "train" in (root / run_id / "metrics.jsonl").read_text())
    phys(root, "runs", "cancel", run_id)
    record = phys_json(root, "runs", "show", run_id)
    assert record["status"] == "cancelled"
    assert "received SIGTERM" in (root / run_id / "log.txt").read_text()
    assert list((root / "store").glob("*.partial/checkpoints/ckpt-*.pt"))
