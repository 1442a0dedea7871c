"""Training progress: reported after the first step, then every PROGRESS_EVERY_S and at the last step,
with a time left from the mean step time since the first step (which a probe in a window cannot swing)."""

import pytest

from phys.science import train


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock_time(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(train.time, "perf_counter", fake.perf_counter)
    return fake


def test_first_step_is_reported_with_an_eta_from_its_own_time(clock_time):
    clock = train._StepClock(start=0)
    clock_time.now += 3.0  # the first step: 3 s (one-off allocations included)
    assert clock.due(1, 100)
    info = clock.info(1, 100, float("nan"), batch_tokens=4096)
    assert "loss" not in info  # not logged yet
    assert info["eta_s"] == 3 * 99 and info["tokens_per_s"] == round(4096 / 3)


def test_reports_every_interval_and_the_last_step(clock_time):
    clock = train._StepClock(start=10)  # resumed at step 10
    clock_time.now += 5.0
    assert clock.due(11, 40)
    reported = []
    for done in range(12, 41):
        clock_time.now += 10.0 if done == 30 else 0.5  # a probe at step 30
        if clock.due(done, 40):
            reported.append(done)
    assert train.PROGRESS_EVERY_S == 2.0
    assert reported == [15, 19, 23, 27, 30, 34, 38, 40]


def test_eta_is_the_mean_step_time_since_the_first_step_times_the_steps_left(clock_time):
    clock = train._StepClock(start=0)
    clock_time.now += 2.0  # the first step, left out of the mean
    clock.due(1, 50)
    for done in range(2, 41):
        clock_time.now += 10.0 if done == 30 else 0.5  # a probe at step 30 counts: the user waits for it
        clock.due(done, 50)
    info = clock.info(40, 50, 1.23456, batch_tokens=4096)
    assert info["loss"] == 1.2346
    assert info["eta_s"] == round((38 * 0.5 + 10.0) / 39 * 10)
    clock.rate = 12_345.0  # tokens/s of the last logged window wins over the step time
    assert clock.info(40, 50, 1.0, batch_tokens=4096)["tokens_per_s"] == 12_345


def test_progress_info_reads_as_text_for_people():
    from phys.views.format import progress_info

    info = {"stage": "train", "done": 5, "total": 9, "loss": 1.5, "tokens_per_s": 28412, "eta_s": 178, "t": 1.0}
    assert progress_info(info) == "loss 1.5  tokens/s 28,412  eta 2m58s"
