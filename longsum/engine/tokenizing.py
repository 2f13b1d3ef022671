"""Tokenizing documents of any length: only as much text as the input limit needs, and the full length counted
in chunks."""

from __future__ import annotations

from typing import Any

#: Characters per chunk when counting a long document's tokens: bounds the memory a count holds.
COUNT_CHUNK_CHARS = 1 << 20
#: Characters per token assumed for the first prefix tried; the prefix doubles until it holds enough tokens.
CHARS_PER_TOKEN = 8
#: Tokens beyond the limit a prefix must yield, so cutting the text cannot change the tokens that are kept.
MARGIN_TOKENS = 64


def _cut(text: str, start: int, size: int) -> int:
    """Where a chunk of ``text`` from ``start`` of about ``size`` characters ends: at a space, not inside a word."""
    end = start + size
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", start + size // 2, end)
    return space if space > start else end


def count_tokens(tokenizer: Any, text: str) -> int:
    """Tokens of ``text`` with the special tokens, counted chunk by chunk (each cut at a space).

    A tokenizer's truncation still tokenizes the whole text, and a second untruncated call holds a
    second full tokenization: a 50 MB record took minutes and gigabytes that way. Chunks cut at a space
    tokenize as they do inside the whole text for the whitespace-splitting tokenizers seq2seq models use.
    """
    total = tokenizer.num_special_tokens_to_add(pair=False)
    start = 0
    while start < len(text):
        end = _cut(text, start, COUNT_CHUNK_CHARS)
        total += len(tokenizer(text[start:end], add_special_tokens=False, verbose=False).input_ids)
        start = end + 1 if end < len(text) and text[end] == " " else end
    return total


def encode_bounded(tokenizer: Any, text: str, limit: int) -> tuple[list[int], int]:
    """The ids of ``text`` truncated to ``limit`` tokens, and its full length in tokens.

    Tokenizes a prefix of the text that grows until it yields ``limit`` tokens and a margin, so a
    document of any size costs the limit's worth of tokenizing here; only longer ones are then counted
    with ``count_tokens``.
    """
    size = (limit + MARGIN_TOKENS) * CHARS_PER_TOKEN
    while True:
        end = _cut(text, 0, size)
        prefix = text[:end]
        ids = tokenizer(prefix, verbose=False).input_ids
        if end == len(text):
            return (ids if len(ids) <= limit else _truncated(tokenizer, text, limit)), len(ids)
        if len(ids) > limit + MARGIN_TOKENS:
            return _truncated(tokenizer, prefix, limit), count_tokens(tokenizer, text)
        size *= 2


def _truncated(tokenizer: Any, text: str, limit: int) -> list[int]:
    # The tokenizer's own truncation, so the special tokens sit where the model expects them.
    return tokenizer(text, truncation=True, max_length=limit).input_ids
