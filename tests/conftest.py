"""Shared fixtures: an isolated runs folder per test and helpers to call the `phys` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SMOKE = ["--scale", "smoke", "--device", "cpu"]
UNDECLARED = "metrics its adapter does not declare"
"""What the worker logs when a stage's result and its adapter's `produces` declaration drift apart."""


def phys(runs: Path, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m phys --runs-dir RUNS ARGS…` in a subprocess, as a user would."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PHYS_RUNS_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "phys", "--runs-dir", str(runs), *args], capture_output=True,
                          text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"phys {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    for log in Path(runs).glob("*/log.txt"):  # every run of the suite: the adapters return what they declare
        assert UNDECLARED not in log.read_text(), f"{log}: a stage returned metrics it does not declare"
    return proc


def phys_json(runs: Path, *args: str):
    return json.loads(phys(runs, *args, "--json").stdout)


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory) -> tuple[Path, dict]:
    """A runs folder holding one finished smoke run of reversal_curse (shared; copy it before changing it)."""
    root = tmp_path_factory.mktemp("smoke") / "runs"
    record = phys_json(root, "run", "recipe", "reversal_curse", *SMOKE)
    return root, record
