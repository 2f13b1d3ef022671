"""Device-memory logic: the batch budget from free memory, recognising out-of-memory errors, peaks."""

import pytest
import torch

from longsum.engine.memory import (
    MAX_BATCH_TOKENS,
    MIN_BATCH_TOKENS,
    DecoderShape,
    batch_tokens_for_memory,
    is_out_of_memory,
    peak_memory_bytes,
)

LARGE = DecoderShape(layers=24, heads=16, head_dim=64, d_model=1024, dtype_bytes=2)  # LongT5-large in bf16


def test_budget_scales_with_free_memory_and_beams():
    one = batch_tokens_for_memory(40 << 30, LARGE, num_beams=2)
    assert batch_tokens_for_memory(80 << 30, LARGE, num_beams=2) == pytest.approx(2 * one, rel=1e-3)
    assert batch_tokens_for_memory(40 << 30, LARGE, num_beams=4) < one
    # 2 beams x 24 layers x (k, v) x 16 heads x 64 x 2 bytes = 196,608 bytes a token, plus scores and states.
    assert 50_000 < one < 110_000


def test_budget_is_clamped():
    assert batch_tokens_for_memory(1, LARGE, 2) == MIN_BATCH_TOKENS
    assert batch_tokens_for_memory(1 << 50, LARGE, 1) == MAX_BATCH_TOKENS


def test_out_of_memory_errors_are_recognised():
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_peak_memory_on_cpu_is_rss():
    peak, kind = peak_memory_bytes("cpu")
    assert kind == "peak_rss" and peak > 10 << 20
