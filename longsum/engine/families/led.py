"""LED (Longformer-Encoder-Decoder): global attention on the first token, as every LED model card runs it."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.bart import decoder_paths
from longsum.engine.families.base import Family, FastPath, register
from longsum.engine.families.kernels import attend_per_beam, shared_cross_keys_values
from longsum.engine.families.tiny import tiny_config

MODEL_CLASSES = ("LEDForConditionalGeneration",)


def _beam_shared_cross_attention(
    attention: Any,
    hidden_states: Any,
    key_value_states: Any = None,
    cache: Any = None,
    attention_mask: Any = None,
    output_attentions: bool = False,
) -> tuple[Any, Any, Any]:
    """``LEDDecoderAttention.forward`` for cross-attention, one key/value row per input shared by its beams.

    LED's decoder attention predates BART's attention interface (explicit ``bmm``s, query scaled before the
    product), so it has a forward of its own; the caching is the same as the other families'.
    """
    beams = getattr(cache, "beams", 0)
    if key_value_states is None or beams < 2 or output_attentions:
        return type(attention).forward(
            attention,
            hidden_states,
            key_value_states=key_value_states,
            cache=cache,
            attention_mask=attention_mask,
            output_attentions=output_attentions,
        )
    heads, dim = attention.num_heads, attention.head_dim
    keys, values = shared_cross_keys_values(
        cache, attention.layer_idx, key_value_states, beams, (attention.k_proj, attention.v_proj), heads
    )
    rows, steps, width = hidden_states.shape
    inputs = rows // beams
    query = (attention.q_proj(hidden_states) * attention.scaling).view(inputs, beams, steps, heads, dim).transpose(2, 3)
    out = attend_per_beam(query, keys, values, attention_mask[::beams] if attention_mask is not None else None)
    return attention.out_proj(out.transpose(2, 3).reshape(rows, steps, width)), None, cache


@register
class LED(Family):
    """LED: ``global_attention_mask[:, 0] = 1`` on every input; the limit is ``max_encoder_position_embeddings``.

    Without the global token, LED runs on sliding-window attention alone and its summaries degrade
    silently; the LED paper's summarization setup and the model cards all set it.
    """

    name = "led"
    model_types = ("led",)
    limit_keys = ("max_encoder_position_embeddings",)
    builtin = "builtin:led"

    def fast_paths(self) -> tuple[FastPath, ...]:
        """The decoder paths, with LED's own cross-attention forward."""
        return decoder_paths(MODEL_CLASSES, _beam_shared_cross_attention)

    def encoder_inputs(self, input_ids: Any, attention_mask: Any) -> dict[str, Any]:
        """The global attention mask: the first token of each input attends everywhere."""
        import torch

        mask = torch.zeros_like(input_ids)
        mask[:, 0] = 1
        return {"global_attention_mask": mask}

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer LED with a 16-token attention window and the real model's 16,384 positions."""
        from transformers import LEDConfig, LEDForConditionalGeneration

        config = LEDConfig(
            attention_window=16,
            max_encoder_position_embeddings=16384,
            max_decoder_position_embeddings=1024,
            **tiny_config(tokenizer),
        )
        return LEDForConditionalGeneration(config)
