import threading
import time

import pytest

from longsum.engine.timing import ModuleClock, PhaseTimes


def test_phases_add_up_per_thread_kind_and_other_is_the_rest():
    phases = PhaseTimes()
    phases.add("encoding", 1.0)
    phases.add("encoding", 0.5)
    phases.add("statistics", 2.0, overlapped=True)
    breakdown = phases.to_dict(wall_seconds=2.0)
    assert breakdown == {
        "wall_seconds": 2.0,
        "main_thread": {"encoding": 1.5, "other": 0.5},
        "overlapped": {"statistics": 2.0},
    }


def test_timed_blocks_and_iteration_count_wall_time():
    phases = PhaseTimes()

    def slow():
        for value in range(3):
            time.sleep(0.01)
            yield value

    assert list(phases.iterate(slow(), "reading")) == [0, 1, 2]
    with phases.timed("writing"):
        time.sleep(0.01)
    assert phases.main["reading"] >= 0.03 and phases.main["writing"] >= 0.01


def test_threads_add_without_losing_time():
    phases = PhaseTimes()
    workers = [threading.Thread(target=lambda: [phases.add("x", 1.0, True) for _ in range(1000)]) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert phases.overlapped["x"] == 4000.0


def test_module_clock_counts_only_the_modules_forward():
    import torch

    class Sleepy(torch.nn.Module):
        def forward(self, x):
            time.sleep(0.02)
            return x

    module = Sleepy()
    clock = ModuleClock(module, "cpu")
    module(torch.zeros(1))
    module(torch.zeros(1))
    assert clock.seconds == pytest.approx(0.04, abs=0.03)


def test_a_module_clock_counts_only_the_calls_its_predicate_selects():
    import torch

    from longsum.engine.timing import ModuleClock
    from longsum.summarizers.causal import is_prefill

    class Slow(torch.nn.Module):
        def forward(self, input_ids):
            time.sleep(0.02 * input_ids.shape[1])
            return input_ids

    module = Slow()
    clock = ModuleClock(module, "cpu", counts=is_prefill)
    module(input_ids=torch.zeros(1, 1))  # a decoding step: not counted
    assert clock.seconds == 0.0
    module(input_ids=torch.zeros(1, 5))  # a prefill
    assert 0.09 < clock.seconds < 1.0
    counted = clock.seconds
    module(input_ids=torch.zeros(1, 1))
    assert clock.seconds == counted
