"""BART, PEGASUS and mBART: short-input baselines with a learned or sinusoidal table of 1,024 positions."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.base import TINY_INIT_STD, Family, register, special_ids


@register
class Bart(Family):
    """BART-style encoder-decoders: plain full attention, limit ``max_position_embeddings`` (1,024 on the hub)."""

    name = "bart"
    model_types = ("bart", "pegasus", "mbart", "plbart")
    builtin = "builtin:bart"

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer BART with 1,024 positions, as the hub checkpoints have."""
        from transformers import BartConfig, BartForConditionalGeneration

        config = BartConfig(
            vocab_size=len(tokenizer), d_model=64, encoder_layers=2, decoder_layers=2,
            encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128,
            max_position_embeddings=1024, **special_ids(tokenizer), init_std=TINY_INIT_STD,
        )
        return BartForConditionalGeneration(config)
