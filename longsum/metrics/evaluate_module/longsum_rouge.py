"""longsum's ROUGE as a Hugging Face ``evaluate`` module: ``evaluate.load(longsum.ROUGE_MODULE)``.

The numbers are ``longsum score``'s: rouge-score per document after an explicit sentence split for
rougeLsum, the plain mean as the headline, and a seeded percentile bootstrap CI. (``evaluate``'s own
rouge aggregates with an unseeded bootstrap median and splits no sentences.) This file is package data
that ``evaluate`` copies and imports; it is not part of longsum's import graph.
"""

from typing import Any

import datasets
import evaluate

from longsum.metrics.aggregation import aggregate
from longsum.metrics.rouge import RougeScorer
from longsum.metrics.sentences import splitter_id

_DESCRIPTION = "ROUGE-1/2/L/Lsum F1, precision and recall as longsum computes them, with a seeded bootstrap CI of F1."
_KWARGS = """
Args:
    predictions: summaries to score.
    references: one reference summary per prediction.
    use_stemmer: Porter-stem tokens before matching (default False).
    sentence_splitter: how rougeLsum splits sentences, "punkt" or "newline" (default "punkt").
    bootstrap_samples: resamples of the CI (default 1000).
    confidence: width of the CI (default 0.95).
    seed: seed of the bootstrap (default 0).
Returns:
    for each of rouge1, rouge2, rougeL, rougeLsum: NAME (mean F1), NAME_precision, NAME_recall, NAME_low and
    NAME_high (the CI of F1), all fractions in [0, 1]; and "signature", the settings behind them.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class LongsumRouge(evaluate.Metric):
    """longsum's ROUGE."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Lin, ROUGE: A Package for Automatic Evaluation of Summaries, 2004.",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        use_stemmer: bool = False,
        sentence_splitter: str = "punkt",
        bootstrap_samples: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> dict[str, Any]:
        scorer = RougeScorer(use_stemmer, sentence_splitter)
        scores = [scorer.score(p, r) for p, r in zip(predictions, references, strict=True)]
        results: dict[str, Any] = {}
        for name, a in aggregate(scores, samples=bootstrap_samples, confidence=confidence, seed=seed).items():
            results.update(
                {
                    name: a.f,
                    f"{name}_precision": a.p,
                    f"{name}_recall": a.r,
                    f"{name}_low": a.f_low,
                    f"{name}_high": a.f_high,
                }
            )
        results["signature"] = (
            f"n:{len(scores)}|stem:{'yes' if use_stemmer else 'no'}|lsum:{splitter_id(sentence_splitter)}"
            f"|boot:{bootstrap_samples}@{confidence}|seed:{seed}"
        )
        return results
