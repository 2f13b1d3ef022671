"""The machine's own ceilings, measured in a second or two: dense matmul FLOP/s and memory bandwidth."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Matmul side: 2048 reaches a CPU's sustained FLOP/s; smaller sizes measure call overhead and cache.
MATMUL_SIDE = 2048
#: Bytes copied: far past every cache level, so the copy runs at main-memory speed.
COPY_BYTES = 256 << 20


def _best_seconds(run: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    """The fastest of ``repeats`` timed calls after a warm-up call: the least disturbed by other processes."""
    run()
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def probe_machine(
    device: str, dtype: Any, repeats: int = 5, side: int = MATMUL_SIDE, copy_bytes: int = COPY_BYTES
) -> dict[str, Any]:
    """Dense matmul FLOP/s in ``dtype`` and copy bandwidth (bytes read plus written per second) on ``device``."""
    import torch

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    # Each measurement's buffers are freed when its function returns, before the next one allocates.
    def matmul_seconds() -> float:
        a = torch.randn(side, side, dtype=dtype, device=device)
        b = torch.randn(side, side, dtype=dtype, device=device)
        out = torch.empty_like(a)
        return _best_seconds(lambda: torch.matmul(a, b, out=out), repeats, sync)

    def copy_seconds() -> float:
        source = torch.empty(copy_bytes // 4, dtype=torch.float32, device=device).fill_(1.0)
        target = torch.empty_like(source)
        return _best_seconds(lambda: target.copy_(source), repeats, sync)

    with torch.inference_mode():
        matmul = matmul_seconds()
        copy = copy_seconds()
    return {
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "matmul_side": side,
        "peak_flops_per_second": 2 * side**3 / matmul,
        "copy_bytes": copy_bytes,
        "bandwidth_bytes_per_second": 2 * copy_bytes / copy,
    }
