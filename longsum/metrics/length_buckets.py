"""Scores by input length: the length buckets and ROUGE with a confidence interval in each."""

from __future__ import annotations

from dataclasses import asdict
from itertools import pairwise
from typing import Any, TypedDict

from longsum.config import ScoreSettings
from longsum.metrics.aggregation import AggregateRecord, aggregate, mean_interval
from longsum.metrics.rouge import DocumentScores

#: Upper edges (inclusive, in model input tokens) of the length buckets; longer untruncated inputs
#: fall in one more bucket, truncated ones in their own whatever their length.
LENGTH_EDGES = (2048, 4096, 8192, 16384)
TRUNCATED = "truncated"


class LengthBucket(TypedDict):
    """ROUGE over the documents whose input length falls in one bucket, as metrics.json holds it."""

    bucket: str
    documents: int
    rouge: dict[str, AggregateRecord]


def _k(tokens: int) -> str:
    return f"{tokens // 1024}k"


def bucket_labels() -> list[str]:
    """Every bucket label, shortest inputs first."""
    edges = [_k(e) for e in LENGTH_EDGES]
    middle = [f"{low}-{high}" for low, high in pairwise(edges)]
    return [f"<={edges[0]}", *middle, f">{edges[-1]}", TRUNCATED]


def length_bucket(input_tokens: int, truncated: bool) -> str | None:
    """The bucket of an input of ``input_tokens`` model tokens; ``None`` when its length is unknown (-1)."""
    if truncated:
        return TRUNCATED
    if input_tokens < 0:
        return None
    labels = bucket_labels()
    for label, edge in zip(labels, LENGTH_EDGES, strict=False):
        if input_tokens <= edge:
            return label
    return labels[len(LENGTH_EDGES)]


def rouge_by_length(
    lengths: dict[str, tuple[int, bool]], scores: dict[str, DocumentScores], scoring: ScoreSettings
) -> list[LengthBucket]:
    """ROUGE per input-length bucket, with document counts; buckets without a scored document are left out.

    Args:
        lengths: (input tokens, truncated) per document id.
        scores: per-document ROUGE of the scored documents.
        scoring: bootstrap settings for each bucket's CI.
    """
    members: dict[str, list[DocumentScores]] = {label: [] for label in bucket_labels()}
    for doc_id, doc_scores in scores.items():
        label = length_bucket(*lengths[doc_id])
        if label is not None:
            members[label].append(doc_scores)
    return [
        {
            "bucket": label,
            "documents": len(docs),
            "rouge": {
                t: a.to_dict()
                for t, a in aggregate(
                    docs, samples=scoring.bootstrap_samples, confidence=scoring.confidence, seed=scoring.seed
                ).items()
            },
        }
        for label, docs in members.items()
        if docs
    ]


def means_by_length(
    lengths: dict[str, tuple[int, bool]], values: dict[str, float], scoring: ScoreSettings
) -> list[dict[str, Any]]:
    """The mean of a per-document score per input-length bucket, with its CI (buckets without a score left out).

    Returns:
        ``{"bucket", "documents", "mean", "low", "high"}`` per bucket, shortest inputs first.
    """
    members: dict[str, list[float]] = {label: [] for label in bucket_labels()}
    for doc_id, value in values.items():
        label = length_bucket(*lengths.get(doc_id, (-1, False)))
        if label is not None:
            members[label].append(value)
    buckets = []
    for label, scores in members.items():
        interval = mean_interval(
            scores, samples=scoring.bootstrap_samples, confidence=scoring.confidence, seed=scoring.seed
        )
        if interval is not None:
            buckets.append({"bucket": label, "documents": len(scores), **asdict(interval)})
    return buckets
