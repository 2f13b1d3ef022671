"""ROUGE from stored predictions: read prediction/reference pairs, score each document once, aggregate."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from longsum.config import DataSettings, ScoreSettings
from longsum.errors import LongsumError
from longsum.metrics.aggregation import Aggregate, aggregate
from longsum.metrics.length_buckets import LengthBucket, rouge_by_length
from longsum.metrics.rouge import DocumentScores, RougeScorer
from longsum.metrics.summary_stats import summarize_stats
from longsum.results.examples import select_examples
from longsum.results.faithfulness_log import faithfulness_path
from longsum.results.html_report import check_report_path, write_report
from longsum.results.schema import (
    METRICS_SCHEMA_VERSION,
    PREDICTIONS_SCHEMA_VERSION,
    FaithfulnessRecord,
    MetricsRecord,
    ScoresRecord,
    check_version,
)
from longsum.results.signature import score_signature
from longsum.results.storage import PREDICTIONS, PredictionRecord
from longsum.runs.faithfulness import FaithfulnessScores, score_faithfulness
from longsum.runs.metric_modules import compute_metric_modules, load_metric_modules, needs_sources
from longsum.runs.run_documents import documents_of, run_data
from longsum.sources.documents import read_jsonl

#: Field names tried, in order, in a JSON Lines file of predictions not written by longsum.
PREDICTION_FIELDS = ("prediction", "summary", "output", "generated", "hypothesis")
REFERENCE_FIELDS = ("reference", "abstract", "target", "gold", "highlights")


@dataclass
class RecordCounts:
    """What the records of a predictions file hold."""

    documents: int = 0
    truncated: int = 0
    empty_documents: int = 0
    empty_predictions: int = 0
    unscored: int = 0
    input_tokens: int = 0
    #: Records that say whether they ended with the end token, and those of them cut at the length limit.
    length_limited: int = 0
    cut_at_limit: int = 0
    #: A served model's records with ``usage``, their token totals, and prompts it refused as too long.
    usage_records: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    too_long: int = 0

    def usage(self) -> dict[str, int] | None:
        """The served model's usage totals as metrics.json holds them; ``None`` for other models."""
        if not (self.usage_records or self.too_long):
            return None
        return {
            "records": self.usage_records,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "too_long": self.too_long,
        }

    @property
    def cut_at_limit_share(self) -> float | None:
        """The share of summaries cut at the length limit, among those a limit applied to."""
        return self.cut_at_limit / self.length_limited if self.length_limited else None


@dataclass
class ScoredRecords:
    """Per-document ROUGE of a set of records (keyed by id), their counts, and the aggregate."""

    counts: RecordCounts
    scores: dict[str, DocumentScores] = field(default_factory=dict)
    rouge: dict[str, Aggregate] = field(default_factory=dict)
    #: ROUGE per input-length bucket (``analysis.rouge_by_length``).
    by_length: list[LengthBucket] = field(default_factory=list)
    #: Length and extractiveness statistics over the records that carry them (``analysis.summarize_stats``).
    statistics: dict[str, Any] = field(default_factory=dict)
    #: (input tokens, truncated) of every record, by id.
    lengths: dict[str, tuple[int, bool]] = field(default_factory=dict)
    #: ``--faithfulness``: per-document scores against the sources, and their aggregate (``faithfulness``).
    faithfulness: FaithfulnessScores | None = None
    faithfulness_record: FaithfulnessRecord | None = None

    def add_faithfulness(self, scores: FaithfulnessScores, scoring: ScoreSettings) -> None:
        """Attach per-document faithfulness scores and aggregate them over these records' lengths."""
        self.faithfulness = scores
        self.faithfulness_record = scores.to_record(self.lengths, scoring)

    def to_dict(self) -> ScoresRecord:
        """Scores (fractions in [0, 1]) and counts, as metrics.json holds them."""
        c = self.counts
        record: ScoresRecord = {
            "rouge": {t: a.to_dict() for t, a in self.rouge.items()},
            "documents": c.documents,
            "scored": c.documents - c.unscored,
            "truncated": c.truncated,
            "empty_documents": c.empty_documents,
            "empty_predictions": c.empty_predictions,
            "missing_references": c.unscored,
            "input_tokens": c.input_tokens,
            "cut_at_limit": c.cut_at_limit,
            "cut_at_limit_share": c.cut_at_limit_share,
            "by_length": self.by_length,
            "statistics": self.statistics,
            **({"faithfulness": self.faithfulness_record} if self.faithfulness_record else {}),
        }
        if (usage := c.usage()) is not None:
            record["usage"] = usage
        return record


