"""Fast paths: cheaper forms of transformers internals that leave every output unchanged."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _beam_shared_cross_cache_class() -> type:
    # Built on first use so importing longsum does not import transformers.
    from transformers.cache_utils import EncoderDecoderCache

    class BeamSharedCrossCache(EncoderDecoderCache):
        """An ``EncoderDecoderCache`` whose beam reordering leaves the cross-attention half alone."""

        def reorder_cache(self, beam_idx: Any) -> None:
            self.self_attention_cache.reorder_cache(beam_idx)

    return BeamSharedCrossCache


def beam_shared_cross_cache() -> Any:
    """A fresh encoder-decoder cache whose beam reordering skips the cross-attention keys and values.

    transformers' ``EncoderDecoderCache.reorder_cache`` ``index_select``s the cross-attention keys
    and values at every beam-search step. Beam search only reorders beams within one input, and
    all beams of one input hold identical cross keys/values (computed from the same encoder
    outputs), so that copy changes nothing; for LongT5-large, 2 documents x 2 beams x 16,384 tokens,
    it moves about 6 GB per step. Only the self-attention half needs reordering.
    """
    from transformers.cache_utils import DynamicCache

    return _beam_shared_cross_cache_class()(DynamicCache(), DynamicCache())


def clamp_inf_sync_free(hidden: Any) -> Any:
    """``hidden`` clamped to the fp16 range when it holds an inf, decided on the device.

    Same values as T5's ``if torch.isinf(h).any(): h = h.clamp(...)``, without the device-to-host
    sync that the Python ``if`` forces.
    """
    import torch

    limit = torch.finfo(hidden.dtype).max - 1000
    return torch.where(torch.isinf(hidden).any(), hidden.clamp(min=-limit, max=limit), hidden)


def _sync_free_block_forward(
    block: Any,
    hidden_states: Any,
    attention_mask: Any = None,
    position_bias: Any = None,
    encoder_hidden_states: Any = None,
    encoder_attention_mask: Any = None,
    encoder_decoder_position_bias: Any = None,
    cache: Any = None,
    use_cache: bool = False,
    output_attentions: bool = False,
    return_dict: bool = True,
    **kwargs: Any,
) -> tuple[Any, ...]:
    """A LongT5 block's forward with its three fp16 inf checks made sync-free."""
    attended = block.layer[0](
        hidden_states,
        attention_mask=attention_mask,
        position_bias=position_bias,
        cache=cache,
        use_cache=use_cache,
        output_attentions=output_attentions,
    )
    hidden_states = clamp_inf_sync_free(attended[0])
    extras = tuple(attended[1:])
    if block.is_decoder and encoder_hidden_states is not None:
        crossed = block.layer[1](
            hidden_states,
            key_value_states=encoder_hidden_states,
            attention_mask=encoder_attention_mask,
            position_bias=encoder_decoder_position_bias,
            cache=cache,
            output_attentions=output_attentions,
        )
        hidden_states = clamp_inf_sync_free(crossed[0])
        extras += tuple(crossed[1:])
    return (clamp_inf_sync_free(block.layer[-1](hidden_states)), *extras)


def side_bias_per_block(attention: Any, mask: Any, global_segment_ids: Any) -> Any:
    """``LongT5TransientGlobalAttention.compute_side_bias`` with its buckets computed once per global block.

    The stock method computes a relative-position bucket (logs included) for every token x global
    block pair, though a token's bucket depends only on the global block it belongs to: measured on
    the CPU, it was a third of a tiny model's encoder time at 16k tokens. Here the buckets are
    computed for the (global blocks + 1) x global blocks pairs and gathered per token: the same
    embedding rows, hence the same values.
    """
    import torch
    from transformers.models.longt5 import modeling_longt5

    side_attention_mask = torch.eq(mask[..., None], global_segment_ids[:, None, :])[:, None, ...]
    attention_side_bias = torch.where(side_attention_mask > 0, 0.0, -1e10)
    block_ids, _ = modeling_longt5._make_global_fixed_block_ids(mask, attention.global_block_size)
    globals_count = global_segment_ids.shape[-1]
    positions = torch.arange(globals_count, device=block_ids.device)
    # Block id -1 marks padding; row 0 of the table serves it.
    own_blocks = torch.arange(-1, globals_count, device=block_ids.device)
    buckets = attention._relative_position_bucket(
        positions[None, :] - own_blocks[:, None],
        bidirectional=not attention.is_decoder,
        num_buckets=attention.relative_attention_num_buckets,
        max_distance=attention.relative_attention_max_distance,
    )
    table = attention.global_relative_attention_bias(buckets)  # (globals + 1, globals, heads)
    side_bias = table[(block_ids + 1).long()].permute(0, 3, 1, 2)  # (batch, heads, seq_len, globals)
    return attention_side_bias + side_bias


@contextmanager
def fast_paths(model: Any) -> Iterator[list[str]]:
    """Engage every fast path that applies to ``model`` for the ``with`` block; the names of those engaged.

    Patches are set on module instances and removed on exit, so the stock model (and the docs
    recipe run with it) is left as transformers made it.
    """
    import torch

    patched: list[tuple[Any, str]] = []
    for module in model.modules():
        kind = type(module).__name__
        if kind == "LongT5Block" and model.dtype == torch.float16:
            module.forward = functools.partial(_sync_free_block_forward, module)
            patched.append((module, "forward"))
        elif kind == "LongT5TransientGlobalAttention" and module.has_relative_attention_bias:
            module.compute_side_bias = functools.partial(side_bias_per_block, module)
            patched.append((module, "compute_side_bias"))
    try:
        names = {"forward": "sync-free-fp16-clamp", "compute_side_bias": "side-bias-per-block"}
        yield sorted({names[attribute] for _, attribute in patched})
    finally:
        for module, attribute in patched:
            delattr(module, attribute)
