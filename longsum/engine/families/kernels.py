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

#: (keys, heads a product) shapes on which one product over every beam's query row is checked against a product
#: per beam before it is used (see ``beams_share_score_products``); they include the group sizes decoding forms.
PROBE_SHAPES = ((700, 2), (1100, 5), (2048, 48), (5000, 12), (9896, 5), (12762, 12), (16384, 2))


def attend_per_beam(query: Any, keys: Any, values: Any, mask: Any, scaling: float = 1.0) -> Any:
    """Each beam's attention to its input's shared keys and values: (inputs, beams, heads, steps, dim).

    ``query`` is (inputs, beams, heads, steps, dim); ``keys``/``values`` (inputs, heads, keys, dim); ``mask``, one
    row per input, is added to the scores. Each product rounds as stock's one product per beam. The weighted
    values are one product per beam, of the stock shape. So are the scores, unless one product over every beam's
    row gives each row the same bits on this device and dtype (``beams_share_score_products``), which then reads
    the keys once for all beams. Products run a group of heads at a time, so that per-beam products after the
    first read the group's keys and values from the cache instead of memory.
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
    shared = steps == 1 and beams_share_score_products(keys.device.type, keys.dtype, beams)
    beam_query = query.transpose(0, 1).reshape(beams, pairs, steps, dim)
    scores = _products(beam_query, keys.reshape(pairs, length, dim).transpose(1, 2), groups, length, shared)
    scores = scores.view(beams, inputs, heads, steps, length) * scaling
    if mask is not None:
        scores = scores + mask[None]
    probs = torch.nn.functional.softmax(scores, dim=-1).view(beams, pairs, steps, length)
    out = _products(probs, values.reshape(pairs, length, dim), groups, dim, False)
    return out.view(beams, inputs, heads, steps, dim).transpose(0, 1)


def _products(left: Any, right: Any, groups: list[slice], width: int, shared: bool) -> Any:
    """``left[beam] @ right`` for every beam, as (beams, pairs, steps, ``width``), a group of pairs at a time: one
    product per beam, or with ``shared`` (one step) one over every beam's row."""
    import torch

    out = torch.empty(*left.shape[:-1], width, dtype=left.dtype, device=left.device)
    for part in groups:
        if shared:
            rows = left[:, part, 0].transpose(0, 1).contiguous()  # (pairs, beams, dim): a pair's beams together
            out[:, part, 0] = torch.matmul(rows, right[part]).transpose(0, 1)
            continue
        for beam in range(left.shape[0]):
            torch.matmul(left[beam, part], right[part], out=out[beam, part])
    return out


@functools.cache
def beams_share_score_products(device_type: str, dtype: Any, beams: int) -> bool:
    """Whether one product of ``beams`` query rows by a head's keys gives each row the bits of its own one-row
    product, on this device and dtype; decided by random rows at ``PROBE_SHAPES``.

    Measured with torch 2.13 on an AVX512-BF16 CPU: in bf16 they agree at all 417 shapes tried (17 to 16,384
    keys, 1 to 96 heads a product, 2 to 4 beams), and reading each head's keys once a step made the kernel 15-20%
    faster; in fp32 MKL rounds a 2-row product otherwise. The weighted values (a sum over every key) stay one
    product per beam: in bf16 their rounding changed with the shape (38 of 139 shapes for 2 beams), and in fp32,
    where 2 beams agreed, one product was no faster. A GPU keeps one product per beam.
    """
    import torch

    if device_type != "cpu":
        return False
    generator = torch.Generator().manual_seed(0)
    for length, heads in PROBE_SHAPES:
        query = torch.randn(heads, beams, 64, generator=generator).to(dtype)
        keys = torch.randn(heads, 64, length, generator=generator).to(dtype)
        each = torch.cat([torch.matmul(query[:, row : row + 1], keys) for row in range(beams)], dim=1)
        if not torch.equal(torch.matmul(query, keys), each):
            return False
    return True
