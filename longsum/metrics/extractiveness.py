"""How a summary relates to its source: extractive fragments, coverage, density, compression, novel n-grams.

Coverage, density and compression follow Grusky, Naaman and Artzi, "Newsroom" (NAACL 2018): the
summary is covered greedily by the longest shared word sequences ("fragments") with the source;
coverage is the share of summary words inside a fragment, density the mean squared fragment
length per summary word (the average length of the fragment a word belongs to), compression the
source length over the summary length. Words are rouge-score's tokens (lower-cased alphanumeric
runs), so these statistics do not depend on the model's tokenizer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


def words(text: str) -> list[str]:
    """rouge-score's tokens of ``text``: lower-cased runs of letters and digits."""
    from rouge_score import tokenize

    return tokenize.tokenize(text, None)


def fragments(source: Sequence[str], summary: Sequence[str]) -> list[int]:
    """Lengths of the extractive fragments of ``summary`` in ``source``, in summary order.

    Newsroom's greedy procedure: at each summary position take the longest source match, scanning
    the source left to right and resuming each scan after the previous match, then skip past it.
    Summary words found nowhere in the source form no fragment. An index of the source's word
    positions replaces the paper's full scan of the source for every summary word; the matches
    tried, and so the fragments, are the same.
    """
    # Words as small ints: the matching loop compares them many times over.
    codes: dict[str, int] = {}
    text = [codes.setdefault(word, len(codes)) for word in source]
    short = [codes.get(word, -1) for word in summary]
    positions: dict[int, list[int]] = defaultdict(list)
    for j, code in enumerate(text):
        positions[code].append(j)
    found: list[int] = []
    i = 0
    while i < len(short):
        best = 0
        resume_at = 0
        for j in positions.get(short[i], ()):
            if j < resume_at:
                continue
            length = 0
            while i + length < len(short) and j + length < len(text) and short[i + length] == text[j + length]:
                length += 1
            best = max(best, length)
            resume_at = j + length
        if best:
            found.append(best)
        i += max(best, 1)
    return found


@dataclass(frozen=True)
class Extractiveness:
    """Newsroom's three measures of one summary against its source."""

    coverage: float
    density: float
    compression: float


def extractiveness(source: Sequence[str], summary: Sequence[str]) -> Extractiveness | None:
    """Coverage, density and compression of ``summary``; ``None`` when either text has no words."""
    if not source or not summary:
        return None
    lengths = fragments(source, summary)
    n = len(summary)
    return Extractiveness(
        coverage=sum(lengths) / n,
        density=sum(k * k for k in lengths) / n,
        compression=len(source) / n,
    )


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The n-grams of ``tokens`` in order, repeats kept."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def novel_ngram_rate(source: Sequence[str] | set[tuple[str, ...]], summary: Sequence[str], n: int) -> float | None:
    """Share of the summary's n-grams (repeats counted) that never occur in the source; ``None`` when it has none.

    ``source`` is the source's words, or the set of its n-grams when several summaries share it.
    """
    grams = ngrams(summary, n)
    if not grams:
        return None
    seen = source if isinstance(source, set) else set(ngrams(source, n))
    return sum(g not in seen for g in grams) / len(grams)


def repeated_ngram_rate(tokens: Sequence[str], n: int) -> float | None:
    """Share of the n-grams of ``tokens`` that repeat an earlier one of the same text; ``None`` when it has none.

    A fluent abstract scores near 0; a decoder stuck in a loop ("the cell the cell the cell")
    scores near 1.
    """
    grams = ngrams(tokens, n)
    if not grams:
        return None
    return 1 - len(set(grams)) / len(grams)
