"""LongT5's encoder attention, local and transient-global, a few blocks at a time: every value the stock layer's."""

from __future__ import annotations

import contextvars
import functools
from typing import Any

#: The length the recipe pads inputs to, while an unpadded input must round as if padded to it (see
#: ``recipe_globals``); set by ``LongT5.padded_like``.
RECIPE_LENGTH: contextvars.ContextVar[int | None] = contextvars.ContextVar("longt5_recipe_length", default=None)


def side_bias_table(attention: Any, globals_count: int, device: Any) -> Any:
    """Side (token -> global block) bias by the token's own global block: (globals + 1, globals, heads).

    Row 0 serves padding (block id -1), row i + 1 global block i. The stock
    ``compute_side_bias`` computes a relative-position bucket (logs included) for every token x
    global block pair, though a token's bucket depends only on the block it belongs to: measured
    on the CPU, that was a third of a tiny model's encoder time at 16k tokens.
    """
    import torch

    positions = torch.arange(globals_count, device=device)
    own_blocks = torch.arange(-1, globals_count, device=device)
    buckets = attention._relative_position_bucket(
        positions[None, :] - own_blocks[:, None],
        bidirectional=not attention.is_decoder,
        num_buckets=attention.relative_attention_num_buckets,
        max_distance=attention.relative_attention_max_distance,
    )
    return attention.global_relative_attention_bias(buckets)


#: Attention scores computed at a time: on the CPU, what stays in cache through softmax; on a GPU,
#: enough to keep kernels large while capping the encoder's (blocks x heads x 128 x keys) peak.
SCORE_CHUNK_BYTES = {"cpu": 2 << 20, "other": 256 << 20}

#: Row lengths a multiple of this take the bf16 softmax directly (see ``half_precision_softmax``): 64, four
#: times the 16 measured, so a CPU with wider vectors keeps whole rows in its vector loop.
SOFTMAX_VECTOR = 64


