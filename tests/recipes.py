"""The reference recipes longsum's predictions are compared with, written out once: the evaluation loop of the
transformers docs (LongT5) and of the model cards (every family), which are one loop with different settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def recipe_predictions(
    model_dir: Path,
    texts: list[str],
    *,
    max_input: int,
    max_length: int,
    padding: str = "max_length",
    num_beams: int = 2,
    batch_size: int = 2,
    dtype: str = "float32",
    **generation: Any,
) -> list[str]:
    """The docs recipe and the model cards' evaluation loop: ``batch_size`` documents at a time, padded as
    ``padding`` says and truncated to ``max_input`` tokens, beam search with ``num_beams`` up to ``max_length``
    (``generation`` is passed to ``generate`` too), with the model loaded in ``dtype`` (a ``torch`` dtype name); LED with global attention on its first token, as its model
    cards set it.

    The transformers docs recipe for LongT5 is the default (``padding="max_length"``, two documents a batch); a
    model card's is ``padding="longest"``, and ``batch_size=1`` gives each document alone, unpadded.
    """
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).eval()
    predictions = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(
            texts[start : start + batch_size],
            max_length=max_input,
            padding=padding,
            truncation=True,
            return_tensors="pt",
        )
        extra = {}
        if model.config.model_type == "led":
            extra["global_attention_mask"] = torch.zeros_like(inputs.input_ids)
            extra["global_attention_mask"][:, 0] = 1
        with torch.no_grad():
            out = model.generate(
                inputs.input_ids,
                attention_mask=inputs.attention_mask,
                max_length=max_length,
                num_beams=num_beams,
                **extra,
                **generation,
            )
        predictions += tokenizer.batch_decode(out, skip_special_tokens=True)
    return predictions
