"""Example summaries beside their references: chosen deterministically by ROUGE-1, labelled by their place."""

from __future__ import annotations

import math
from collections.abc import Iterable

from longsum.metrics.rouge import DocumentScores
from longsum.results.schema import ExampleRecord
from longsum.results.storage import PredictionRecord

#: The first examples' places in the ROUGE-1 ranking, as quantiles (the lower median of an even count).
PLACES = (("median", 0.5), ("lowest", 0.0), ("highest", 1.0), ("lower quartile", 0.25), ("upper quartile", 0.75))


def example_ids(scores: dict[str, DocumentScores], count: int) -> list[tuple[str, str]]:
    """(label, document id) of up to ``count`` scored documents, each at most once: the median, the lowest, the
    highest and the quartiles by ROUGE-1, then ranks spread evenly over the documents not yet shown.

    Documents are ranked by ROUGE-1 F1, ties by id, so the same scores give the same examples.
    """
    ranked = sorted(scores, key=lambda doc_id: (scores[doc_id]["rouge1"].f, doc_id))
    chosen: dict[int, str] = {}
    for label, quantile in PLACES[:count]:
        if ranked:
            chosen.setdefault(math.floor(quantile * (len(ranked) - 1)), f"{label} ROUGE-1")
    rest = [index for index in range(len(ranked)) if index not in chosen]
    extra = min(count - len(chosen), len(rest))
    for step in range(max(0, extra)):
        index = rest[math.floor((step + 0.5) * len(rest) / extra)]
        chosen[index] = f"ROUGE-1 rank {index + 1} of {len(ranked)}"
    return [(label, ranked[index]) for index, label in chosen.items()]


def select_examples(
    records: Iterable[PredictionRecord], scores: dict[str, DocumentScores], count: int
) -> list[ExampleRecord]:
    """The examples ``example_ids`` chooses, with their texts, read from ``records`` (streamed once)."""
    wanted = dict((doc_id, label) for label, doc_id in example_ids(scores, count))
    found: dict[str, ExampleRecord] = {}
    for record in records:
        if record.id in wanted:
            found[record.id] = {
                "label": wanted[record.id],
                "id": record.id,
                "prediction": record.prediction,
                "reference": record.reference or "",
                "rouge1": scores[record.id]["rouge1"].f,
                "input_tokens": record.input_tokens,
                "truncated": record.truncated,
            }
    return [found[doc_id] for doc_id in wanted if doc_id in found]
