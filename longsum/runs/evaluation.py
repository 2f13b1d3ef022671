"""The evaluation pipeline: stream documents, batch, generate, store durably, then score and aggregate."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from longsum.engine.baselines import is_baseline, load_baseline
from longsum.engine.batching import Item, Limits, prefetch, windows
from longsum.engine.families import DEFAULT_INPUT_LIMIT
from longsum.config import EvalConfig
from longsum.sources.documents import Document, ReadStats, iter_documents
from longsum.results.provenance import environment, library_versions
from longsum.errors import LongsumError
from longsum.engine.generation import BatchRunner, Progress, RunnerStats, Seq2SeqSummarizer, Summarizer
from longsum.engine.timing import PhaseTimes
from longsum.runs.records import BackgroundRecords
from longsum.results.html_report import check_report_path, write_report
from longsum.runs.metric_modules import LoadedMetric, compute_metric_modules, load_metric_modules
from longsum.runs.scoring import RecordCounts, ScoredRecords, score_records
from longsum.metrics.aggregation import Aggregate
from longsum.results.signature import eval_signature
from longsum.engine.distributed import Shard
from longsum.engine.peers import PeerFailed, Peers
from longsum.results.run_lock import run_lock
from longsum.sources.fingerprint import dataset_fingerprint
from longsum.results.storage import (
    METRICS,
    PARTS,
    PREDICTIONS,
    RUN,
    PredictionLog,
    PredictionRecord,
    completed_ids,
    iter_predictions,
    merge_predictions,
    write_json_atomic,
)


@dataclass
class RunStats:
    """What this process did: documents generated or taken from a resumed run, tokens, back-offs."""

    generated_documents: int = 0
    resumed_documents: int = 0
    bad_records: int = 0
    #: Predictions kept in predictions.jsonl for documents this run does not cover (e.g. a smaller --limit).
    kept_outside_run: int = 0
    runner: RunnerStats = field(default_factory=RunnerStats)


@dataclass
class EvalResult:
    """The outcome of an evaluation: scores, counts, timing and everything needed to reproduce them."""

    scored: ScoredRecords
    stats: RunStats
    seconds: float
    config: dict[str, Any]
    summarizer: dict[str, Any]
    environment: dict[str, Any]
    signature: str
    warnings: list[str] = field(default_factory=list)
    predictions: list[PredictionRecord] = field(default_factory=list, repr=False)
    #: The fast paths engaged on the model (none in ``--padding max-length``, which runs the recipe unchanged).
    fast_paths: list[str] = field(default_factory=list)
    #: Results of the ``--metric`` modules by name (``runs.metric_modules.compute_metric_modules``).
    evaluate_metrics: dict[str, Any] = field(default_factory=dict)
    #: Seconds per phase, main thread and overlapped (``PhaseTimes.to_dict``), up to scoring.
    time_breakdown: dict[str, Any] = field(default_factory=dict)

    @property
    def rouge(self) -> dict[str, Aggregate]:
        """The aggregate scores per ROUGE type."""
        return self.scored.rouge

    @property
    def counts(self) -> RecordCounts:
        """What the final predictions hold."""
        return self.scored.counts

    @property
    def docs_per_second(self) -> float:
        """Documents generated per second of wall time in this process, loading excluded."""
        return self.stats.generated_documents / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json form: scores as fractions in [0, 1]."""
        s = self.stats
        return {
            **self.scored.to_dict(),
            "generated_documents": s.generated_documents,
            "resumed_documents": s.resumed_documents,
            "generated_tokens": s.runner.generated_tokens,
            "padding_efficiency": s.runner.padding_efficiency,
            "oom_splits": s.runner.oom_splits,
            "bad_records": s.bad_records,
            "kept_outside_run": s.kept_outside_run,
            "seconds": self.seconds,
            "docs_per_second": self.docs_per_second,
            "time_breakdown": self.time_breakdown,
            "warnings": self.warnings,
            "fast_paths": self.fast_paths,
            "config": self.config,
            "model": self.summarizer,
            "environment": self.environment,
            "signature": self.signature,
            **({"evaluate": self.evaluate_metrics} if self.evaluate_metrics else {}),
        }


