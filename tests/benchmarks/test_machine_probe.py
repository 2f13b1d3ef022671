import statistics

import pytest

from longsum.benchmarks.machine_probe import probe_machine


def test_probe_measures_positive_ceilings_in_the_dtype():
    import torch

    machine = probe_machine("cpu", torch.float32, repeats=2, side=256, key_bytes=1 << 20, bandwidth_repeats=3)
    assert machine["dtype"] == "float32" and machine["threads"] >= 1
    assert machine["peak_flops_per_second"] > 1e6 and machine["bandwidth_bytes_per_second"] > 1e6
    # At least one head of 16,384 keys of 64 numbers is read, however few bytes are asked for.
    assert machine["bandwidth_bytes"] == 16384 * 64 * 4 and machine["bandwidth_repeats"] == 3
    assert machine["bandwidth_kernel"] == "batched q @ K^T"


@pytest.mark.parametrize(("pick", "expected"), [(statistics.median, 2), (min, 1)])
def test_the_bandwidth_takes_the_median_of_its_timed_reads_the_flops_the_best(monkeypatch, pick, expected):
    from longsum.benchmarks import machine_probe

    # Start and end of each timed call after the untimed warm-up: 1, 9 and 2 seconds.
    ticks = iter([0, 1, 10, 19, 20, 22])
    monkeypatch.setattr(machine_probe.time, "perf_counter", lambda: next(ticks))
    assert machine_probe._seconds(lambda: None, 3, lambda: None, pick) == expected
