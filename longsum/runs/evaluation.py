"""The evaluation pipeline as three steps a notebook can call: open a run (settings, summarizer, run directory),
generate its predictions durably batch by batch, and finalize (merge, score, aggregate, write metrics.json)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from longsum.config import EvalConfig
from longsum.engine.batching import Item, prefetch, windows
from longsum.engine.families import DEFAULT_INPUT_LIMIT
from longsum.engine.nli import check_nli, default_device
from longsum.engine.timing import PhaseTimes
from longsum.errors import LongsumError
from longsum.parallel.distributed import Shard
from longsum.parallel.peers import Peers
from longsum.results.examples import select_examples
from longsum.results.faithfulness_log import FAITHFULNESS
from longsum.results.html_report import check_report_path, write_report
from longsum.results.provenance import environment, library_versions
from longsum.results.run_lock import run_lock
from longsum.results.signature import eval_signature
from longsum.results.storage import (
    METRICS,
    PARTS,
    PREDICTIONS,
    PredictionLog,
    PredictionRecord,
    completed_ids,
    iter_predictions,
    merge_predictions,
    write_json_atomic,
)
from longsum.runs.eval_result import EvalResult, RunStats
from longsum.runs.metric_modules import LoadedMetric, compute_metric_modules, load_metric_modules
from longsum.runs.records import BackgroundRecords
from longsum.runs.run_directory import finished_work_kept, prediction_files, prepare_directory, resume_key
from longsum.runs.run_documents import documents_of
from longsum.runs.scoring import RecordCounts, ScoredRecords, add_faithfulness, faithful_model, score_records
from longsum.sources.documents import Document, ReadStats, iter_documents
from longsum.summarizers.protocol import Progress, Summarizer, SummarizerInfo
from longsum.summarizers.resolver import load_summarizer
from longsum.summarizers.runner import BatchRunner, initial_limits


@dataclass
class EvalRun:
    """An evaluation under way: its settings (input limit resolved), summarizer and run directory.

    Made by ``open_run``; ``generate`` and ``finalize`` take it.
    """

    config: EvalConfig
    summarizer: Summarizer
    info: SummarizerInfo
    #: Where predictions go: ``output_dir``, or a temporary folder removed when the run closes.
    directory: Path
    output_dir: Path | None
    shard: Shard
    resume: bool
    metric_modules: list[LoadedMetric]
    peers: Peers


@dataclass
class Generation:
    """What ``generate`` did: counts, the dataset order of this run's ids, timings."""

    stats: RunStats
    read_stats: ReadStats
    #: Every id of the run's documents in dataset order (resumed ones included).
    order: list[str]
    seconds: float
    phases: PhaseTimes
    started: float
    dropped_partial_line: bool


def with_input_limit(config: EvalConfig, info: SummarizerInfo) -> EvalConfig:
    """``config`` with the input limit in force: the one the summarizer resolved (a model's own limit when none
    was given)."""
    limit = info.max_input_tokens or config.batching.max_input_tokens or DEFAULT_INPUT_LIMIT
    return replace(config, batching=replace(config.batching, max_input_tokens=limit))


@contextmanager
def open_run(
    config: EvalConfig,
    *,
    summarizer: Summarizer | None = None,
    output_dir: Path | None = None,
    resume: bool = False,
    force: bool = False,
    shard: Shard | None = None,
    metric_modules: list[LoadedMetric] | None = None,
) -> Iterator[EvalRun]:
    """Start an evaluation: check the settings, load what is not given, and prepare the run directory.

    Holds the run directory's lock and the failure watch between processes until the block ends; an error
    inside the block says that the finished predictions are kept and how to resume.

    Args:
        config: what to load, read, generate and score.
        summarizer: a ready summarizer; by default the one ``config.model`` names is loaded.
        output_dir: where predictions.jsonl, run.json and metrics.json go (a temporary folder when ``None``).
        resume: skip the documents already in ``output_dir``'s predictions and continue.
        force: resume even though the stored settings differ, or start over (old files set aside).
        shard: this process's share of a distributed run (default: the whole dataset).
        metric_modules: the loaded ``config.scoring.metrics``; loaded here, before the model, when ``None``.

    Raises:
        LongsumError: the model or dataset cannot be loaded, the settings do not fit them, or ``output_dir``
            holds a run that cannot be resumed with these settings.
    """
    import torch

    shard = shard or Shard()
    if resume and output_dir is None:
        raise LongsumError("--resume needs --output-dir")
    if shard.distributed and output_dir is None:
        raise LongsumError("a run over several processes needs --output-dir, on storage they all share")
    torch.manual_seed(config.scoring.seed)
    if metric_modules is None:
        metric_modules = load_metric_modules(config.scoring.metrics)
    if config.scoring.faithfulness is not None:
        check_nli(config.scoring.faithfulness)
    summarizer = summarizer or load_summarizer(config)
    info = summarizer.describe()
    config = with_input_limit(config, info)
    with tempfile.TemporaryDirectory(prefix="longsum-") as scratch, ExitStack() as guards:
        directory = output_dir if output_dir is not None else Path(scratch)
        peers = Peers(shard)
        guards.enter_context(peers.failing())
        if shard.is_main and output_dir is not None:
            # The processes of one distributed run share the directory; the main one holds it for them all.
            guards.enter_context(run_lock(directory))
        if shard.is_main:
            prepare_directory(directory, resume_key(config, info), config, resume, force)
            peers.arrive("prepared")
        peers.wait("prepared", 1)
        guards.enter_context(finished_work_kept(output_dir))
        yield EvalRun(config, summarizer, info, directory, output_dir, shard, resume, metric_modules, peers)


