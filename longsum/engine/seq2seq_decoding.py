"""Decoding an encoder-decoder model as longsum does: each input encoded alone, unpadded, and only the encoder
outputs padded for batched beam search, with a family's fast paths engaged."""

from __future__ import annotations

import contextlib
from typing import Any

from longsum.engine.families import Family, FastPath
from longsum.engine.fast_paths import decoding_cache, fast_paths


def padded(rows: list[Any], length: int, pad_token_id: int) -> tuple[Any, Any]:
    """Stack 1-D id tensors (filled with ``pad_token_id``) or 2-D hidden-state tensors (filled with 0),
    right-padded to ``length``, with their attention mask."""
    import torch

    first = rows[0]
    shape = (len(rows), length, *first.shape[1:])
    fill = pad_token_id if first.dim() == 1 else 0
    stacked = torch.full(shape, fill, dtype=first.dtype, device=first.device)
    mask = torch.zeros(len(rows), length, dtype=torch.long, device=first.device)
    for i, row in enumerate(rows):
        stacked[i, : row.shape[0]] = row
        mask[i, : row.shape[0]] = 1
    return stacked, mask


def encode_alone_decode_padded(
    model: Any,
    family: Family,
    rows: list[Any],
    paths: list[FastPath],
    generation_config: Any,
    recipe_length: int | None = None,
) -> tuple[Any, Any, Any]:
    """Encoder outputs (padded), their mask and the beam-search tokens of unpadded id ``rows``, each encoded
    alone, with ``paths`` engaged; with ``recipe_length``, the paths round as the recipe's inputs padded to it."""
    from transformers.modeling_outputs import BaseModelOutput

    beams = generation_config.num_beams or 1
    # The decoder start token and every new token but the last pass through the self-attention cache.
    new = generation_config.max_new_tokens
    cache = decoding_cache(paths, beams, new + 1 if new is not None else generation_config.max_length)
    shared_cache = {"cache": cache} if cache is not None else {}
    padding = family.padded_like(recipe_length) if recipe_length is not None else contextlib.nullcontext()
    with fast_paths(model, paths), padding:
        encoder = model.get_encoder()
        hidden = [
            encoder(input_ids=row[None], **family.encoder_inputs(row[None], None)).last_hidden_state[0] for row in rows
        ]
        states, mask = padded(hidden, max(row.shape[0] for row in rows), 0)
        out = model.generate(
            encoder_outputs=BaseModelOutput(last_hidden_state=states),
            attention_mask=mask,
            generation_config=generation_config,
            **shared_cache,
        )
    return states, mask, out