def load_summarizer(config: EvalConfig) -> Summarizer:
    """The model of ``config.model`` behind a summarizer with the run's generation and batching settings.

    A baseline name (``lead-K``, ``oracle``) gives that baseline instead; it splits sentences as
    rougeLsum does.
    """
    from longsum.engine.loading import load_model

    if is_baseline(config.model.model):
        return load_baseline(config.model.model, config.scoring.sentence_splitter)
    return Seq2SeqSummarizer(load_model(config.model), config.generation, config.batching)


def with_input_limit(config: EvalConfig, described: dict[str, Any]) -> EvalConfig:
    """``config`` with the input limit in force: the one the summarizer resolved (a model's own limit when none was given)."""
    limit = described.get("max_input_tokens") or config.batching.max_input_tokens or DEFAULT_INPUT_LIMIT
    return replace(config, batching=replace(config.batching, max_input_tokens=limit))


def resume_key(config: EvalConfig, described: dict[str, Any]) -> dict[str, Any]:
    """The settings a resumed run must share with the stored one: whatever changes a prediction."""
    data = config.data
    return {
        "model": described.get("model"),
        "revision": described.get("revision"),
        "dtype": described.get("dtype"),
        "generation": described.get("generation"),
        "max_input_tokens": config.batching.max_input_tokens,
        "dataset": [data.dataset, data.split, data.text_column, data.summary_column, data.id_column],
    }


def _prediction_files(directory: Path) -> list[Path]:
    """Every file of ``directory`` that may hold predictions: the merged file and the per-process parts."""
    return [directory / PREDICTIONS, *sorted((directory / PARTS).glob("part-*.jsonl"))]


def _stored_run(directory: Path, force: bool) -> dict[str, Any]:
    """The stored run.json; ``{}`` when it is unreadable and ``force`` says to go on without it."""
    try:
        stored = json.loads((directory / RUN).read_text(encoding="utf-8"))
        if not isinstance(stored, dict):
            raise ValueError("not a JSON object")
        return stored
    except (ValueError, UnicodeDecodeError) as err:
        if force:
            return {}
        raise LongsumError(
            f"cannot resume {directory}: {RUN} is corrupt or truncated ({err}); pass --force to resume without it"
        ) from None


def _check_resumable(directory: Path, key: dict[str, Any], fingerprint: str | None, force: bool) -> None:
    stored_path = directory / RUN
    if not stored_path.exists():
        if any(p.exists() for p in _prediction_files(directory)) and not force:
            raise LongsumError(f"{directory} holds predictions without their {RUN}; pass --force to resume anyway")
        return
    run = _stored_run(directory, force)
    stored = run.get("resume_key", {})
    changed = sorted(k for k in key if json.dumps(stored.get(k), sort_keys=True) != json.dumps(key[k], sort_keys=True))
    if changed and not force:
        raise LongsumError(
            f"cannot resume {directory}: {', '.join(changed)} differ from the stored run (pass --force to resume anyway)"
        )
    stored_fingerprint = run.get("dataset_fingerprint")
    if stored_fingerprint and fingerprint and stored_fingerprint != fingerprint and not force:
        raise LongsumError(
            f"cannot resume {directory}: the dataset changed since the stored run (ids removed or added, or texts "
            "edited), so its finished predictions may not match the documents; use a new --output-dir, or pass "
            "--force to continue with them"
        )


def _set_aside(directory: Path) -> Path:
    """Move a finished or stopped run's files into ``superseded/<UTC time>/``: a run directory only grows."""
    aside = directory / "superseded" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    aside.mkdir(parents=True)
    for path in [*_prediction_files(directory), directory / METRICS, directory / RUN]:
        if path.exists():
            path.rename(aside / path.name)
    return aside


def _prepare_directory(directory: Path, key: dict[str, Any], config: EvalConfig, resume: bool, force: bool) -> None:
    fingerprint = dataset_fingerprint(config.data)
    if resume:
        _check_resumable(directory, key, fingerprint, force)
    elif any(p.exists() for p in _prediction_files(directory)):
        if not force:
            raise LongsumError(
                f"{directory} already holds predictions; pass --resume to continue them or --force to start "
                "over (the old files are moved to superseded/)"
            )
        _set_aside(directory)
    write_json_atomic(directory / RUN, {"config": config.to_dict(), "resume_key": key, "dataset_fingerprint": fingerprint})


