"""BART and mBART: short-input baselines with a learned table of 1,024 positions; their decoder fast paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from longsum.engine.families.base import Family, FastPath, preallocated_self_attention_cache, register
from longsum.engine.families.kernels import shared_cross_keys_values
from longsum.engine.families.tiny import tiny_config
from longsum.engine.families.vocab_slices import vocab_sliced_output_layer

MODEL_CLASSES = ("BartForConditionalGeneration",)


def _beam_shared_cross_attention(
    attention: Any,
    hidden_states: Any,
    key_value_states: Any = None,
    cache: Any = None,
    attention_mask: Any = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """BART-style attention's forward for cross-attention, one key/value row per input shared by its beams.

    Serves every attention class whose forward is BART's (transformers copies it into Pegasus, Pegasus-X and
    BigBird-Pegasus). The beams' queries of one input become rows of one query block, so each step reads an
    input's cross keys and values once instead of once per beam (see ``fast_paths.beam_shared_cross_cache``).
    Anything else (self-attention, no beam-sharing cache, attention weights asked for) runs the stock forward.
    """
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
    from transformers.models.bart.modeling_bart import eager_attention_forward

    beams = getattr(cache, "beams", 0)
    if key_value_states is None or beams < 2 or kwargs.get("output_attentions"):
        return type(attention).forward(
            attention,
            hidden_states,
            key_value_states=key_value_states,
            cache=cache,
            attention_mask=attention_mask,
            **kwargs,
        )
    projections = (attention.k_proj, attention.v_proj)
    keys, values = shared_cross_keys_values(
        cache, attention.layer_idx, key_value_states, beams, projections, attention.num_heads
    )
    rows, steps = hidden_states.shape[:2]
    inputs = rows // beams
    query = attention.q_proj(hidden_states).view(inputs, beams * steps, -1, attention.head_dim).transpose(1, 2)
    if attention_mask is not None:
        # A cross-attention mask depends on the keys only: the same row serves every beam and step.
        attention_mask = attention_mask[::beams]
        if attention_mask.shape[2] > 1:
            attention_mask = attention_mask.repeat(1, 1, beams, 1)
    interface = ALL_ATTENTION_FUNCTIONS.get_interface(attention.config._attn_implementation, eager_attention_forward)
    out, _ = interface(attention, query, keys, values, attention_mask, dropout=0.0, scaling=attention.scaling, **kwargs)
    return attention.out_proj(out.reshape(rows, steps, -1).contiguous()), None


def beam_shared_cross_attention(
    model_classes: tuple[str, ...], forward: Callable[..., Any] = _beam_shared_cross_attention
) -> FastPath:
    """The beam-shared cross-attention path for BART-style decoders (``decoder.layers[i].encoder_attn``) of
    ``model_classes``.

    ``forward`` replaces each ``encoder_attn``'s forward: BART's by default.
    """

    def targets(model: Any) -> list[tuple[Any, Any]]:
        return [(layer.encoder_attn, forward) for layer in model.get_decoder().layers]

    return FastPath("beam-shared-cross-attention", model_classes, targets, beam_cache=True)


def decoder_paths(
    model_classes: tuple[str, ...], forward: Callable[..., Any] = _beam_shared_cross_attention
) -> tuple[FastPath, ...]:
    """The decoder fast paths of BART-style ``model_classes``: beam-shared cross-attention (``forward`` replacing
    each ``encoder_attn``'s), the preallocated self-attention cache and the output layer in vocabulary slices."""
    return (
        beam_shared_cross_attention(model_classes, forward),
        preallocated_self_attention_cache(model_classes),
        vocab_sliced_output_layer(model_classes),
    )


@register
class Bart(Family):
    """BART-style encoder-decoders: plain full attention, limit ``max_position_embeddings`` (1,024 on the hub)."""

    name = "bart"
    model_types = ("bart", "mbart", "plbart")
    builtin = "builtin:bart"

    def fast_paths(self) -> tuple[FastPath, ...]:
        """The decoder paths, for the BART class they were tested on."""
        return decoder_paths(MODEL_CLASSES)

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer BART with 1,024 positions, as the hub checkpoints have."""
        from transformers import BartConfig, BartForConditionalGeneration

        config = BartConfig(
            max_position_embeddings=1024,
            **tiny_config(tokenizer),
        )
        return BartForConditionalGeneration(config)