def score_records(records: Iterable[PredictionRecord], scoring: ScoreSettings) -> ScoredRecords:
    """Score each record with a reference once, count them all, and aggregate with a seeded bootstrap."""
    scorer = RougeScorer(scoring.use_stemmer, scoring.sentence_splitter)
    result = ScoredRecords(RecordCounts())
    counts = result.counts
    lengths = result.lengths
    stats: list[dict[str, Any]] = []
    for record in records:
        lengths[record.id] = (record.input_tokens, record.truncated)
        if record.stats is not None:
            stats.append(record.stats)
        counts.documents += 1
        counts.truncated += record.truncated
        # Files not written by longsum carry no token counts (-1); longsum writes 0 for an empty document.
        counts.input_tokens += max(0, record.input_tokens)
        counts.empty_documents += record.input_tokens == 0
        counts.empty_predictions += not record.prediction.strip()
        if record.ended_with_eos is not None:
            counts.length_limited += 1
            counts.cut_at_limit += not record.ended_with_eos
        if record.usage:
            counts.usage_records += 1
            counts.prompt_tokens += record.usage.get("prompt_tokens", 0)
            counts.completion_tokens += record.usage.get("completion_tokens", 0)
        counts.too_long += record.too_long
        if record.reference is None or not record.reference.strip():
            counts.unscored += 1
        else:
            result.scores[record.id] = scorer.score(record.prediction, record.reference)
    result.rouge = aggregate(
        list(result.scores.values()),
        samples=scoring.bootstrap_samples,
        confidence=scoring.confidence,
        seed=scoring.seed,
    )
    result.by_length = rouge_by_length(lengths, result.scores, scoring)
    result.statistics = summarize_stats(stats)
    return result


def faithful_model(scored: ScoredRecords) -> str | None:
    """The NLI model (``name@revision``) behind the records' faithfulness scores, for the signature."""
    return scored.faithfulness.model if scored.faithfulness else None


def _pick(fields: Iterable[str], candidates: tuple[str, ...], what: str, path: Path) -> str:
    names = list(fields)
    found = next((c for c in candidates if c in names), None)
    if found is None:
        raise LongsumError(f"{path}: no {what} field (looked for {', '.join(candidates)}); fields: {', '.join(names)}")
    return found


def _jsonl_pairs(path: Path) -> Iterator[PredictionRecord]:
    fields: tuple[str, str] | None = None
    for number, data in enumerate(read_jsonl(path, None)):
        # Files written elsewhere carry no version; a longsum file of a newer schema is refused.
        check_version(data, PREDICTIONS_SCHEMA_VERSION, path)
        if fields is None:
            fields = (
                _pick(data, PREDICTION_FIELDS, "prediction", path),
                _pick(data, REFERENCE_FIELDS, "reference", path),
            )
        prediction, reference = data.get(fields[0]), data.get(fields[1])
        yield PredictionRecord(
            id=str(data.get("id", number)),
            prediction="" if prediction is None else str(prediction),
            reference=None if reference is None else str(reference),
            input_tokens=int(data.get("input_tokens", -1)),
            truncated=bool(data.get("truncated", False)),
            stats=data.get("stats") if isinstance(data.get("stats"), dict) else None,
            generated_tokens=data.get("generated_tokens"),
            ended_with_eos=data.get("ended_with_eos"),
        )


def _line_pairs(predictions: Path, references: Path) -> Iterator[PredictionRecord]:
    with predictions.open(encoding="utf-8") as pred, references.open(encoding="utf-8") as ref:
        for number, (p, r) in enumerate(zip_longest(pred, ref)):
            if p is None or r is None:
                raise LongsumError(f"{predictions} and {references} have different numbers of lines")
            yield PredictionRecord(str(number), p.rstrip("\n"), r.rstrip("\n"), -1, False)