@contextmanager
def _finished_work_kept(output_dir: Path | None) -> Iterator[None]:
    """Say, with any error after generation started, that the finished predictions are kept and how to go on."""
    try:
        yield
    except LongsumError as err:
        if output_dir is None or isinstance(err, PeerFailed):  # the failing process's own line says it already
            raise
        raise LongsumError(
            f"{err}; the finished predictions are kept in {output_dir}: continue with --resume", err.exit_code
        ) from None


def _warnings(
    counts: RecordCounts, read_stats: ReadStats, log: PredictionLog, summarizer_warnings: list[str], outside: int = 0
) -> list[str]:
    notes = list(summarizer_warnings)
    if outside:
        notes.append(
            f"predictions.jsonl also keeps {outside} finished prediction(s) of documents outside this run (e.g. from "
            f"a larger --limit); the metrics cover the {counts.documents} document(s) of this run"
        )
    if read_stats.bad_records:
        notes.append(f"{read_stats.bad_records} malformed record(s) skipped")
    if log.dropped_partial_line:
        notes.append("a partly written last line of predictions.jsonl was dropped on resume")
    if counts.empty_documents:
        notes.append(f"{counts.empty_documents} document(s) were empty or whitespace-only: summarized as empty")
    if counts.unscored:
        notes.append(f"{counts.unscored} document(s) had no reference summary: not scored")
    return notes