def generate(run: EvalRun, documents: Iterable[Document] | None = None, progress: Progress | None = None) -> Generation:
    """Summarize this process's share of the documents, appending each finished batch durably.

    Args:
        run: from ``open_run``.
        documents: documents to use instead of reading ``run.config.data`` (benchmarks pass their workload).
        progress: told after every batch.
    """
    config, summarizer, shard, directory = run.config, run.summarizer, run.shard, run.directory
    stats = RunStats()
    read_stats = ReadStats()
    done = completed_ids(prediction_files(directory)) if run.resume else set()
    own_file = directory / PARTS / f"part-{shard.rank}.jsonl" if shard.distributed else directory / PREDICTIONS
    log = PredictionLog(own_file, resume=run.resume)
    order: list[str] = []
    phases = PhaseTimes()

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
        initial_limits(summarizer, batching),
        batching.max_input_tokens if batching.padding == "max-length" else None,
        progress,
        stats.runner,
    )
    start = time.perf_counter()
    try:
        with BackgroundRecords(log, config.scoring.sentence_splitter, phases) as records:
            incoming = phases.iterate(prefetch(windows(pending_items(), batching.sort_window)), "waiting_for_documents")
            for window in incoming:
                for finished in runner.run_window(window):
                    records.submit(finished)
                    stats.generated_documents += len(finished)
                    run.peers.check()
    finally:
        log.close()
    seconds = time.perf_counter() - start
    phases.add("encoding", stats.runner.encode_seconds)
    phases.add("decoding", stats.runner.decode_seconds)
    stats.bad_records = read_stats.bad_records
    return Generation(stats, read_stats, order, seconds, phases, start, log.dropped_partial_line)


def this_run(run: EvalRun, generation: Generation) -> Iterator[PredictionRecord]:
    """The merged predictions of this run's documents, in dataset order (after ``finalize`` merged them)."""
    # The merge puts this run's documents first; records kept from other runs follow them.
    return islice(iter_predictions(run.directory / PREDICTIONS), len(generation.order))


def _warnings(run: EvalRun, generation: Generation, counts: RecordCounts) -> list[str]:
    notes = list(run.summarizer.warnings)
    outside = generation.stats.kept_outside_run
    if outside:
        notes.append(
            f"predictions.jsonl also keeps {outside} finished prediction(s) of documents outside this run (e.g. from "
            f"a larger --limit); the metrics cover the {counts.documents} document(s) of this run"
        )
    if generation.read_stats.bad_records:
        notes.append(f"{generation.read_stats.bad_records} malformed record(s) skipped")
    if generation.dropped_partial_line:
        notes.append("a partly written last line of predictions.jsonl was dropped on resume")
    if counts.empty_documents:
        notes.append(f"{counts.empty_documents} document(s) were empty or whitespace-only: summarized as empty")
    if counts.too_long:
        notes.append(
            f"the server refused {counts.too_long} document(s) as longer than the model's context: scored as empty "
            "summaries (pass --tokenizer to cut documents to fit)"
        )
    if counts.unscored:
        notes.append(f"{counts.unscored} document(s) had no reference summary: not scored")
    return notes


