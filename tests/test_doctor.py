"""`phys doctor`: findings for torch, devices, disk, ledger and a throughput probe; a damaged ledger fails."""

import pytest

from conftest import phys, phys_json


def test_doctor_reports_every_area_and_a_measured_throughput(runs):
    findings = phys_json(runs, "doctor", "--probe", "1")
    by = {(f["area"], f["name"]): f for f in findings}
    assert {"torch", "cpu", "gpu", "executors", "disk", "ledger", "throughput"} <= {f["area"] for f in findings}
    assert by[("torch", "build")]["value"] in ("CPU only",) or by[("torch", "build")]["value"].startswith("CUDA")
    probe = next(f for f in findings if f["area"] == "throughput")
    assert int(probe["value"].split(" tokens/s")[0].replace(",", "")) > 0
    assert all(f["level"] != "fail" for f in findings)


def test_doctor_fails_on_a_damaged_ledger(runs):
    runs.mkdir()
    (runs / "ledger.json").write_text("{not json")
    proc = phys(runs, "doctor", "--probe", "0", check=False)
    assert proc.returncode == 1 and "fail" in proc.stdout and "ledger rebuild" in proc.stdout


@pytest.fixture
def own_registry(tmp_path, monkeypatch):
    """An in-process probe registers in a folder of its own (not beside live trainings) and gives pytest's
    thread count back."""
    import torch

    from phys.machine import cpu

    threads = torch.get_num_threads()
    monkeypatch.setattr(cpu, "registry", lambda: tmp_path / "live")
    yield
    torch.set_num_threads(threads)


def test_probe_warns_when_slow_for_its_thread_count(monkeypatch, own_registry):
    from phys.core import doctor

    monkeypatch.setenv("PHYS_CPU_BF16", "0")
    monkeypatch.setattr(doctor, "PROBE_TOKENS_PER_CORE", {"bf16": 10**9, "fp32": 10**9})
    monkeypatch.setattr(doctor.cpu, "cpu_times", lambda: None)  # no steal figure: the slowness is judged
    finding = doctor.throughput_probe(0.2, "cpu")
    assert finding.level == "warn" and "slow" in finding.value and "idle machine of our kind" in finding.value


def test_probe_names_the_hosts_steal(monkeypatch, own_registry):
    from phys.core import doctor

    ticks = iter([(0, 1000), (200, 2000)])  # 20% of the CPU time stolen during the probe
    monkeypatch.setattr(doctor.cpu, "cpu_times", lambda: next(ticks))
    finding = doctor.throughput_probe(0.2, "cpu")
    assert finding.level == "warn" and "20%" in finding.value and "steal" in finding.value


def test_forced_bf16_on_a_cpu_without_it_is_not_judged(monkeypatch, own_registry):
    from phys.core import doctor

    monkeypatch.setenv("PHYS_CPU_BF16", "1")
    monkeypatch.setattr(doctor.cpu, "hardware_bf16", lambda: False)
    monkeypatch.setattr(doctor, "PROBE_TOKENS_PER_CORE", {"bf16": 10**9, "fp32": 10**9})
    monkeypatch.setattr(doctor.cpu, "cpu_times", lambda: None)
    finding = doctor.throughput_probe(0.2, "cpu")
    assert finding.level == "ok" and "bf16" in finding.value and "not judged" in finding.value


def test_load_above_the_cores_warns_with_the_measured_slowdown(monkeypatch):
    from phys.core import doctor

    monkeypatch.setattr(doctor.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    finding = doctor.load_finding(2)
    assert finding.level == "warn" and "9.0" in finding.value and "1.87x" in finding.value
    monkeypatch.setattr(doctor.os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert doctor.load_finding(2).level == "ok"


def test_native_bf16_finding_follows_the_forced_answer(runs, monkeypatch):
    for forced, text in (("1", "precision=auto trains in bf16"), ("0", "precision=auto trains in fp32")):
        monkeypatch.setenv("PHYS_CPU_BF16", forced)
        findings = phys_json(runs, "doctor", "--probe", "0")
        bf16 = next(f for f in findings if f["area"] == "cpu" and f["name"] == "native bf16")
        assert text in bf16["value"]
