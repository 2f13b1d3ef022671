"""``--faithfulness``: each summary scored against its source by an NLI model, one document at a time, the scores
kept in faithfulness.jsonl so a killed pass resumes where it stopped; the aggregate with its CI and length buckets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from longsum.config import FaithfulnessMethod, ScoreSettings
from longsum.engine.nli import NliModel, load_nli
from longsum.engine.prompting import short_sha256
from longsum.metrics.aggregation import mean_interval
from longsum.metrics.faithfulness import SCALES, document_score, pairing
from longsum.metrics.length_buckets import means_by_length
from longsum.results.faithfulness_log import FaithfulnessLog, faithfulness_line, read_scores
from longsum.results.schema import FaithfulnessRecord
from longsum.results.storage import PredictionRecord
from longsum.sources.documents import Document


@dataclass
class FaithfulnessScores:
    """Per-document faithfulness of a set of predictions, by id, and what they were scored with."""

    model: str
    method: FaithfulnessMethod
    scores: dict[str, float] = field(default_factory=dict)
    #: Predictions without a score: an empty summary or source, or no document of that id in the dataset.
    unscored: int = 0
    #: NLI pairs classified by this pass (none for documents read back from the side file).
    pairs: int = 0

    def to_record(self, lengths: dict[str, tuple[int, bool]], scoring: ScoreSettings) -> FaithfulnessRecord:
        """The metrics.json form: the mean with its bootstrap CI, overall and per input-length bucket."""
        interval = mean_interval(
            list(self.scores.values()),
            samples=scoring.bootstrap_samples,
            confidence=scoring.confidence,
            seed=scoring.seed,
        )
        return FaithfulnessRecord(
            model=self.model,
            method=self.method,
            scale=list(SCALES[self.method]),
            documents=len(self.scores),
            unscored=self.unscored,
            mean=interval.mean if interval else None,
            low=interval.low if interval else None,
            high=interval.high if interval else None,
            by_length=means_by_length(lengths, self.scores, scoring),  # type: ignore[typeddict-item]
        )


def score_document(
    nli: NliModel, source: str, summary: str, method: FaithfulnessMethod
) -> tuple[float | None, int, int]:
    """One summary's score against its source, with its sentence and block counts; ``None`` when either is empty.

    The pairs of one document are batched together and alone, so its score does not depend on its neighbours.
    """
    paired = pairing(source, summary, method, nli.count_tokens, nli.block_budget())
    if not paired.blocks or not paired.sentences:
        return None, len(paired.sentences), len(paired.blocks)
    probabilities = nli.probabilities(paired.pairs()).reshape(len(paired.blocks), len(paired.sentences), 3)
    return document_score(probabilities, method), len(paired.sentences), len(paired.blocks)


def pair_digest(source: str, summary: str) -> str:
    """What a stored score was computed on: the short SHA-256 of the source and the summary, so a score is reused
    only for the same texts (a run started over, or edited predictions, are scored again)."""
    return short_sha256(f"{len(source)}:{source}{summary}")


def score_faithfulness(
    records: Iterable[PredictionRecord],
    documents: Iterable[Document],
    scoring: ScoreSettings,
    side_file: Path,
    device: str,
    nli: NliModel | None = None,
) -> FaithfulnessScores:
    """Score each prediction against its document, skipping those ``side_file`` already holds for this model, method
    and texts, and append each new score to it durably.

    Args:
        records: the predictions (only their ids and texts are kept in memory).
        documents: the source documents, streamed; those of no prediction are passed over.
        scoring: names the NLI model (``faithfulness``, which must be set) and the method.
        device: where the NLI model runs (the run's device).
        nli: an NLI model already loaded (loaded from ``scoring.faithfulness`` when ``None``).

    Raises:
        LongsumError: the NLI model cannot be loaded or is no NLI classifier, or the side file cannot be written.
    """
    assert scoring.faithfulness is not None, "score_faithfulness needs scoring.faithfulness"
    nli = nli or load_nli(scoring.faithfulness, device)
    method = scoring.faithfulness_method
    predictions = {r.id: r.prediction for r in records}
    done = read_scores(side_file, nli.label, method)
    result = FaithfulnessScores(nli.label, method)
    log = FaithfulnessLog(side_file)
    try:
        for document in documents:
            summary = predictions.pop(document.id, None)
            if summary is None:
                continue
            texts = pair_digest(document.text, summary)
            line = done.get(document.id)
            if line is None or line.get("texts") != texts:
                score, sentences, blocks = score_document(nli, document.text, summary, method)
                result.pairs += sentences * blocks
                line = faithfulness_line(document.id, nli.label, method, texts, score, sentences, blocks)
                log.append(line)
            if line["score"] is None:
                result.unscored += 1
            else:
                result.scores[document.id] = line["score"]
    finally:
        log.close()
    # Predictions whose id no document had.
    result.unscored += len(predictions)
    return result
