"""ROUGE-1/2/L/Lsum of one prediction against one reference, through Google's rouge-score."""

from __future__ import annotations

from dataclasses import dataclass

from longsum.metrics.sentences import one_sentence_per_line

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of one ROUGE type on one document, as fractions in [0, 1]."""

    p: float
    r: float
    f: float


DocumentScores = dict[str, Score]


class RougeScorer:
    """Scores prediction/reference pairs; the same numbers as ``evaluate``'s rouge per document.

    Both texts are put one sentence per line first. Only rougeLsum sees the line breaks:
    rouge-score's tokenizer treats them as spaces for the other types.
    """

    def __init__(self, use_stemmer: bool = False, sentence_splitter: str = "punkt") -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
        self._splitter = sentence_splitter

    def score(self, prediction: str, reference: str) -> DocumentScores:
        """ROUGE of ``prediction`` against ``reference`` for every type in ``ROUGE_TYPES``."""
        scores = self._scorer.score(
            one_sentence_per_line(reference, self._splitter), one_sentence_per_line(prediction, self._splitter)
        )
        return {t: Score(s.precision, s.recall, s.fmeasure) for t, s in scores.items()}