def block_attention(query: Any, key: Any, value: Any, bias: Any, side: tuple[Any, Any] | None = None) -> Any:
    """``softmax(q k^T + bias) v`` per block, as (batch, blocks x block_len, heads x dim), a few blocks at a time.

    ``query``, ``key`` and ``value`` are (batch, blocks, block_len, heads, dim); ``side``, transient-global's
    keys and values of the global blocks, (batch, globals, heads, dim); ``bias`` broadcasts to (batch, blocks,
    heads, block_len, 3 x block_len + globals). A chunk's keys and values (its blocks' three-block neighbourhoods,
    then the side rows, written once) go into buffers reused by every chunk, laid out per head as the products
    read them (stock's ``einsum`` copies its operands into that layout for every block), and the chunk runs the
    stock operations, every product of the stock shape: every value is the stock one to the bit (tested). Neither
    the scores nor the neighbourhoods and tiled side rows exist for all blocks at once. A fused kernel
    (``scaled_dot_product_attention``) was faster still but rounds differently, and on random tiny models that
    flipped a beam against the docs recipe.
    """
    import torch

    batch, blocks, length, heads, dim = query.shape
    width = 3 * length + (side[0].shape[1] if side is not None else 0)
    per_block = batch * heads * length * width * query.element_size()
    budget = SCORE_CHUNK_BYTES["cpu" if query.device.type == "cpu" else "other"]
    step = min(blocks, max(1, budget // per_block))
    # (batch, step, heads, width, dim): each head's keys and values contiguous.
    buffers = [states.new_empty(batch, step, heads, width, dim) for states in (key, value)]
    if side is not None:
        for buffer, side_states in zip(buffers, side, strict=True):
            buffer[:, :, :, 3 * length :] = side_states.transpose(1, 2)[:, None]
    # Each block's neighbourhood (blocks i - 1 to i + 1, zeros past either end, as transformers'
    # ``_concatenate_3_blocks``) as a view of the blocks padded by one: (batch, blocks, heads, 3, block_len, dim).
    windows = [
        torch.nn.functional.pad(states, (0, 0, 0, 0, 0, 0, 1, 1)).unfold(1, 3, 1).permute(0, 1, 3, 5, 2, 4)
        for states in (key, value)
    ]
    parts = []
    for start in range(0, blocks, step):
        count = min(step, blocks - start)
        chunk_keys, chunk_values = (buffer[:, :count] for buffer in buffers)
        for buffer, window in zip((chunk_keys, chunk_values), windows, strict=True):
            buffer[:, :, :, : 3 * length].view(batch, count, heads, 3, length, dim).copy_(
                window[:, start : start + count]
            )
        chunk_bias = bias[:, start : start + step] if bias.shape[1] > 1 else bias
        chunk_query = query[:, start : start + count].transpose(2, 3)
        scores = torch.matmul(chunk_query, chunk_keys.transpose(3, 4))
        scores += chunk_bias
        weights = half_precision_softmax(scores).type(value.dtype)
        parts.append(torch.matmul(weights, chunk_values).transpose(2, 3))
    return torch.cat(parts, dim=1).view(batch, blocks * length, heads * dim)


def half_precision_softmax(scores: Any) -> Any:
    """The stock ``softmax(scores.float()).type_as(scores)`` over the last dimension.

    The CPU's bf16 softmax computes in fp32 and rounds once: over rows whose length is a multiple of its vector
    width it gives the same bits (measured over every multiple of 16 up to 2,096; other lengths differ in their
    tail), without the two full-size conversions around it. Such rows are LongT5-base's local (384) and
    recipe-padded transient-global (1,408) widths. A probe (``direct_softmax_agrees``) confirms it on the machine.
    """
    import torch

    if (
        scores.dtype == torch.bfloat16
        and scores.device.type == "cpu"
        and scores.shape[-1] % SOFTMAX_VECTOR == 0
        and direct_softmax_agrees()
    ):
        return torch.nn.functional.softmax(scores, dim=-1)
    return torch.nn.functional.softmax(scores.float(), dim=-1).type_as(scores)


@functools.cache
def direct_softmax_agrees() -> bool:
    """Whether this CPU's bf16 softmax gives the stock form's bits on random rows of several widths that are
    multiples of ``SOFTMAX_VECTOR``, masked columns among them."""
    import torch

    generator = torch.Generator().manual_seed(0)
    for width in (SOFTMAX_VECTOR, 384, 1408, 2048):
        rows = torch.randn(64, width, generator=generator) * torch.rand(64, 1, generator=generator) * 8
        rows[:, width // 2 :: 3] = torch.finfo(torch.bfloat16).min
        scores = rows.bfloat16()
        stock = torch.nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        if not torch.equal(torch.nn.functional.softmax(scores, dim=-1), stock):
            return False
    return True


def stock_needed(attention: Any, position_bias: Any, output_attentions: bool) -> bool:
    """Whether an encoder attention layer must run its stock forward: weights asked for, or a bias it cannot build."""
    return output_attentions or (position_bias is None and not attention.has_relative_attention_bias)


def local_forward(
    attention: Any, hidden_states: Any, mask: Any = None, position_bias: Any = None, output_attentions: bool = False
) -> tuple[Any, ...]:
    """``LongT5LocalAttention.forward`` with its attention taken a few blocks at a time."""
    import torch

    if stock_needed(attention, position_bias, output_attentions):
        return type(attention).forward(attention, hidden_states, mask, position_bias, output_attentions)
    query, key, value = project(attention, hidden_states)
    if position_bias is None:
        position_bias = attention.compute_bias(attention.block_len)
        if mask is not None:
            position_bias = position_bias + torch.where(mask > 0, 0.0, -1e10).transpose(1, 2)
    out = block_attention(query, key, value, position_bias)[:, : hidden_states.shape[1]]
    return attention.o(out), position_bias


def project(attention: Any, states: Any) -> tuple[Any, ...]:
    """Queries, keys and values of ``states``, each (batch, blocks, block_len, heads, dim)."""
    from transformers.models.longt5.modeling_longt5 import _split_into_blocks

    def blocks(projection: Any) -> Any:
        shaped = projection(states).view(states.shape[0], -1, attention.n_heads, attention.key_value_proj_dim)
        return _split_into_blocks(shaped, attention.block_len, dim=1)

    return tuple(blocks(projection) for projection in (attention.q, attention.k, attention.v))


def transient_global_forward(
    attention: Any, hidden_states: Any, mask: Any = None, position_bias: Any = None, output_attentions: bool = False
) -> tuple[Any, ...]:
    """``LongT5TransientGlobalAttention.forward`` taken a few blocks at a time, its bias and masks built once per stack.

    The stock layer rebuilds the local mask in every layer, even where the first layer's bias is
    passed in, and builds the first layer's bias through padded copies and a concatenation.
    """
    import torch
    from transformers.models.longt5.modeling_longt5 import (
        _create_global_aggregates,
        _make_global_fixed_block_ids,
    )

    if stock_needed(attention, position_bias, output_attentions):
        return type(attention).forward(attention, hidden_states, mask, position_bias, output_attentions)
    batch, length = hidden_states.shape[:2]
    if mask is None:
        mask = torch.ones(batch, length, device=hidden_states.device)
    block_ids, segment_ids = _make_global_fixed_block_ids(mask, attention.global_block_size)
    globals_count = segment_ids.shape[-1]
    global_inputs = attention.global_input_layer_norm(
        _create_global_aggregates(hidden_states, block_ids, globals_count)
    )
    query, key, value = project(attention, hidden_states)
    extra = recipe_globals(attention, hidden_states.dtype) - globals_count
    side_keys, side_values = (
        projection(global_inputs).view(batch, globals_count, attention.n_heads, attention.key_value_proj_dim)
        for projection in (attention.k, attention.v)
    )
    if extra > 0:
        # The recipe's padded global blocks are all-zero aggregates, whose keys and values are zero.
        side_keys, side_values = (
            torch.cat([side, side.new_zeros(batch, extra, *side.shape[2:])], dim=1) for side in (side_keys, side_values)
        )
    if position_bias is None:
        position_bias = transient_global_bias(
            attention, mask, block_ids, segment_ids, query.shape[1], query.dtype, max(extra, 0)
        )
    out = block_attention(query, key, value, position_bias, (side_keys, side_values))[:, :length]
    return attention.o(out), position_bias


def recipe_globals(attention: Any, dtype: Any) -> int:
    """How many global blocks the recipe's padded input has, where the run must round as it does; 0 elsewhere.

    In half precision the CPU's product of probabilities and values rounds by how many keys it sums over (measured
    with oneDNN's bf16 kernel: 513 to 1,024 keys round otherwise than 1,405), and the recipe's padded input has more
    global keys than the unpadded one. Zero keys, masked out, make the count the recipe's. In fp32 the count does
    not change a bit (measured), so fp32 skips the extra work.
    """
    length = RECIPE_LENGTH.get()
    if length is None or not rounds_by_global_count(dtype):
        return 0
    return int(length // attention.global_block_size)


def rounds_by_global_count(dtype: Any) -> bool:
    """Whether transient-global attention in ``dtype`` rounds by its count of global keys: half precision does,
    fp32 does not (see ``recipe_globals``)."""
    import torch

    return bool(dtype != torch.float32)


def transient_global_bias(
    attention: Any, mask: Any, block_ids: Any, segment_ids: Any, blocks: int, dtype: Any, extra: int = 0
) -> Any:
    """The (batch, blocks, heads, block_len, 3 x block_len + globals) bias transformers builds, written in place,
    and ``extra`` masked columns after it for the recipe's padded global blocks (see ``recipe_globals``).

    Same values as the stock layer-0 computation: the local bias plus its mask, then each token's
    global-block bias row (see ``side_bias_table``) plus the side mask, which is all zeros for
    an unpadded input and then skipped. Writing both halves straight into one tensor saves the
    stock path's concatenation and its padded intermediate copies.
    """
    import torch
    from transformers.models.longt5.modeling_longt5 import _get_local_attention_mask

    batch, length = mask.shape
    block_len, globals_count = attention.block_len, segment_ids.shape[-1]
    width = 3 * block_len + globals_count
    bias = torch.empty(batch, blocks, attention.n_heads, block_len, width + extra, dtype=dtype, device=mask.device)
    # The recipe masks its padded global blocks out of every token's scores: their weights are zero.
    bias[..., width:] = torch.finfo(dtype).min
    local_mask = torch.where(_get_local_attention_mask(mask, block_len, mask.device) > 0, 0.0, -1e10).transpose(1, 2)
    bias[..., : 3 * block_len] = attention.compute_bias(block_len) + local_mask
    table = side_bias_table(attention, globals_count, block_ids.device).to(dtype)
    # Rows of the table by block id + 1 (padding is -1); the block padding past ``length`` takes a zero row.
    zero_row = table.shape[0]
    table = torch.cat([table, table.new_zeros(1, *table.shape[1:])]).permute(0, 2, 1)  # (globals + 2, heads, globals)
    rows = torch.full((batch, blocks * block_len), zero_row, dtype=torch.long, device=mask.device)
    rows[:, :length] = block_ids.long() + 1
    side = table[rows].view(batch, blocks, block_len, attention.n_heads, globals_count).transpose(2, 3)
    bias[..., 3 * block_len : width] = side
    side_allowed = torch.eq(mask[..., None], segment_ids[:, None, :])
    if not bool(side_allowed.all()):
        side_mask = torch.where(side_allowed, 0.0, -1e10).to(dtype)
        padded = torch.zeros(batch, blocks * block_len, globals_count, dtype=dtype, device=mask.device)
        padded[:, :length] = side_mask
        bias[..., 3 * block_len : width] += padded.view(batch, blocks, 1, block_len, globals_count)
    return bias
