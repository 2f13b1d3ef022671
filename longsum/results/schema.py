"""The files users and CI jobs parse: metrics.json, run.json, the records of predictions.jsonl and the bench
JSON, as typed records with a ``schema_version`` each; the writers build them and the readers check them.

``docs/output-files.md`` describes every field. A file without ``schema_version`` was written before the field
existed and reads as version 1 (its fields are the same); a file of a newer version than this longsum knows is
refused with one line naming the version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict, TypeVar, cast

from longsum.config import FaithfulnessMethod
from longsum.errors import LongsumError
from longsum.metrics.aggregation import AggregateRecord
from longsum.metrics.length_buckets import LengthBucket

#: The version of each file's layout; bumped when a field changes meaning or goes away (not when one is added).
METRICS_SCHEMA_VERSION = 1
RUN_SCHEMA_VERSION = 1
PREDICTIONS_SCHEMA_VERSION = 1
#: 2: the probe's bandwidth is read with decoding's kernel (``machine.bandwidth_*``; version 1 had ``copy_bytes``).
BENCH_SCHEMA_VERSION = 2
FAITHFULNESS_SCHEMA_VERSION = 1


class ExampleRecord(TypedDict):
    """A summary shown beside its reference, labelled by its place in the ROUGE-1 ranking."""

    label: str
    id: str
    prediction: str
    reference: str
    #: ROUGE-1 F1 of this document, a fraction in [0, 1].
    rouge1: float
    input_tokens: int
    truncated: bool


class ScoresRecord(TypedDict, total=False):
    """What scoring stored predictions gives: the part of metrics.json that ``score`` writes too."""

    schema_version: int
    rouge: dict[str, AggregateRecord]
    documents: int
    scored: int
    truncated: int
    empty_documents: int
    empty_predictions: int
    missing_references: int
    input_tokens: int
    cut_at_limit: int
    cut_at_limit_share: float | None
    by_length: list[LengthBucket]
    statistics: dict[str, Any]
    config: dict[str, Any]
    signature: str
    warnings: list[str]
    #: Results of the ``--metric`` modules by name.
    evaluate: dict[str, Any]
    #: Summaries beside their references (``--examples``), chosen by ROUGE-1.
    examples: list[ExampleRecord]
    #: ``--faithfulness``: the NLI score of the summaries against their sources.
    faithfulness: FaithfulnessRecord
    #: A served model's token totals over the records (``records``, ``prompt_tokens``, ``completion_tokens``,
    #: ``too_long``), with ``estimated_cost`` when prices were given.
    usage: dict[str, Any]


class FaithfulnessBucket(TypedDict):
    """The faithfulness of the documents in one input-length bucket."""

    bucket: str
    documents: int
    mean: float
    low: float
    high: float


class FaithfulnessRecord(TypedDict):
    """``faithfulness`` in metrics.json: the NLI model, the method, the mean score with its bootstrap CI."""

    #: ``name@revision``: a local checkpoint's content fingerprint, or the hub commit.
    model: str
    method: FaithfulnessMethod
    #: The method's (bottom, top): [-1, 1] for summac-zs, [0, 1] for align.
    scale: list[float]
    documents: int
    #: Documents with no score: an empty summary or source, or no document found for the prediction's id.
    unscored: int
    mean: float | None
    low: float | None
    high: float | None
    by_length: list[FaithfulnessBucket]


class FaithfulnessLine(TypedDict):
    """One line of faithfulness.jsonl, the per-document scores kept beside predictions.jsonl."""

    schema_version: int
    id: str
    #: ``name@revision`` of the NLI model, and the method: a line counts only for the same pair.
    model: str
    method: FaithfulnessMethod
    #: The short SHA-256 of the source and the summary scored: a line counts only for the same texts.
    texts: str
    #: ``None``: nothing to score (an empty summary or source).
    score: float | None
    #: Summary sentences and source blocks scored (their product is the NLI pairs run).
    sentences: int
    blocks: int


class MetricsRecord(ScoresRecord, total=False):
    """metrics.json of an eval run: the scores, and what the run did and ran on."""

    generated_documents: int
    resumed_documents: int
    generated_tokens: int
    padding_efficiency: float
    oom_splits: int
    bad_records: int
    kept_outside_run: int
    seconds: float
    docs_per_second: float
    time_breakdown: dict[str, Any]
    fast_paths: list[str]
    #: ``SummarizerInfo.to_dict``: model, revision, dtype, device, generation settings, family, input limit.
    model: dict[str, Any]
    environment: dict[str, Any]


class RunRecord(TypedDict):
    """run.json: written when a run starts, so ``--resume`` can check the stored run's settings."""

    schema_version: int
    config: dict[str, Any]
    resume_key: dict[str, Any]
    dataset_fingerprint: str | None


