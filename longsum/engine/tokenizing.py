"""Tokenizing documents of any length: only as much text as the input limit needs, and the full length counted
in chunks."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class TokenWindow:
    """The first (or last) tokens of a text, special tokens left out: all of them when it is short.

    Attributes:
        ids: their ids, in text order.
        starts: the character offset where each starts in the whole text; ``None`` for a tokenizer that gives no
            offsets (a slow one).
        total: the text's length in tokens when the window holds all of it, else ``None``.
    """

    ids: list[int]
    starts: list[int] | None
    total: int | None


def _cut_back(text: str, size: int) -> int:
    """Where a chunk of about ``size`` characters at the end of ``text`` starts: at a space, not inside a word."""
    begin = len(text) - size
    if begin <= 0:
        return 0
    space = text.find(" ", begin, begin + size // 2)
    return space if space >= 0 else begin


def token_window(tokenizer: Any, text: str, count: int, from_end: bool = False) -> TokenWindow:
    """The first ``count`` tokens of ``text`` (the last ones with ``from_end``), tokenizing only as much of it as
    they need and a margin, as ``encode_bounded`` does; all its tokens when that is the whole text."""
    size = (count + MARGIN_TOKENS) * CHARS_PER_TOKEN
    offsets = bool(getattr(tokenizer, "is_fast", False))
    while True:
        begin = _cut_back(text, size) if from_end else 0
        end = len(text) if from_end else _cut(text, 0, size)
        encoded = tokenizer(text[begin:end], add_special_tokens=False, return_offsets_mapping=offsets, verbose=False)
        ids = list(encoded.input_ids)
        whole = begin == 0 and end == len(text)
        if whole or len(ids) > count + MARGIN_TOKENS:
            # All of a text tokenized whole; else its first (last) ``count``.
            chosen = slice(None) if whole else slice(len(ids) - count, None) if from_end else slice(0, count)
            starts = [begin + start for start, _ in encoded.offset_mapping[chosen]] if offsets else None
            return TokenWindow(ids[chosen], starts, len(ids) if whole else None)
        size *= 2


def document_tokens(tokenizer: Any, text: str) -> int:
    """The length of ``text`` in tokens without special tokens, counted in chunks (see ``count_tokens``)."""
    return count_tokens(tokenizer, text) - tokenizer.num_special_tokens_to_add(pair=False)