def finalize(run: EvalRun, generation: Generation, report: Path | None = None, examples: int = 0) -> EvalResult:
    """Once every process has generated: merge the predictions into dataset order, score each document once,
    aggregate, and write metrics.json (and the HTML report) from the main process.

    Args:
        run: from ``open_run``.
        generation: from ``generate``.
        report: also write the HTML report here (the main process only).
        examples: how many summaries to keep beside their references (``results.examples``).
    """
    shard, directory, phases, stats = run.shard, run.directory, generation.phases, generation.stats
    run.peers.arrive("generated")
    if shard.is_main:
        run.peers.wait("generated", shard.world)
        with phases.timed("writing"):
            stats.kept_outside_run = merge_predictions(
                prediction_files(directory), generation.order, directory / PREDICTIONS
            )
            shutil.rmtree(directory / PARTS, ignore_errors=True)
        with phases.timed("scoring"):
            scoring, data = run.config.scoring, run.config.data
            scored = score_records(this_run(run, generation), scoring)
            faithfulness = directory / FAITHFULNESS
            # A baseline runs no model and says cpu: the NLI model then goes where --device points.
            device = run.info.device if run.info.device != "cpu" else default_device(run.config.model.device)
            add_faithfulness(scored, this_run(run, generation), data, faithfulness, scoring, device)
            extra, metric_warnings = compute_metric_modules(
                run.metric_modules, this_run(run, generation), documents_of(data, set(generation.order))
            )
            chosen = select_examples(this_run(run, generation), scored.scores, examples)
    else:
        # The main process scores the merged predictions; the others only report their own work.
        scored = ScoredRecords(RecordCounts())
        extra, metric_warnings, chosen = {}, [], []
    result = EvalResult(
        scored=scored,
        stats=stats,
        seconds=generation.seconds,
        config=run.config,
        summarizer=run.info,
        environment=environment(run.info.device),
        signature=eval_signature(run.config, run.info, library_versions(), faithful_model(scored)),
        warnings=_warnings(run, generation, scored.counts) + metric_warnings,
        fast_paths=list(run.info.fast_paths) if run.config.batching.padding == "dynamic" else [],
        evaluate_metrics=extra,
        time_breakdown=phases.to_dict(time.perf_counter() - generation.started),
        examples=chosen,
    )
    if shard.is_main:
        metrics = result.to_dict()
        if run.output_dir is not None:
            write_json_atomic(run.output_dir / METRICS, metrics)
        if report is not None:
            write_report(report, metrics, this_run(run, generation), scored.scores)
    return result


def evaluate(
    config: EvalConfig,
    *,
    output_dir: Path | None = None,
    summarizer: Summarizer | None = None,
    progress: Progress | None = None,
    resume: bool = False,
    force: bool = False,
    shard: Shard | None = None,
    report: Path | None = None,
    metric_modules: list[LoadedMetric] | None = None,
    examples: int = 0,
) -> EvalResult:
    """Summarize the dataset ``config`` names and score it with ROUGE: ``open_run``, ``generate``, ``finalize``.

    Predictions are appended to ``output_dir/predictions.jsonl`` (a temporary folder when none is
    given) and made durable batch by batch; at the end the file is put in dataset order, each
    document is scored once and the scores are aggregated. Under several processes, each appends
    to its own part file and the main one merges the parts once all are done.

    Raises:
        LongsumError: the model or dataset cannot be loaded, the settings do not fit them, or
            ``output_dir`` holds a run that cannot be resumed with these settings.
    """
    check_report_path(report)
    with open_run(
        config,
        summarizer=summarizer,
        output_dir=output_dir,
        resume=resume,
        force=force,
        shard=shard,
        metric_modules=metric_modules,
    ) as run:
        return finalize(run, generate(run, progress=progress), report, examples)


def evaluate_in_memory(
    config: EvalConfig,
    documents: Iterable[Document] | None = None,
    *,
    summarizer: Summarizer | None = None,
    progress: Progress | None = None,
) -> tuple[EvalResult, list[PredictionRecord]]:
    """Evaluate without a run directory and keep every prediction record in memory (benchmarks, notebooks).

    Args:
        documents: documents to use instead of reading ``config.data``.
    """
    with open_run(config, summarizer=summarizer) as run:
        generation = generate(run, documents, progress)
        result = finalize(run, generation)
        return result, list(this_run(run, generation))
