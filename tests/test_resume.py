"""kill -9 or SIGTERM during training, then `phys runs resume`: the same final numbers and the same weights
as an uninterrupted run with the same seed."""

import hashlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from conftest import SMOKE, phys, phys_json

# Checkpoints every 7 steps while metrics are logged every 5: a resume lands inside a logging window.
LONGER = [*SMOKE, "--set", "train.steps=80", "--set", "train.ckpt_every=7"]


def model_hash(root: Path, record: dict) -> str:
    return hashlib.sha256((root / record["id"] / "stages" / "train" / "model.pt").read_bytes()).hexdigest()


def wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def checkpoints(root: Path) -> list[Path]:
    return list((root / "store").glob("*.partial/checkpoints/ckpt-*.pt"))


def run_pid(root: Path, run_id: str) -> int:
    return next(r for r in json.loads((root / "ledger.json").read_text())["runs"].values() if r["id"] == run_id)["pid"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference") / "runs"
    return root, phys_json(root, "run", "recipe", "reversal_curse", *LONGER)


def assert_same_as_reference(root: Path, resumed: dict, reference) -> None:
    ref_root, ref = reference
    assert resumed["status"] == "done"
    assert resumed["metrics"] == ref["metrics"]  # accuracies and final_loss
    assert model_hash(root, resumed) == model_hash(ref_root, ref)
    # The curves too, loss and probed accuracies alike: trimmed at the resume (no repeated stretch) and
    # continued with the same values. Wall-clock fields differ, of course.
    assert curves(root, resumed) == curves(ref_root, ref)


def curves(root: Path, record: dict) -> list[dict]:
    lines = (root / record["id"] / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in ("t", "tokens_per_s")} for line in lines]


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path, reference):
    root = tmp_path / "runs"
    run_id = phys(root, "run", "recipe", "reversal_curse", *LONGER, "--detach").stdout.strip()
    wait_for(lambda: len(checkpoints(root)) >= 1)
    os.kill(run_pid(root, run_id), signal.SIGKILL)
    wait_for(lambda: phys_json(root, "runs", "show", run_id)["status"] == "crashed", timeout=30)

    resumed = phys_json(root, "runs", "resume", run_id)
    assert "resumed from the checkpoint at step" in (root / run_id / "log.txt").read_text()
    assert_same_as_reference(root, resumed, reference)


def test_sigterm_checkpoints_marks_interrupted_and_resumes_exactly(tmp_path, reference):
    root = tmp_path / "runs"
    run_id = phys(root, "run", "recipe", "reversal_curse", *LONGER, "--detach").stdout.strip()
    metrics = root / run_id / "metrics.jsonl"
    wait_for(lambda: metrics.exists() and '"train"' in metrics.read_text())
    os.kill(run_pid(root, run_id), signal.SIGTERM)
    wait_for(lambda: phys_json(root, "runs", "show", run_id)["status"] == "interrupted", timeout=30)
    log = (root / run_id / "log.txt").read_text()
    assert "received SIGTERM" in log and "interrupted" in log
    assert checkpoints(root)

    resumed = phys_json(root, "runs", "resume", run_id)
    assert_same_as_reference(root, resumed, reference)


def test_cancel_stops_a_run_and_marks_it_cancelled(tmp_path):
    root = tmp_path / "runs"
    run_id = phys(root, "run", "recipe", "reversal_curse", *SMOKE, "--set", "train.steps=100000", "--detach").stdout.strip()
    metrics = root / run_id / "metrics.jsonl"
    wait_for(lambda: metrics.exists() and '"train"' in metrics.read_text())
    phys(root, "runs", "cancel", run_id)
    assert phys_json(root, "runs", "show", run_id)["status"] == "cancelled"
    assert "received SIGTERM" in (root / run_id / "log.txt").read_text()
    again = phys(root, "runs", "cancel", run_id, check=False)
    assert again.returncode == 1 and "already cancelled" in again.stderr
