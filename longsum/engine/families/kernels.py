"""CPU attention kernels the fast paths share: cross keys and values projected once per input, and each beam's
attention to them in products of the stock path's shape."""

from __future__ import annotations

import functools
from typing import Any


def shared_cross_keys_values(
    cache: Any, layer: int, key_value_states: Any, beams: int, projections: tuple[Any, Any], heads: int
) -> tuple[Any, Any]:
    """Cross-attention keys and values of decoder layer ``layer``, (inputs, heads, keys, dim), one row per input.

    Read from the beam-shared cache after the first step; on the first, the key and value ``projections`` of each
    input's encoder outputs, split into ``heads``, are stored there.
    """
    stored = cache.cross_attention_cache
    if cache.is_updated.get(layer):
        return stored.layers[layer].keys, stored.layers[layer].values
    # transformers repeats each input's encoder outputs once per beam; every beams-th row is the input.
    shared = key_value_states[::beams]
    keys, values = (
        proj(shared).view(shared.shape[0], shared.shape[1], heads, -1).transpose(1, 2) for proj in projections
    )
    keys, values = stored.update(keys, values, layer)
    cache.is_updated[layer] = True
    return keys, values


#: Bytes of cross keys (or values) one group of heads spans: small enough to stay in a CPU's last-level cache
#: while every beam reads them (measured best of 2-16 MB on a 32 MB cache).
KEY_GROUP_BYTES = 8 << 20

#: Keys and heads a product on which one product over every beam's rows is checked against one product per beam
#: before it is used (see ``beams_share_products``): a grid over the lengths and group sizes decoding forms, up to
#: ``PROBE_KEYS`` keys x heads (about a second a dtype on a 2-core CPU beyond).
PROBE_LENGTHS, PROBE_HEADS, PROBE_KEYS = (383, 1100, 2048, 5000, 12762), (2, 12, 24, 48), 1 << 17


def attend_per_beam(query: Any, keys: Any, values: Any, mask: Any, scaling: float = 1.0) -> Any:
    """Each beam's attention to its input's shared keys and values: (inputs, beams, heads, steps, dim).

    ``query`` is (inputs, beams, heads, steps, dim); ``keys``/``values`` (inputs, heads, keys, dim); ``mask``, one
    row per input, is added to the scores. Each product rounds as stock's one product per beam, of the stock
    shape: it is one per beam, unless one product over every beam's row gives each row the same bits on this
    device and dtype (``beams_share_products``), which then reads the keys or values once for all beams.
    Products run a group of heads at a time, so that per-beam products after the first read the group's keys
    and values from the cache instead of memory.
    """
    import torch

    inputs, beams, heads, steps, dim = query.shape
    length, pairs = keys.shape[2], inputs * heads
    # A group is (input, head) pairs: on a CPU at least one per thread (fewer leaves a thread idle); a GPU gains
    # nothing from the groups.
    group = max(torch.get_num_threads(), KEY_GROUP_BYTES // (length * dim * keys.element_size()))
    if keys.device.type != "cpu":
        group = pairs
    groups = [slice(start, start + group) for start in range(0, pairs, group)]
    shared = beams_share_products(keys.device.type, keys.dtype, beams) if steps == 1 else (False, False)
    # (pairs, beams x steps, dim): each pair's beams' rows together, as one product over them reads them.
    pair_query = query.permute(0, 2, 1, 3, 4).reshape(pairs, beams * steps, dim)
    scores = _products(pair_query, keys.reshape(pairs, length, dim).transpose(1, 2), groups, beams, shared[0])
    scores = scores.view(inputs, heads, beams, steps, length) * scaling
    if mask is not None:
        scores = scores + mask[:, :, None]
    probs = torch.nn.functional.softmax(scores, dim=-1).view(pairs, beams * steps, length)
    out = _products(probs, values.reshape(pairs, length, dim), groups, beams, shared[1])
    return out.view(inputs, heads, beams, steps, dim).transpose(1, 2)


def _products(left: Any, right: Any, groups: list[slice], beams: int, shared: bool) -> Any:
    """``left @ right`` as (pairs, rows, width), a group of pairs at a time: one product over a group's rows when
    ``shared``, else one per beam's rows."""
    import torch

    pairs, rows = left.shape[:2]
    out = torch.empty(pairs, rows, right.shape[-1], dtype=left.dtype, device=left.device)
    per_beam = rows // beams
    for part in groups:
        if shared:
            torch.matmul(left[part], right[part], out=out[part])
            continue
        for beam in range(beams):
            own = slice(beam * per_beam, (beam + 1) * per_beam)
            out[part, own] = torch.matmul(left[part, own], right[part])
    return out


@functools.cache
def beams_share_products(device_type: str, dtype: Any, beams: int) -> tuple[bool, bool]:
    """Whether one product over ``beams`` rows gives each row the bits of its own one-row product, on this device
    and dtype: for the scores (query rows by a head's keys) and for the weighted values (probability rows by a
    head's values). Decided by random rows at the ``PROBE_LENGTHS`` x ``PROBE_HEADS`` shapes.

    Measured with torch 2.13 on an AVX512-BF16 CPU over 139 shapes (17 to 16,384 keys, 1 to 96 heads a product):
    bf16 scores agree at every shape and bf16 weighted values differ at 38; fp32 scores differ, fp32 weighted
    values agree at every shape for 2 and 3 beams and differ at every shape for 4. A GPU keeps one product per
    beam.
    """
    import torch

    if device_type != "cpu":
        return False, False
    generator = torch.Generator().manual_seed(0)
    agree = [True, True]
    for length in PROBE_LENGTHS:
        for heads in (h for h in PROBE_HEADS if h * length <= PROBE_KEYS):
            query = torch.randn(heads, beams, 64, generator=generator).to(dtype)
            keys, values = (torch.randn(heads, length, 64, generator=generator).to(dtype) for _ in range(2))
            probs = torch.softmax(torch.randn(heads, beams, length, generator=generator) * 3, dim=-1).to(dtype)
            for kind, (left, right) in enumerate(((query, keys.transpose(1, 2)), (probs, values))):
                each = torch.cat([torch.matmul(left[:, row : row + 1], right) for row in range(beams)], dim=1)
                agree[kind] = agree[kind] and torch.equal(torch.matmul(left, right), each)
    return agree[0], agree[1]
