"""LongT5 (local and transient-global attention): position limit, beam-shared cross-attention and its fast paths."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from longsum.engine.families.base import (
    DEFAULT_INPUT_LIMIT,
    Family,
    FastPath,
    preallocated_self_attention_cache,
    register,
)
from longsum.engine.families.kernels import attend_per_beam, shared_cross_keys_values
from longsum.engine.families.longt5_blocks import (
    RECIPE_LENGTH,
    local_forward,
    rounds_by_global_count,
    transient_global_forward,
)
from longsum.engine.families.longt5_slabs import gated_act_forward, layer_norm_forward
from longsum.engine.families.vocab_slices import vocab_sliced_output_layer

MODEL_CLASSES = ("LongT5ForConditionalGeneration",)


def _beam_shared_cross_attention(
    attention: Any,
    hidden_states: Any,
    mask: Any = None,
    key_value_states: Any = None,
    position_bias: Any = None,
    cache: Any = None,
    **kwargs: Any,
) -> tuple[Any, ...]:
    """``LongT5Attention.forward`` for cross-attention, one key/value row per input shared by its beams.

    Each input's cross keys and values are projected and stored once and read by all of its beams, instead
    of once per beam and ``index_select``ed at every step. Anything else (self-attention, no beam-sharing
    cache, attention weights asked for) runs the stock forward.
    """
    import torch

    beams = getattr(cache, "beams", 0)
    if (
        key_value_states is None
        or beams < 2
        or kwargs.get("output_attentions")
        or attention.has_relative_attention_bias
    ):
        return type(attention).forward(
            attention,
            hidden_states,
            mask=mask,
            key_value_states=key_value_states,
            position_bias=position_bias,
            cache=cache,
            **kwargs,
        )
    heads, dim = attention.n_heads, attention.key_value_proj_dim
    keys, values = shared_cross_keys_values(
        cache, attention.layer_idx, key_value_states, beams, (attention.k, attention.v), heads
    )
    rows, steps = hidden_states.shape[:2]
    inputs = rows // beams
    query = attention.q(hidden_states).view(inputs, beams, steps, heads, dim).transpose(2, 3)
    if position_bias is None:
        position_bias = torch.zeros((1, heads, steps, keys.shape[-2]), device=query.device, dtype=query.dtype)
    # Cross-attention has no relative bias: the stock path adds an all-zero bias, which changes nothing.
    out = attend_per_beam(query, keys, values, mask[::beams] if mask is not None else None, attention.scaling)
    return attention.o(out.transpose(2, 3).reshape(rows, steps, heads * dim)), position_bias, None


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


def _instances(class_name: str, forward: Any) -> Any:
    def targets(model: Any) -> list[tuple[Any, Any]]:
        return [(module, forward) for module in model.modules() if type(module).__name__ == class_name]

    return targets


def _cross_attentions(model: Any) -> list[tuple[Any, Any]]:
    # Picked by instance: the decoder's self-attention has the same class.
    return [
        (block.layer[1].EncDecAttention, _beam_shared_cross_attention)
        for block in model.get_decoder().block
        if len(block.layer) == 3
    ]


def _is_fp16(model: Any) -> bool:
    import torch

    return model.dtype == torch.float16


def _on_cpu(model: Any) -> bool:
    # A GPU keeps a whole elementwise step in flight at once; slabs would only add launches.
    return bool(model.device.type == "cpu")


@register
class LongT5(Family):
    """LongT5: relative position buckets, so no position table; the docs recipe's 16,384 tokens is the limit."""

    name = "longt5"
    model_types = ("longt5",)
    limit_keys = ()

    def position_limit(self, config: Any) -> int | None:
        """No learned position table: any length runs, so the docs recipe's limit applies."""
        return DEFAULT_INPUT_LIMIT

    @contextlib.contextmanager
    def padded_like(self, length: int) -> Iterator[None]:
        """The transient-global fast path gives an unpadded input the recipe's count of global keys, padded to
        ``length`` as the docs recipe pads, where the dtype rounds by it (see ``longt5_blocks.recipe_globals``)."""
        token = RECIPE_LENGTH.set(length)
        try:
            yield
        finally:
            RECIPE_LENGTH.reset(token)

    def unpadded_warning(self, model: Any, engaged: Sequence[str]) -> str | None:
        """Transient-global attention in half precision without its fast path, which alone gives an unpadded input
        the recipe's count of global keys: dynamic batches then round otherwise than the padded recipe."""
        if (
            getattr(model.config, "encoder_attention_type", None) != "transient-global"
            or not rounds_by_global_count(model.dtype)
            or "chunked-transient-global-attention" in engaged
        ):
            return None
        return (
            f"{model.dtype} without chunked-transient-global-attention: an unpadded input has fewer global keys "
            "than the recipe's padded one and may round otherwise (--padding max-length --batch-size 2 runs the "
            "padded recipe)"
        )

    def fast_paths(self) -> tuple[FastPath, ...]:
        """Beam-shared cross-attention, block attention a few blocks at a time, a sync-free fp16 clamp, the
        preallocated self-attention cache, on the CPU the norms and gated activation a slab of rows at a time,
        and the output layer in vocabulary slices."""
        return (
            FastPath("beam-shared-cross-attention", MODEL_CLASSES, _cross_attentions, beam_cache=True),
            FastPath("chunked-local-attention", MODEL_CLASSES, _instances("LongT5LocalAttention", local_forward)),
            FastPath(
                "chunked-transient-global-attention",
                MODEL_CLASSES,
                _instances("LongT5TransientGlobalAttention", transient_global_forward),
            ),
            FastPath(
                "sync-free-fp16-clamp", MODEL_CLASSES, _instances("LongT5Block", _sync_free_block_forward), _is_fp16
            ),
            preallocated_self_attention_cache(MODEL_CLASSES),
            FastPath(
                "row-slab-gated-activation",
                MODEL_CLASSES,
                _instances("LongT5DenseGatedActDense", gated_act_forward),
                _on_cpu,
            ),
            FastPath("row-slab-layer-norm", MODEL_CLASSES, _instances("LongT5LayerNorm", layer_norm_forward), _on_cpu),
            vocab_sliced_output_layer(MODEL_CLASSES),
        )
