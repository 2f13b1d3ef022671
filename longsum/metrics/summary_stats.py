"""Per-document statistics of summaries: length, extractiveness, novelty and repetition, and their means."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from longsum.metrics.extractiveness import (
    extractiveness,
    ngrams,
    novel_ngram_rate,
    repeated_ngram_rate,
    words,
)
from longsum.metrics.sentences import SPLITTERS

#: A prediction is counted as repetitive when at least this share of its trigrams repeat an earlier one.
REPETITIVE_SHARE = 0.5
NOVEL_NGRAM_ORDERS = (1, 2, 3)
#: Per-summary statistics, in the order tables show them.
SUMMARY_FIELDS = (
    "words",
    "sentences",
    "compression",
    "coverage",
    "density",
    "novel_1",
    "novel_2",
    "novel_3",
    "repeated_3",
)


def summary_stats(
    source_words: Sequence[str], source_ngrams: dict[int, set[Any]], text: str, splitter: str
) -> dict[str, Any]:
    """Length, extractiveness, novelty and repetition of one summary against its source.

    ``source_ngrams`` holds the source's n-gram set per order in ``NOVEL_NGRAM_ORDERS``, built
    once for the prediction and the reference of a document.
    """
    tokens = words(text)
    measures = extractiveness(source_words, tokens)
    stats: dict[str, Any] = {
        "words": len(tokens),
        "sentences": len(SPLITTERS[splitter](text)),
        "compression": measures.compression if measures else None,
        "coverage": measures.coverage if measures else None,
        "density": measures.density if measures else None,
    }
    for n in NOVEL_NGRAM_ORDERS:
        stats[f"novel_{n}"] = novel_ngram_rate(source_ngrams[n], tokens, n)
    stats["repeated_3"] = repeated_ngram_rate(tokens, 3)
    return stats


def document_stats(source: str, prediction: str, reference: str | None, splitter: str = "punkt") -> dict[str, Any]:
    """The statistics stored with a prediction: source length, and those of the prediction and the reference."""
    source_words = words(source)
    grams = {n: set(ngrams(source_words, n)) for n in NOVEL_NGRAM_ORDERS}
    stats: dict[str, Any] = {
        "source_words": len(source_words),
        "prediction": summary_stats(source_words, grams, prediction, splitter),
    }
    if reference is not None and reference.strip():
        stats["reference"] = summary_stats(source_words, grams, reference, splitter)
    return stats


def _describe(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"mean": statistics.fmean(values), "median": statistics.median(values)}


def side_values(stats: Iterable[dict[str, Any]], side: str, field: str) -> list[float]:
    """The defined values of one field of the prediction or reference statistics."""
    values = (s.get(side, {}).get(field) for s in stats)
    return [float(v) for v in values if v is not None]


def summarize_stats(stats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and median of each statistic over documents, and the shares of empty and repetitive predictions.

    Documents whose records carry no statistics (predictions written elsewhere) are not counted.
    """
    if not stats:
        return {}
    empty = sum(s["prediction"]["words"] == 0 for s in stats)
    repeats = side_values(stats, "prediction", "repeated_3")
    return {
        "documents": len(stats),
        "source_words": _describe([float(s["source_words"]) for s in stats]),
        "prediction": {f: _describe(side_values(stats, "prediction", f)) for f in SUMMARY_FIELDS},
        "reference": {f: _describe(side_values(stats, "reference", f)) for f in SUMMARY_FIELDS},
        "empty_predictions": empty / len(stats),
        "repetitive_predictions": sum(r >= REPETITIVE_SHARE for r in repeats) / len(stats),
        "repetitive_threshold": REPETITIVE_SHARE,
    }
