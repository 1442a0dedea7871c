"""`phys doctor`: findings for torch, devices, disk, ledger and a throughput probe; a damaged ledger fails."""

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
