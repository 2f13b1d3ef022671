"""Decoding a decoder-only (causal LM) model as its plain recipe does, and turning its output into a prediction.

What is guaranteed: each prompt is decoded alone, unpadded, by ``model.generate(input_ids, generation_config=...)``
with the checkpoint's generation config, ``max_new_tokens`` and ``num_beams`` set and sampling off: the reference
recipe's own call (``generate`` drops the all-ones attention mask passed here, as it does the one it would build),
so every prediction equals the recipe's token for token on any device, whatever the batch it was planned in.

Why not decode several prompts at once: measured on this machine (torch 2.13 CPU, MKL, fp32), no batched decoding
gives the recipe's bits. MKL picks its kernel by a product's row count: a decode step's rows round one way in a
product of 1 row (greedy, the recipe's), another in products of 2 or 3 rows (2 beams), another from 4 rows on,
and mixed in between; the CPU SDPA decode kernel gives other bits when the batch x heads it is given grows, and
again when an attention mask is passed (left padding needs one). A left-padded batch of tiny Llamas gave the
recipe's tokens, but not its logits (2e-7 apart): on a near-tie a summary would flip. Prefilling each prompt alone
and decoding the batch from their caches meets the same products. Only per-prompt products (a ``bmm`` of one
prompt's rows, SDPA on one prompt's unpadded cache) round as the recipe does, which is decoding one prompt at a
time again; a faster exact path belongs with a load-time check of the device (as ``verification`` does for seq2seq).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from longsum.config import GenerationSettings
from longsum.engine.families.base import DEFAULT_INPUT_LIMIT
from longsum.engine.generation_config import effective_generation_config, generated_lengths

#: Config attributes naming a causal LM's context length, first found wins.
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_THINK_BLOCK = re.compile(re.escape(THINK_OPEN) + ".*?" + re.escape(THINK_CLOSE), re.DOTALL)


def context_limit(config: Any, requested: int | None) -> int:
    """The input limit in force for a causal LM (prompt and new tokens together): its own context length, at most
    ``requested`` when given (16,384 for a config that states none)."""
    own = next((v for key in CONTEXT_KEYS if isinstance(v := getattr(config, key, None), int) and v > 0), None)
    if own is None:
        return requested or DEFAULT_INPUT_LIMIT
    return min(own, requested) if requested else own


def causal_generation_config(
    base: Any, settings: GenerationSettings, max_new_tokens: int, stop: tuple[str, ...]
) -> Any:
    """The checkpoint's generation config with the user's overrides, ``max_new_tokens`` (``max_length``, which
    counts the prompt, is not used) and the stop strings; sampling off. ``generate`` fills what this leaves unset
    from the model's own generation config, as it does for the recipe's keyword arguments.

    Every end id the config lists stays in force (Llama 3 ends a turn with ``<|eot_id|>``, not its tokenizer's
    EOS); the pad id defaults to the first of them, as ``generate`` would pick.
    """
    config = effective_generation_config(base, replace(settings, max_length=None, max_new_tokens=max_new_tokens))
    config.stop_strings = list(stop) or None
    if config.pad_token_id is None and end_ids(config):
        config.pad_token_id = end_ids(config)[0]
    return config


def end_ids(config: Any) -> list[int]:
    """Every end id of a generation config (one, a list, or none)."""
    eos = config.eos_token_id
    return [] if eos is None else list(eos) if isinstance(eos, (list, tuple)) else [eos]


def generate_alone(model: Any, ids: list[int], config: Any, tokenizer: Any) -> Any:
    """The new token ids the recipe generates for one prompt: ``generate`` on it alone, unpadded."""
    import torch

    input_ids = torch.tensor([ids], device=model.device)
    stop = {"tokenizer": tokenizer} if config.stop_strings else {}
    with torch.inference_mode():
        out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), generation_config=config, **stop)
    return out[0, len(ids) :]


@dataclass(frozen=True)
class Decoded:
    """One generated summary: the prediction scored, the raw text it came from, and how the generation ended.

    Attributes:
        prediction: the text before the first stop string, without a reasoning trace.
        raw: the decoded text, whole.
        tokens: tokens generated up to and including the first end id.
        ended: whether an end id or a stop string ended it (``False``: ``max_new_tokens`` did).
    """

    prediction: str
    raw: str
    tokens: int
    ended: bool


def decode_output(new_ids: Any, tokenizer: Any, config: Any, stop: tuple[str, ...]) -> Decoded:
    """The prediction of one prompt's new ids (see ``Decoded``)."""
    (tokens, ended), *_ = generated_lengths(new_ids[None], end_ids(config), config.pad_token_id)
    raw = str(tokenizer.decode(new_ids[:tokens], skip_special_tokens=True))
    text, stopped = cut_at_stop(raw, stop)
    return Decoded(strip_reasoning(text), raw, tokens, ended or stopped)


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """The text before the first of the ``stop`` strings to appear, and whether one did."""
    found = [at for s in stop if (at := text.find(s)) >= 0]
    return (text[: min(found)], True) if found else (text, False)


def strip_reasoning(text: str) -> str:
    """``text`` without a reasoning trace: ``<think>...</think>`` blocks, everything up to a closing tag whose
    opening one the chat template wrote, and an unterminated trace at the start (a summary never reached)."""
    kept = _THINK_BLOCK.sub("", text)
    if THINK_CLOSE in kept:
        kept = kept.rpartition(THINK_CLOSE)[2]
    if kept.lstrip().startswith(THINK_OPEN):
        return ""
    return kept.lstrip() if kept != text else text
