"""Comparing two stored runs document by document: paired bootstrap and approximate randomization."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.metrics.rouge import ROUGE_TYPES
from longsum.metrics.significance import PairedComparison, compare_scores
from longsum.results.signature import score_signature
from longsum.results.storage import PredictionRecord
from longsum.runs.scoring import ScoredRecords, faithful_model, iter_pairs, score_stored


@dataclass(frozen=True)
class RunComparison:
    """System B against system A on the documents both scored."""

    shared: int
    only_a: int
    only_b: int
    metrics: dict[str, PairedComparison]
    samples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The comparison as plain data."""
        return {
            "shared_documents": self.shared,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "samples": self.samples,
            "seed": self.seed,
            "metrics": {name: c.to_dict() for name, c in self.metrics.items()},
        }


def compare_runs(a: ScoredRecords, b: ScoredRecords, scoring: ScoreSettings) -> RunComparison:
    """Paired bootstrap and approximate randomization of B - A for each ROUGE F1, over shared documents.

    Raises:
        LongsumError: the runs share no scored document.
    """
    shared = [doc_id for doc_id in a.scores if doc_id in b.scores]
    if not shared:
        raise LongsumError("the two runs share no scored document (ids differ?)")
    metrics = {
        rouge_type: compare_scores(
            np.array([a.scores[i][rouge_type].f for i in shared]),
            np.array([b.scores[i][rouge_type].f for i in shared]),
            samples=scoring.bootstrap_samples,
            confidence=scoring.confidence,
            seed=scoring.seed,
        )
        for rouge_type in ROUGE_TYPES
    }
    if a.faithfulness is not None and b.faithfulness is not None:
        # Paired over the shared documents both scored (an empty summary has no faithfulness score).
        fa, fb = a.faithfulness.scores, b.faithfulness.scores
        both = [i for i in shared if i in fa and i in fb]
        if both:
            metrics["faithfulness"] = compare_scores(
                np.array([fa[i] for i in both]),
                np.array([fb[i] for i in both]),
                samples=scoring.bootstrap_samples,
                confidence=scoring.confidence,
                seed=scoring.seed,
            )
    return RunComparison(
        shared=len(shared),
        only_a=len(a.scores) - len(shared),
        only_b=len(b.scores) - len(shared),
        metrics=metrics,
        samples=scoring.bootstrap_samples,
        seed=scoring.seed,
    )


def changed_predictions(a: list[PredictionRecord], b: list[PredictionRecord]) -> int:
    """How many documents of both runs have a different prediction in B than in A."""
    predictions = {record.id: record.prediction for record in a}
    return sum(record.id in predictions and predictions[record.id] != record.prediction for record in b)


def compare_files(run_a: Path, run_b: Path, scoring: ScoreSettings, dataset: str | None = None) -> dict[str, Any]:
    """Compare two stored runs document by document; the comparison as plain data with its signature.

    Args:
        dataset: the source documents, for ``--faithfulness`` (default: each run's own, from its run.json).

    Raises:
        LongsumError: a run is missing, malformed, or the runs share no scored document.
    """
    records_a, records_b = list(iter_pairs(run_a)), list(iter_pairs(run_b))
    a = score_stored(records_a, run_a, scoring, dataset)
    b = score_stored(records_b, run_b, scoring, dataset)
    comparison = compare_runs(a, b, scoring)
    return {
        "a": str(run_a),
        "b": str(run_b),
        **comparison.to_dict(),
        "changed_predictions": changed_predictions(records_a, records_b),
        "signature": score_signature(
            f"{run_a}~{run_b}",
            comparison.shared,
            scoring,
            {"tests": "paired-bootstrap+approx-randomization"},
            nli=faithful_model(a),
        ),
    }
