"""The generic family: any other ``AutoModelForSeq2SeqLM`` checkpoint, run as stock transformers runs it."""

from __future__ import annotations

from longsum.engine.families.base import Family, register


@register
class Generic(Family):
    """No quirks and no fast paths; the position limit is ``max_position_embeddings`` where the config has one."""

    name = "generic"
