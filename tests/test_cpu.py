"""phys.machine.cpu: each computing process takes its share of the cores among the live phys processes, a fixed
count wins, bf16 detection can be forced, and a loaded machine is named."""

import json
import os
import subprocess
import sys

import pytest
import torch

from phys.machine import cpu
from phys.machine.process import start_time


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.delenv(cpu.THREADS_ENV, raising=False)
    monkeypatch.setattr(cpu, "_USER_OMP", None)
    return tmp_path / "live"


def register(folder, pid: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(pid)).write_text(start_time(pid) or "")


def test_a_second_process_halves_the_share_and_gives_it_back_when_it_ends(folder, monkeypatch):
    monkeypatch.setattr(cpu, "REBALANCE_EVERY_S", 0.0)
    threads = torch.get_num_threads()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with cpu.Share(folder, cores=4) as share:
            assert share.threads == 4 and torch.get_num_threads() == 4
            assert (folder / str(os.getpid())).exists()
            register(folder, other.pid)
            assert cpu.rebalance() == 2 and torch.get_num_threads() == 2 and cpu.current_threads() == 2
            assert cpu.rebalance() is None  # unchanged
            other.kill()
            other.wait()
            assert cpu.rebalance() == 4 and torch.get_num_threads() == 4
            assert not (folder / str(other.pid)).exists()  # a dead process's file is removed
        assert not (folder / str(os.getpid())).exists() and cpu.rebalance() is None
    finally:
        other.kill()
        torch.set_num_threads(threads)


def test_rebalance_counts_at_most_every_few_seconds(folder):
    threads = torch.get_num_threads()
    try:
        with cpu.Share(folder, cores=2) as share:
            register(folder, os.getppid())  # the test runner's parent: alive
            assert cpu.rebalance() is None and share.threads == 2  # counted at enter, not again yet
            share._checked -= cpu.REBALANCE_EVERY_S
            assert cpu.rebalance() == 1
    finally:
        torch.set_num_threads(threads)


def test_a_fixed_thread_count_wins_over_the_share(folder, monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.setenv(cpu.THREADS_ENV, "1")
    try:
        register(folder, os.getppid())
        with cpu.Share(folder, cores=8) as share:
            assert share.threads == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    monkeypatch.setenv(cpu.THREADS_ENV, "lots")  # not a count: the share decides
    assert cpu.fixed_threads() is None


def test_before_torch_loads_the_share_goes_through_omp_num_threads():
    code = ("import os, sys; from phys.machine import cpu; cpu.set_threads(1); assert 'torch' not in sys.modules; "
            "import torch; print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", cpu.THREADS_ENV)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["1", "1"]


@pytest.mark.parametrize("flags,vendor,bf16", [
    ({"avx512_bf16"}, "AuthenticAMD", True),  # measured faster (AMD EPYC)
    ({"avx512_bf16"}, "GenuineIntel", False),  # measured 1.44x slower than fp32 (Intel Xeon without AMX)
    ({"avx512_bf16", "amx_bf16"}, "GenuineIntel", True),
    ({"avx2"}, "AuthenticAMD", False),  # emulated
])
def test_auto_trains_in_bf16_only_where_it_is_faster(monkeypatch, flags, vendor, bf16):
    monkeypatch.delenv(cpu.BF16_ENV, raising=False)
    monkeypatch.setattr(cpu, "cpu_flags", lambda: flags)
    monkeypatch.setattr(cpu, "vendor", lambda: vendor)
    assert cpu.auto_bf16() is bf16 and cpu.hardware_bf16() is bool(flags & {"avx512_bf16", "amx_bf16"})


def test_auto_bf16_can_be_forced_both_ways(monkeypatch):
    from phys.stages.train import TrainConfig
    from phys.science.train import autocast_dtype

    monkeypatch.setenv(cpu.BF16_ENV, "1")
    assert cpu.auto_bf16() and autocast_dtype(TrainConfig(), "cpu") == torch.bfloat16
    monkeypatch.setenv(cpu.BF16_ENV, "0")
    assert not cpu.auto_bf16() and autocast_dtype(TrainConfig(), "cpu") is None
    assert autocast_dtype(TrainConfig(precision="bf16"), "cpu") == torch.bfloat16  # an explicit choice stays


def test_a_load_above_the_cores_is_named(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (5.5, 1.0, 1.0))
    assert "load (5.5" in cpu.load_warning(2) and "1.87x" in cpu.load_warning(2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert cpu.load_warning(2) is None


def test_a_cgroup_quota_caps_the_cores(monkeypatch, tmp_path):
    real = cpu.Path

    def fake(path, *a):
        return real(tmp_path / "cpu.max") if str(path) == "/sys/fs/cgroup/cpu.max" else real(path, *a)

    (tmp_path / "cpu.max").write_text("100000 100000\n")
    monkeypatch.setattr(cpu, "Path", fake)
    assert cpu.available_cores() == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu.available_cores() == len(os.sched_getaffinity(0))


def test_threads_option_is_recorded_and_used_by_the_training(tmp_path):
    from conftest import SMOKE, phys_json

    root = tmp_path / "runs"
    record = phys_json(root, "run", "recipe", "reversal_curse", *SMOKE, "--threads", "1")
    run = root / record["id"]
    assert json.loads((run / "run.json").read_text())["execution"]["threads"] == 1
    log = (run / "log.txt").read_text()
    assert "precision fp32, 1 thread\n" in log or "precision bf16, 1 thread\n" in log


def test_torchruns_default_omp_is_not_taken_for_the_users_choice():
    """torchrun sets OMP_NUM_THREADS=1 for its ranks; phys's launcher marks it, so the ranks take their share."""
    code = "from phys.machine import cpu; print(cpu.fixed_threads())"
    env = {k: v for k, v in os.environ.items() if k != cpu.THREADS_ENV}
    marked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**env, "OMP_NUM_THREADS": "1", cpu.NOT_USER_OMP_ENV: "1"}).stdout.strip()
    users = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**env, "OMP_NUM_THREADS": "1"}).stdout.strip()
    assert (marked, users) == ("None", "1")
