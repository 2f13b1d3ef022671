"""LED (Longformer-Encoder-Decoder): global attention on the first token, as every LED model card runs it."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.base import TINY_INIT_STD, Family, register, special_ids


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
            vocab_size=len(tokenizer), d_model=64, encoder_layers=2, decoder_layers=2,
            encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128,
            attention_window=16, max_encoder_position_embeddings=16384, max_decoder_position_embeddings=1024,
            **special_ids(tokenizer), init_std=TINY_INIT_STD,
        )
        return LEDForConditionalGeneration(config)
