from longsum.benchmarks.machine_probe import probe_machine


def test_probe_measures_positive_ceilings_in_the_dtype():
    import torch

    machine = probe_machine("cpu", torch.float32, repeats=2, side=256, copy_bytes=1 << 20)
    assert machine["dtype"] == "float32" and machine["threads"] >= 1
    assert machine["peak_flops_per_second"] > 1e6 and machine["bandwidth_bytes_per_second"] > 1e6
