"""PEGASUS: a short-input baseline with sinusoidal positions, 1,024 of them on the hub checkpoints."""

from __future__ import annotations

from typing import Any

from longsum.engine.families.bart import decoder_paths
from longsum.engine.families.base import Family, FastPath, register
from longsum.engine.families.tiny import tiny_config


@register
class Pegasus(Family):
    """PEGASUS (``google/pegasus-pubmed`` and the rest): limit ``max_position_embeddings``; no recipe quirk."""

    name = "pegasus"
    model_types = ("pegasus",)
    builtin = "builtin:pegasus"

    def fast_paths(self) -> tuple[FastPath, ...]:
        """BART's decoder paths: PEGASUS's decoder attention is BART's."""
        return decoder_paths(("PegasusForConditionalGeneration",))

    def build_tiny(self, tokenizer: Any) -> Any:
        """A 2+2-layer PEGASUS with 1,024 sinusoidal positions, as the hub checkpoints have."""
        from transformers import PegasusConfig, PegasusForConditionalGeneration

        return PegasusForConditionalGeneration(PegasusConfig(max_position_embeddings=1024, **tiny_config(tokenizer)))
