"""BigBird-Pegasus: block-sparse encoder attention, which transformers swaps for full attention on short inputs."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.bart import decoder_paths
from longsum.engine.families.base import Family, FastPath, register
from longsum.engine.families.tiny import tiny_config


@register
class BigBirdPegasus(Family):
    """BigBird-Pegasus: limit ``max_position_embeddings`` (4,096 on the hub); its outputs depend on padding.

    Block-sparse attention picks its blocks from the padded length (and falls back to full attention
    below ``(5 + 2 x random blocks) x block size`` tokens), so one input padded in a batch is attended
    differently from the same input alone: longsum's reference is each document alone, unpadded, and
    ``--padding max-length --batch-size 2`` reproduces the padded recipe.
    """

    name = "bigbird-pegasus"
    model_types = ("bigbird_pegasus",)
    padding_sensitive = True
    builtin = "builtin:bigbird-pegasus"

    def fast_paths(self) -> tuple[FastPath, ...]:
        """BART's decoder paths: its decoder's cross-attention is BART's."""
        return decoder_paths(("BigBirdPegasusForConditionalGeneration",))

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer BigBird-Pegasus with 16-token blocks, so block-sparse attention engages from 144 tokens."""
        from transformers import (
            BigBirdPegasusConfig,
            BigBirdPegasusForConditionalGeneration,
        )

        config = BigBirdPegasusConfig(
            max_position_embeddings=4096,
            attention_type="block_sparse",
            block_size=16,
            num_random_blocks=2,
            **tiny_config(tokenizer),
        )
        return BigBirdPegasusForConditionalGeneration(config)
