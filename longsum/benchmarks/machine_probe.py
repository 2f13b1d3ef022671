"""The machine's own ceilings, measured in a second or two: dense matmul FLOP/s and memory bandwidth."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

#: Matmul side: 2048 reaches a CPU's sustained FLOP/s; smaller sizes measure call overhead and cache.
MATMUL_SIDE = 2048
#: Bytes of keys the bandwidth probe reads: far past every cache level, so it runs at main-memory speed.
KEY_BYTES = 256 << 20
#: Keys per head and width of a head in the bandwidth probe: the shape of decoding's cross-attention at 16k inputs.
KEY_LENGTH, HEAD_DIM = 16384, 64
#: Timed reads of the keys; their median is the bandwidth, so one disturbed read moves it little.
BANDWIDTH_REPEATS = 9


def _seconds(
    run: Callable[[], Any], repeats: int, sync: Callable[[], None], pick: Callable[[list[float]], float]
) -> float:
    """``pick`` (the fastest, least disturbed by other processes; or the median) of ``repeats`` timed calls after a
    warm-up call."""
    run()
    sync()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        seconds.append(time.perf_counter() - start)
    return pick(seconds)


def probe_machine(
    device: str,
    dtype: Any,
    repeats: int = 5,
    side: int = MATMUL_SIDE,
    key_bytes: int = KEY_BYTES,
    bandwidth_repeats: int = BANDWIDTH_REPEATS,
) -> dict[str, Any]:
    """Dense matmul FLOP/s in ``dtype`` on ``device`` (the best of ``repeats``), and the bandwidth decoding's
    kernel reads memory at: a batched matrix-vector product ``q @ K^T`` of one query per head over ``key_bytes`` of
    keys in ``dtype``, keys read per second (the median of ``bandwidth_repeats``)."""
    import torch

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    # Each measurement's buffers are freed when its function returns, before the next one allocates.
    def matmul_seconds() -> float:
        a = torch.randn(side, side, dtype=dtype, device=device)
        b = torch.randn(side, side, dtype=dtype, device=device)
        out = torch.empty_like(a)
        return _seconds(lambda: torch.matmul(a, b, out=out), repeats, sync, min)

    heads = max(1, key_bytes // (KEY_LENGTH * HEAD_DIM * dtype.itemsize))

    def read_seconds() -> float:
        keys = torch.ones(heads, KEY_LENGTH, HEAD_DIM, dtype=dtype, device=device)
        query = torch.ones(heads, 1, HEAD_DIM, dtype=dtype, device=device)
        scores = torch.empty(heads, 1, KEY_LENGTH, dtype=dtype, device=device)
        product = lambda: torch.matmul(query, keys.transpose(1, 2), out=scores)  # noqa: E731
        return _seconds(product, bandwidth_repeats, sync, statistics.median)

    with torch.inference_mode():
        matmul = matmul_seconds()
        read = read_seconds()
    read_bytes = heads * KEY_LENGTH * HEAD_DIM * dtype.itemsize
    return {
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "matmul_side": side,
        "peak_flops_per_second": 2 * side**3 / matmul,
        "bandwidth_kernel": "batched q @ K^T",
        "bandwidth_bytes": read_bytes,
        "bandwidth_repeats": bandwidth_repeats,
        "bandwidth_bytes_per_second": read_bytes / read,
    }
