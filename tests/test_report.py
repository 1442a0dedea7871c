"""Reports, curves and comparisons: `phys report`, `phys runs plot`, `phys runs compare`, and their figures."""

from __future__ import annotations

import shutil

import pytest
from conftest import SMOKE, phys, phys_json

from phys.views.curves import panels, pick, series
from phys.errors import PhysError
from phys.views.figures import arm_metrics, arms_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_run_ends_with_a_report_and_figures(smoke_runs):
    root, record = smoke_runs
    folder = root / record["id"]
    report = (folder / "report.md").read_text()
    assert "| forward QA works on unseen people (`forward_test_acc`)" in report
    assert "born on &lt;date> in &lt;city>?" in report  # not swallowed as HTML tags by a markdown viewer
    assert "| <= 0.05 |" in report
    assert "![curves](figures/curves.png)" in report and "## Stages" in report
    for name in ("curves.png", "checks.png"):
        assert (folder / "figures" / name).read_bytes()[:8] == PNG


def test_report_command_rewrites_report_and_figures(smoke_runs, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(smoke_runs[0], root, symlinks=True)
    run_id = smoke_runs[1]["id"]
    (root / run_id / "report.md").unlink()
    shutil.rmtree(root / run_id / "figures")
    written = phys_json(root, "report", "last")
    assert written["report"].endswith(f"{run_id}/report.md")
    assert sorted(p.rsplit("/", 1)[1] for p in written["figures"]) == ["checks.png", "curves.png"]
    assert (root / run_id / "report.md").exists()


def test_plot_prints_the_loss_curve_and_its_points(smoke_runs):
    root, record = smoke_runs
    data = phys_json(root, "runs", "plot", "last")
    steps = [p[0] for p in data["curves"]["train.loss"]]
    assert steps == [float(s) for s in range(5, 31, 5)]  # smoke: 30 steps, a point every 5
    text = phys(root, "runs", "plot", "last", "--width", "60", "--height", "12").stdout
    assert "step" in text and len(text.splitlines()) >= 10


def test_plot_of_an_unknown_curve_names_the_curves_there_are(smoke_runs):
    proc = phys(smoke_runs[0], "runs", "plot", "last", "--metric", "nope", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error: no curve 'nope'" in proc.stderr and "train.loss" in proc.stderr and "Traceback" not in proc.stderr


def test_compare_shows_what_differs(smoke_runs, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(smoke_runs[0], root, symlinks=True)
    first = smoke_runs[1]["id"]
    second = phys_json(root, "run", "recipe", "reversal_curse", *SMOKE, "--seed", "1",
                       "--set", "train.lr=0.002")["id"]
    data = phys_json(root, "runs", "compare", first, second)
    assert [r["id"] for r in data["runs"]] == [first, second]
    assert data["config"]["seed"] == [0, 1] and data["config"]["train.lr"] == [0.005, 0.002]
    assert "train.n_layer" not in data["config"] and data["same"] > 10
    assert len(data["checks"]["forward_test_acc"]) == 2
    text = phys(root, "runs", "compare", first, "last").stdout
    assert "train.lr" in text and "0.002" in text


def test_compare_needs_two_runs(smoke_runs):
    proc = phys(smoke_runs[0], "runs", "compare", "last", check=False)
    assert proc.returncode == 1 and "error: compare needs at least two runs" in proc.stderr


def test_curves_from_metric_records():
    records = [{"stage": "train", "step": 10, "loss": 3.0, "lr": 0.1, "t": 1.0},
               {"stage": "train", "step": 20, "loss": 2.0, "lr": 0.1, "t": 2.0},
               {"stage": "evaluate", "acc": 0.5}]  # no step: not a curve
    curves = series(records)
    assert curves == {"train.loss": [(10.0, 3.0), (20.0, 2.0)], "train.lr": [(10.0, 0.1), (20.0, 0.1)]}
    assert list(pick(curves)) == ["train.loss"]
    assert list(pick(curves, ["lr"])) == ["train.lr"]
    with pytest.raises(PhysError, match="no curve 'acc'"):
        pick(curves, ["acc"])
    assert list(pick({**curves, "train.forward_test_acc": [(10.0, 0.5)]}, ["*_acc"])) == ["train.forward_test_acc"]


def test_panels_put_losses_and_accuracies_together():
    curves = {"train.loss": [(1.0, 2.0)], "train.lr": [(1.0, 0.1)], "train.forward_test_acc": [(1.0, 0.5)],
              "train.inverse_test_acc": [(1.0, 0.0)]}
    assert [(title, list(group)) for title, group in panels(curves)] == [
        ("loss", ["train.loss"]), ("accuracy", ["train.forward_test_acc", "train.inverse_test_acc"]),
        ("train.lr", ["train.lr"])]


def test_arms_figure_groups_metrics_named_metric_at_arm(tmp_path):
    metrics = {"test_acc@single": 0.1, "test_acc@multi5+permute": 0.9, "train_acc@single": 1.0,
               "test_acc": 0.5, "lonely@one": 0.3}
    assert arm_metrics(metrics) == {"test_acc": {"single": 0.1, "multi5+permute": 0.9}}
    path = arms_png(metrics, tmp_path / "arms.png", "arms")
    assert path is not None and path.read_bytes()[:8] == PNG
    assert arms_png({"test_acc": 0.5}, tmp_path / "none.png", "arms") is None
