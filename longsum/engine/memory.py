"""Device memory: the token budget chosen from free memory, out-of-memory detection, peak usage."""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass
from typing import Any

#: Share of free device memory that batches may plan for; the rest absorbs activations and fragmentation.
MEMORY_SHARE = 0.5
MIN_BATCH_TOKENS = 1024
MAX_BATCH_TOKENS = 1 << 20


@dataclass(frozen=True)
class DecoderShape:
    """The sizes that decide how much memory one padded input token costs while decoding."""

    layers: int
    heads: int
    head_dim: int
    d_model: int
    dtype_bytes: int

    @classmethod
    def of(cls, config: Any, dtype_bytes: int) -> DecoderShape:
        """Read the shape from a T5-family config, or a BART-style one (``decoder_layers``,
        ``decoder_attention_heads``)."""
        layers = (
            getattr(config, "num_decoder_layers", None) or getattr(config, "decoder_layers", None) or config.num_layers
        )
        heads = getattr(config, "num_heads", None) or config.decoder_attention_heads
        return cls(
            layers=layers,
            heads=heads,
            head_dim=getattr(config, "d_kv", None) or config.d_model // heads,
            d_model=config.d_model,
            dtype_bytes=dtype_bytes,
        )


def batch_tokens_for_memory(free_bytes: int, shape: DecoderShape, num_beams: int) -> int:
    """Padded input tokens per batch that fit in ``free_bytes`` while decoding with ``num_beams`` beams.

    Each padded input token holds, per beam, cross-attention keys and values in every decoder layer,
    plus its encoder output and one row of cross-attention scores per head.
    """
    kv = 2 * shape.layers * shape.heads * shape.head_dim * shape.dtype_bytes
    scores = shape.heads * 4  # the softmax runs in fp32
    per_token = num_beams * (kv + scores) + shape.d_model * shape.dtype_bytes
    tokens = int(free_bytes * MEMORY_SHARE // per_token)
    return max(MIN_BATCH_TOKENS, min(MAX_BATCH_TOKENS, tokens))


def free_device_memory(device: str) -> int | None:
    """Free bytes on a CUDA ``device``; ``None`` on the CPU, where the budget is not memory-bound."""
    if not device.startswith("cuda"):
        return None
    import torch

    free, _total = torch.cuda.mem_get_info(device)
    return int(free)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a device running out of memory (CUDA's error type, or the same message elsewhere)."""
    import torch

    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower()
    )


def release_cached_memory(device: str) -> None:
    """Return the allocator's cached blocks after an out-of-memory error, so a smaller retry can fit."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def reset_peak(device: str) -> None:
    """Start a new peak measurement (CUDA only: a process's peak RSS cannot be reset)."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_bytes(device: str) -> tuple[int, str]:
    """Peak memory and what it measures: CUDA max allocated on a GPU, the process's peak RSS on the CPU."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.max_memory_allocated(device)), "cuda_max_allocated"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return (peak if sys.platform == "darwin" else peak * 1024), "peak_rss"