def evaluate(
    config: EvalConfig,
    *,
    output_dir: Path | None = None,
    summarizer: Summarizer | None = None,
    progress: Progress | None = None,
    keep_predictions: bool = False,
    documents: Iterable[Document] | None = None,
    resume: bool = False,
    force: bool = False,
    shard: Shard | None = None,
    report: Path | None = None,
    metric_modules: list[LoadedMetric] | None = None,
) -> EvalResult:
    """Summarize the dataset ``config`` names and score it with ROUGE.

    Predictions are appended to ``output_dir/predictions.jsonl`` (a temporary folder when none is
    given) and made durable batch by batch; at the end the file is put in dataset order, each
    document is scored once and the scores are aggregated.

    Args:
        config: what to load, read, generate and score.
        output_dir: where predictions.jsonl, run.json and metrics.json go.
        summarizer: a ready summarizer; by default the model of ``config.model`` is loaded.
        progress: told after every batch.
        keep_predictions: also return every prediction record in memory (off, so memory stays flat).
        documents: documents to use instead of reading ``config.data`` (benchmarks pass synthetic ones).
        resume: skip the documents already in ``output_dir``'s predictions and continue.
        force: resume even though the stored settings differ, or overwrite existing predictions.
        shard: this process's share of a distributed run (default: the whole dataset). Each process
            appends to its own part file; the main one merges the parts once all are done.
        report: also write the HTML report here (the main process only).
        metric_modules: the loaded ``config.scoring.metrics``; loaded here, before the model, when ``None``.

    Raises:
        LongsumError: the model or dataset cannot be loaded, the settings do not fit them, or
            ``output_dir`` holds a run that cannot be resumed with these settings.
    """
    import torch

    shard = shard or Shard()
    check_report_path(report)
    if resume and output_dir is None:
        raise LongsumError("--resume needs --output-dir")
    if shard.distributed and output_dir is None:
        raise LongsumError("a run over several processes needs --output-dir, on storage they all share")
    torch.manual_seed(config.seed)
    if metric_modules is None:
        metric_modules = load_metric_modules(config.scoring.metrics)
    summarizer = summarizer or load_summarizer(config)
    described = summarizer.describe()
    config = with_input_limit(config, described)
    with tempfile.TemporaryDirectory(prefix="longsum-") as scratch, ExitStack() as guards:
        directory = output_dir if output_dir is not None else Path(scratch)
        peers = Peers(shard)
        guards.enter_context(peers.failing())
        if shard.is_main and output_dir is not None:
            # The processes of one distributed run share the directory; the main one holds it for them all.
            guards.enter_context(run_lock(directory))
        key = resume_key(config, described)
        if shard.is_main:
            _prepare_directory(directory, key, config, resume, force)
            peers.arrive("prepared")
        peers.wait("prepared", 1)
        guards.enter_context(_finished_work_kept(output_dir))
        stats = RunStats()
        read_stats = ReadStats()
        done = completed_ids(_prediction_files(directory)) if resume else set()
        own_file = directory / PARTS / f"part-{shard.rank}.jsonl" if shard.distributed else directory / PREDICTIONS
        log = PredictionLog(own_file, resume=resume)
        order: list[str] = []
        phases = PhaseTimes()

        def this_run() -> Iterator[PredictionRecord]:
            # The merge puts this run's documents first; records kept from other runs follow them.
            return islice(iter_predictions(directory / PREDICTIONS), len(order))

        def pending_items() -> Iterator[Item]:
            source = iter_documents(config.data, stats=read_stats) if documents is None else documents
            # Runs on the prefetch thread, beside the model.
            for position, doc in enumerate(phases.iterate(source, "reading_tokenizing", overlapped=True)):
                order.append(doc.id)
                if doc.id in done:
                    stats.resumed_documents += 1
                    continue
                if not shard.owns(position):
                    continue
                if not doc.text.strip():
                    yield Item(doc=doc, input_ids=[], source_tokens=0)
                    continue
                with phases.timed("reading_tokenizing", overlapped=True):
                    ids, source_tokens = summarizer.encode(doc.text)
                yield Item(doc=doc, input_ids=ids, source_tokens=source_tokens)

        batching = config.batching
        runner = BatchRunner(
            summarizer,
            Limits.initial(batching, summarizer.batch_tokens_hint(), summarizer.batch_multiple),
            batching.max_input_tokens if batching.padding == "max-length" else None,
            progress,
            stats.runner,
        )
        splitter = config.scoring.sentence_splitter
        start = time.perf_counter()
        try:
            with BackgroundRecords(log, splitter, phases) as records:
                incoming = phases.iterate(prefetch(windows(pending_items(), batching.sort_window)), "waiting_for_documents")
                for window in incoming:
                    for finished in runner.run_window(window):
                        records.submit(finished)
                        stats.generated_documents += len(finished)
                        peers.check()
        finally:
            log.close()
        seconds = time.perf_counter() - start
        phases.add("encoding", stats.runner.encode_seconds)
        phases.add("decoding", stats.runner.decode_seconds)
        stats.bad_records = read_stats.bad_records
        peers.arrive("generated")
        if shard.is_main:
            peers.wait("generated", shard.world)
            with phases.timed("writing"):
                stats.kept_outside_run = merge_predictions(_prediction_files(directory), order, directory / PREDICTIONS)
                shutil.rmtree(directory / PARTS, ignore_errors=True)
            with phases.timed("scoring"):
                scored = score_records(this_run(), config.scoring)
                extra, metric_warnings = compute_metric_modules(metric_modules, this_run())
        else:
            # The main process scores the merged predictions; the others only report their own work.
            scored = ScoredRecords(RecordCounts())
            extra, metric_warnings = {}, []
        kept = list(this_run()) if keep_predictions and shard.is_main else []
        result = EvalResult(
            scored=scored,
            stats=stats,
            seconds=seconds,
            config=config.to_dict(),
            summarizer=described,
            environment=environment(str(described.get("device", "cpu"))),
            signature=eval_signature(config, described, library_versions()),
            warnings=_warnings(scored.counts, read_stats, log, summarizer.warnings, stats.kept_outside_run)
            + metric_warnings,
            predictions=kept,
            fast_paths=list(described.get("fast_paths", [])) if config.batching.padding == "dynamic" else [],
            evaluate_metrics=extra,
            time_breakdown=phases.to_dict(time.perf_counter() - start),
        )
        if shard.is_main:
            metrics = result.to_dict()
            if output_dir is not None:
                write_json_atomic(output_dir / METRICS, metrics)
            if report is not None:
                write_report(report, metrics, this_run(), scored.scores)
    return result