def predictions_path(run: Path) -> Path:
    """The predictions file of ``run``: the file itself, or ``predictions.jsonl`` inside a run directory.

    Raises:
        LongsumError: nothing is there.
    """
    path = run / PREDICTIONS if run.is_dir() else run
    if not path.exists():
        raise LongsumError(f"predictions not found: {path}")
    return path


def iter_pairs(predictions: Path, references: Path | None = None) -> Iterator[PredictionRecord]:
    """Prediction/reference records from a predictions JSON Lines file (or run directory), or from two
    plain-text files with one summary per line.

    Raises:
        LongsumError: a file is missing or malformed, or the fields cannot be found.
    """
    path = predictions_path(predictions)
    if references is None:
        return _jsonl_pairs(path)
    if not references.exists():
        raise LongsumError(f"references not found: {references}")
    return _line_pairs(path, references)


def add_faithfulness(
    scored: ScoredRecords,
    records: Iterable[PredictionRecord],
    data: DataSettings,
    side_file: Path,
    scoring: ScoreSettings,
    device: str,
) -> None:
    """Score ``records`` against their documents in ``data`` (``--faithfulness``; nothing without it), resuming from
    ``side_file``, and attach the scores to ``scored``.

    Raises:
        LongsumError: the documents or the NLI model cannot be loaded.
    """
    if scoring.faithfulness is None:
        return
    documents = documents_of(data, set(scored.lengths))
    scored.add_faithfulness(score_faithfulness(records, documents, scoring, side_file, device), scoring)


def score_stored(
    records: list[PredictionRecord], predictions: Path, scoring: ScoreSettings, dataset: str | None
) -> ScoredRecords:
    """``score_records`` on the ``records`` read from ``predictions``, plus their faithfulness when asked
    (resumed from the side file beside them, with the documents of ``dataset`` or of the run's run.json).

    Raises:
        LongsumError: the files are missing or malformed, or the documents or the NLI model cannot be loaded.
    """
    scored = score_records(records, scoring)
    if scoring.faithfulness is not None:
        from longsum.engine.nli import default_device

        side_file = faithfulness_path(predictions_path(predictions))
        data = run_data(predictions, dataset, "--faithfulness")
        add_faithfulness(scored, records, data, side_file, scoring, default_device())
    return scored


def score_file(
    predictions: Path,
    references: Path | None,
    scoring: ScoreSettings,
    report: Path | None = None,
    examples: int = 0,
    dataset: str | None = None,
) -> MetricsRecord:
    """Score stored predictions; the metrics dict in eval's form (model and timing fields left out).

    Args:
        report: also write the HTML report here.
        examples: how many summaries to keep beside their references (``results.examples``).
        dataset: where the source documents are, for ``--faithfulness`` and metrics that take ``sources``
            (default: the dataset the run recorded in its run.json).

    Raises:
        LongsumError: the files are missing or malformed, or the documents a score needs cannot be read.
    """
    check_report_path(report)
    modules = load_metric_modules(scoring.metrics)
    records = list(iter_pairs(predictions, references))
    scored = score_stored(records, predictions, scoring, dataset)
    sources = None
    if any(needs_sources(m) for m in modules):
        sources = documents_of(run_data(predictions, dataset, "a --metric that takes sources"), set(scored.lengths))
    extra, warnings = compute_metric_modules(modules, records, sources)
    metrics: MetricsRecord = {
        "schema_version": METRICS_SCHEMA_VERSION,
        **scored.to_dict(),
        "config": {
            "scoring": asdict(scoring),
            "predictions": str(predictions),
            "references": str(references) if references else None,
        },
        "signature": score_signature(str(predictions), scored.counts.documents, scoring, nli=faithful_model(scored)),
        **({"evaluate": extra} if extra else {}),
        **({"warnings": warnings} if warnings else {}),
    }
    chosen = select_examples(iter_pairs(predictions, references), scored.scores, examples)
    if chosen:
        metrics["examples"] = chosen
    if report is not None:
        write_report(report, metrics, iter_pairs(predictions, references), scored.scores)
    return metrics
