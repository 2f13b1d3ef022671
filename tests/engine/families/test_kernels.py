"""The shared attention kernels: each beam's attention to its input's keys rounds as the stock per-beam product,
and cross keys and values are projected once per input."""

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.engine.families import kernels
from longsum.engine.families.kernels import attend_per_beam, shared_cross_keys_values
from longsum.engine.fast_paths import beam_shared_cross_cache


def by_hand(query, keys, values, mask, scaling):
    """softmax(q k^T x scaling + mask) v for each beam, each beam's rows against their own input's keys."""
    beams = query.shape[1]
    return torch.stack(
        [
            torch.softmax(torch.matmul(query[:, b], keys.transpose(2, 3)) * scaling + mask, dim=-1) @ values
            for b in range(beams)
        ],
        1,
    )


@pytest.mark.parametrize(
    ("inputs", "beams", "heads", "dim", "length", "steps"),
    [
        (2, 2, 2, 32, 700, 1),
        (3, 3, 12, 64, 1100, 1),
        (2, 2, 4, 64, 16384, 1),
        (2, 2, 2, 32, 300, 3),
        (1, 8, 4, 64, 2000, 1),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, pytest.param(torch.bfloat16, marks=NATIVE_BF16)])
def test_shared_key_attention_rounds_as_one_stock_product_per_beam(inputs, beams, heads, dim, length, steps, dtype):
    generator = torch.Generator().manual_seed(length)
    query = torch.randn(inputs, beams, heads, steps, dim, generator=generator).to(dtype)
    keys, values = (torch.randn(inputs, heads, length, dim, generator=generator).to(dtype) for _ in range(2))
    mask = torch.zeros(inputs, 1, steps, length, dtype=dtype)
    mask[0, ..., length // 3 :] = torch.finfo(dtype).min
    # The stock path: each beam's rows hold their own copy of the keys and values.
    stock = by_hand(query, keys, values, mask, 0.5)
    assert torch.equal(attend_per_beam(query, keys, values, mask, scaling=0.5), stock)


def test_the_beams_share_a_scores_product_only_where_the_probe_finds_the_same_bits(monkeypatch):
    assert not kernels.beams_share_score_products("cuda", torch.float32, 2)
    # Measured on this project's CPU: MKL rounds fp32 scores of 2 rows otherwise than of one.
    assert not kernels.beams_share_score_products("cpu", torch.float32, 2)
    if not NATIVE_BF16.args[0]:
        assert kernels.beams_share_score_products("cpu", torch.bfloat16, 2)
    kernels.beams_share_score_products.cache_clear()
    stock_matmul = torch.matmul

    def off_for_two_rows_at_the_last_shape(left, right, **kwargs):
        out = stock_matmul(left, right, **kwargs)
        return out + 1 if left.shape[-2] == 2 and right.shape[-1] == kernels.PROBE_SHAPES[-1][0] else out

    monkeypatch.setattr(torch, "matmul", off_for_two_rows_at_the_last_shape)
    try:
        assert not kernels.beams_share_score_products("cpu", torch.bfloat16, 2)
    finally:
        kernels.beams_share_score_products.cache_clear()


def test_one_head_a_group_without_a_mask_gives_the_same_bits(monkeypatch):
    # One (input, head) pair a group: the most groups the kernel can cut the work into.
    monkeypatch.setattr(kernels, "KEY_GROUP_BYTES", 1)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    generator = torch.Generator().manual_seed(3)
    query = torch.randn(3, 2, 4, 2, 16, generator=generator)
    keys, values = (torch.randn(3, 4, 50, 16, generator=generator) for _ in range(2))
    out = attend_per_beam(query, keys, values, None)
    assert out.shape == (3, 2, 4, 2, 16)
    assert torch.equal(out, by_hand(query, keys, values, 0.0, 1.0))


def test_cross_keys_and_values_are_projected_once_per_input_and_then_read_back():
    generator = torch.Generator().manual_seed(0)
    inputs, beams, length, width, heads = 2, 3, 5, 8, 2
    states = torch.randn(inputs, length, width, generator=generator)
    repeated = states.repeat_interleave(beams, dim=0)  # as transformers hands each input's outputs to its beams
    k_proj, v_proj = torch.nn.Linear(width, width), torch.nn.Linear(width, width)
    cache = beam_shared_cross_cache(beams)
    with torch.no_grad():
        keys, values = shared_cross_keys_values(cache, 0, repeated, beams, (k_proj, v_proj), heads)
        expected_keys = k_proj(states).view(inputs, length, heads, width // heads).transpose(1, 2)
        expected_values = v_proj(states).view(inputs, length, heads, width // heads).transpose(1, 2)
    assert keys.shape == (inputs, heads, length, width // heads)
    assert torch.equal(keys, expected_keys) and torch.equal(values, expected_values)
    assert cache.is_updated[0]
    # Later steps read the stored rows, whatever states they are handed.
    again = shared_cross_keys_values(cache, 0, torch.zeros_like(repeated), beams, (k_proj, v_proj), heads)
    assert torch.equal(again[0], expected_keys) and torch.equal(again[1], expected_values)
