"""CPU attention kernels the fast paths share: cross keys and values projected once per input, and each beam's
attention to them in products of the stock path's shape."""

from __future__ import annotations

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


def attend_per_beam(query: Any, keys: Any, values: Any, mask: Any, scaling: float = 1.0) -> Any:
    """Each beam's attention to its input's shared keys and values: (inputs, beams, heads, steps, dim).

    ``query`` is (inputs, beams, heads, steps, dim); ``keys``/``values`` (inputs, heads, keys, dim); ``mask``, one
    row per input, is added to the scores. Both products are one per beam, each of the stock path's shape, so
    they round as stock's do (a single product over all beams' queries rounds differently: it flipped a beam of
    the trained LongT5 demonstration model). They run a group of heads at a time, every beam in turn, so after
    the first beam the others read the group's keys and values from the cache instead of memory.
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
    beam_query = query.transpose(0, 1).reshape(beams, pairs, steps, dim)
    scores = _products_by_group(beam_query, keys.reshape(pairs, length, dim).transpose(1, 2), groups, length)
    scores = scores.view(beams, inputs, heads, steps, length) * scaling
    if mask is not None:
        scores = scores + mask[None]
    probs = torch.nn.functional.softmax(scores, dim=-1).view(beams, pairs, steps, length)
    out = _products_by_group(probs, values.reshape(pairs, length, dim), groups, dim)
    return out.view(beams, inputs, heads, steps, dim).transpose(0, 1)


def _products_by_group(left: Any, right: Any, groups: list[slice], width: int) -> Any:
    """``left[beam] @ right`` for every beam, as (beams, pairs, steps, ``width``), one group of pairs at a time."""
    import torch

    out = torch.empty(*left.shape[:-1], width, dtype=left.dtype, device=left.device)
    for part in groups:
        for beam in range(left.shape[0]):
            torch.matmul(left[beam, part], right[part], out=out[beam, part])
    return out
