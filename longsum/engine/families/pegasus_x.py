"""Pegasus-X: block-local attention with global tokens; inputs are padded to the block size inside the model."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.bart import decoder_paths
from longsum.engine.families.base import Family, FastPath, register
from longsum.engine.families.tiny import tiny_config


@register
class PegasusX(Family):
    """Pegasus-X: limit ``max_position_embeddings`` (16,384 on the hub)."""

    name = "pegasus-x"
    model_types = ("pegasus_x",)
    builtin = "builtin:pegasus-x"

    def fast_paths(self) -> tuple[FastPath, ...]:
        """BART's decoder paths: its decoder's cross-attention is BART's."""
        return decoder_paths(("PegasusXForConditionalGeneration",))

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer Pegasus-X with 16-token blocks and 4 global tokens, so short tests cross blocks."""
        from transformers import PegasusXConfig, PegasusXForConditionalGeneration

        config = PegasusXConfig(
            max_position_embeddings=16384,
            block_size=16,
            num_global_tokens=4,
            stagger_local_blocks=True,
            **tiny_config(tokenizer),
        )
        return PegasusXForConditionalGeneration(config)