class PredictionLine(TypedDict, total=False):
    """One line of predictions.jsonl."""

    schema_version: int
    id: str
    prediction: str
    reference: str | None
    input_tokens: int
    truncated: bool
    stats: dict[str, Any] | None
    generated_tokens: int | None
    ended_with_eos: bool | None
    #: Written only where a stop string or a reasoning trace was taken off the generated text (causal LMs).
    raw_prediction: str
    #: A served model's ``prompt_tokens`` and ``completion_tokens``; written only where the server gave them.
    usage: dict[str, int]
    #: Written (true) only where the server refused the prompt as longer than the model's context.
    too_long: bool


class BenchFigures(TypedDict, total=False):
    """One timed system of a bench report (longsum's engine, or the docs recipe): medians over the repeats."""

    documents: int
    seconds: float
    docs_per_second: float
    input_tokens_per_second: float
    generated_tokens_per_second: float
    padding_efficiency: float
    time_to_first_batch: float | None
    peak_memory_bytes: int | None
    peak_memory_kind: str
    oom_splits: int
    fast_paths: list[str]
    generated_tokens: int
    time_breakdown: dict[str, Any]
    roofline: dict[str, Any] | None
    runs: list[float]
    predictions_sha256: str


class BenchRecord(TypedDict, total=False):
    """The bench JSON (``longsum bench --json``)."""

    schema_version: int
    longsum: BenchFigures
    recipe: BenchFigures
    speedup: float | None
    identical_predictions: bool
    signature: str
    config: dict[str, Any]
    model: dict[str, Any]
    machine: dict[str, Any] | None
    shape: dict[str, Any]
    environment: dict[str, Any]


Record = TypeVar("Record")


def check_version(data: dict[str, Any], supported: int, path: Path) -> None:
    """Refuse a file of a newer schema version than ``supported`` (no version: written before versions, read as 1).

    Raises:
        LongsumError: naming the file and its version.
    """
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > supported:
        raise LongsumError(
            f"{path}: schema version {version} is newer than this longsum reads (up to {supported}); upgrade longsum"
        )


def _read_object(path: Path, supported: int, what: type[Record]) -> Record:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise LongsumError(f"{path} is corrupt or truncated ({err})") from None
    if not isinstance(data, dict):
        raise LongsumError(f"{path} is corrupt or truncated (not a JSON object)")
    check_version(data, supported, path)
    return cast(Record, data)


def read_metrics_file(path: Path) -> MetricsRecord:
    """A metrics.json, checked for its version.

    Raises:
        LongsumError: unreadable, not a JSON object, or of a newer schema version.
    """
    return _read_object(path, METRICS_SCHEMA_VERSION, MetricsRecord)


def read_run_file(path: Path) -> RunRecord:
    """A run.json, checked for its version.

    Raises:
        LongsumError: unreadable, not a JSON object, or of a newer schema version.
    """
    return _read_object(path, RUN_SCHEMA_VERSION, RunRecord)


def read_bench_file(path: Path) -> BenchRecord:
    """A bench JSON, checked for its version.

    Raises:
        LongsumError: unreadable, not a JSON object, or of a newer schema version.
    """
    return _read_object(path, BENCH_SCHEMA_VERSION, BenchRecord)
