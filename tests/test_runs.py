"""End-to-end runs through the CLI at smoke scale: verdict, report, cache reuse, show/logs/rm."""

import json

from conftest import SMOKE, phys, phys_json


def test_smoke_run_goes_through_every_stage_to_a_verdict(smoke_runs):
    root, record = smoke_runs
    assert record["status"] == "done"
    assert record["verdict"] in ("reproduced", "not reproduced", "inconclusive")
    assert set(record["stages"]) == {"data", "train", "evaluate"}
    assert all(s["status"] == "done" for s in record["stages"].values())
    metrics = record["metrics"]
    for key in ("forward_test_acc", "inverse_test_acc", "inverse_train_acc", "majority_baseline_employer_city"):
        assert 0.0 <= metrics[key] <= 1.0
    run_dir = root / record["id"]
    info = json.loads((run_dir / "run.json").read_text())
    assert info["seed"] == 0 and info["scale"] == "smoke" and "sha" in info["git"] and info["versions"]["torch"]
    report = (run_dir / "report.md").read_text()
    assert all(c["paper"] in report and c["metric"] in report for c in record["checks"])
    assert any(json.loads(line)["stage"] == "train" for line in (run_dir / "metrics.jsonl").read_text().splitlines())
    for name in ("data", "train", "evaluate"):
        assert (run_dir / "stages" / name / "manifest.json").exists()


def test_a_second_identical_run_reuses_every_stage(smoke_runs, tmp_path):
    root, first = smoke_runs
    check = phys_json(root, "recipes", "check", "reversal_curse", "--scale", "smoke")
    assert [s["state"] for s in check["stages"]] == ["cached", "cached", "cached"]
    changed = phys_json(root, "recipes", "check", "reversal_curse", "--scale", "smoke", "--set", "train.lr=0.002", "--no-probe")
    assert [s["state"] for s in changed["stages"]] == ["cached", "run", "run"]
    second = phys_json(root, "run", "recipe", "reversal_curse", *SMOKE)
    assert all(s["status"] == "cached" for s in second["stages"].values())
    assert second["metrics"] == first["metrics"]
    assert "cache hit" in phys(root, "runs", "logs", second["id"]).stdout
    phys(root, "runs", "rm", second["id"], "--yes")
    assert second["id"] not in phys(root, "runs", "ls", "--json").stdout


def test_runs_show_reports_checks_with_paper_numbers(smoke_runs):
    root, record = smoke_runs
    shown = phys_json(root, "runs", "show", record["id"])
    names = {c["metric"] for c in shown["checks"]}
    assert {"forward_test_acc", "inverse_test_acc"} <= names
    assert all(c["paper"] for c in shown["checks"])
    text = phys(root, "runs", "show", record["id"]).stdout
    assert "inverse_test_acc" in text and "verdict" in text
