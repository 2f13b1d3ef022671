"""The evaluation pipeline: stream documents, batch, generate, store durably, then score and aggregate."""

from __future__ import annotations

import json
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from longsum.batching import Item, Limits, plan_batches, prefetch, windows
from longsum.config import EvalConfig
from longsum.data import Document, ReadStats, iter_documents
from longsum.environment import environment, library_versions
from longsum.errors import LongsumError
from longsum.generation import Output, Seq2SeqSummarizer, Summarizer
from longsum.memory import is_out_of_memory, release_cached_memory
from longsum.rouge import DocumentScores, RougeScorer
from longsum.scoring import Aggregate, aggregate
from longsum.signature import eval_signature
from longsum.storage import METRICS, PREDICTIONS, RUN, PredictionLog, PredictionRecord, iter_predictions, write_json_atomic


class Progress(Protocol):
    """Receives progress as batches finish (the CLI draws a bar; the library default ignores it)."""

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        """``documents`` more are done, having read and generated these many tokens."""
        ...


class _Silent:
    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        pass


@dataclass
class Counters:
    """Totals of a run: the first group over every document of the final predictions, the second over this process's work."""

    documents: int = 0
    truncated: int = 0
    empty_documents: int = 0
    empty_predictions: int = 0
    unscored: int = 0
    input_tokens: int = 0
    generated_documents: int = 0
    resumed_documents: int = 0
    processed_tokens: int = 0
    encoder_tokens: int = 0
    generated_tokens: int = 0
    oom_splits: int = 0
    bad_records: int = 0


@dataclass
class EvalResult:
    """The outcome of an evaluation: scores, counts, timing and everything needed to reproduce them."""

    rouge: dict[str, Aggregate]
    counters: Counters
    seconds: float
    config: dict[str, Any]
    summarizer: dict[str, Any]
    environment: dict[str, Any]
    signature: str
    warnings: list[str] = field(default_factory=list)
    predictions: list[PredictionRecord] = field(default_factory=list, repr=False)

    @property
    def docs_per_second(self) -> float:
        """Documents generated per second of wall time in this process, loading excluded."""
        return self.counters.generated_documents / self.seconds if self.seconds > 0 else 0.0

    @property
    def padding_efficiency(self) -> float:
        """Real input tokens over input tokens the encoder processed."""
        c = self.counters
        return c.processed_tokens / c.encoder_tokens if c.encoder_tokens else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json form: scores as fractions in [0, 1]."""
        c = self.counters
        return {
            "rouge": {t: a.to_dict() for t, a in self.rouge.items()},
            "documents": c.documents,
            "scored": c.documents - c.unscored,
            "truncated": c.truncated,
            "empty_documents": c.empty_documents,
            "empty_predictions": c.empty_predictions,
            "missing_references": c.unscored,
            "input_tokens": c.input_tokens,
            "generated_documents": c.generated_documents,
            "resumed_documents": c.resumed_documents,
            "generated_tokens": c.generated_tokens,
            "padding_efficiency": self.padding_efficiency,
            "oom_splits": c.oom_splits,
            "bad_records": c.bad_records,
            "seconds": self.seconds,
            "docs_per_second": self.docs_per_second,
            "warnings": self.warnings,
            "config": self.config,
            "model": self.summarizer,
            "environment": self.environment,
            "signature": self.signature,
        }


@dataclass
class _Engine:
    """Runs windows of items through a summarizer, halving batches that run out of device memory."""

    summarizer: Summarizer
    limits: Limits
    pad_to: int | None
    device: str
    progress: Progress
    counters: Counters

    def run_window(self, window: list[Item]) -> Iterator[list[tuple[Item, Output]]]:
        """Each finished batch of ``window`` as (item, output) pairs; every item generated exactly once."""
        empty = [item for item in window if not item.input_ids]
        if empty:
            # Nothing to summarize: an empty document gets an empty summary without a model call.
            yield [(item, Output(text="", tokens=0)) for item in empty]
        pending = deque(plan_batches([item for item in window if item.input_ids], self.limits, self.pad_to))
        while pending:
            batch = pending.popleft()
            try:
                outputs = self.summarizer.generate(batch)
            except Exception as err:
                if not is_out_of_memory(err):
                    raise
                if len(batch.items) == 1:
                    raise LongsumError(
                        f"out of device memory on a single document of {batch.longest} tokens "
                        "(lower --max-input-tokens or --num-beams, or use a larger device)"
                    ) from None
                release_cached_memory(self.device)
                # Lower the limits for the rest of the run and re-plan what is left of this window.
                self.limits = self.limits.below(batch)
                self.counters.oom_splits += 1
                rest = [item for b in pending for item in b.items]
                pending = deque(plan_batches([*batch.items, *rest], self.limits, self.pad_to))
                continue
            generated = sum(o.tokens for o in outputs)
            self.counters.processed_tokens += batch.real_tokens
            self.counters.encoder_tokens += batch.encoder_tokens
            self.counters.generated_tokens += generated
            self.progress.advance(len(batch.items), batch.real_tokens, generated)
            yield list(zip(batch.items, outputs))


def load_summarizer(config: EvalConfig) -> Seq2SeqSummarizer:
    """The model of ``config.model`` behind a summarizer with the run's generation and batching settings."""
    from longsum.loading import load_model

    return Seq2SeqSummarizer(load_model(config.model), config.generation, config.batching)


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


def _check_resumable(directory: Path, key: dict[str, Any], force: bool) -> None:
    stored_path = directory / RUN
    if not stored_path.exists():
        if (directory / PREDICTIONS).exists() and not force:
            raise LongsumError(f"{directory} holds predictions without their {RUN}; pass --force to resume anyway")
        return
    stored = json.loads(stored_path.read_text(encoding="utf-8")).get("resume_key", {})
    changed = sorted(k for k in key if json.dumps(stored.get(k), sort_keys=True) != json.dumps(key[k], sort_keys=True))
    if changed and not force:
        raise LongsumError(
            f"cannot resume {directory}: {', '.join(changed)} differ from the stored run (pass --force to resume anyway)"
        )


def _prepare_directory(directory: Path, key: dict[str, Any], config: EvalConfig, resume: bool, force: bool) -> None:
    if resume:
        _check_resumable(directory, key, force)
    elif (directory / PREDICTIONS).exists() and not force:
        raise LongsumError(f"{directory} already holds predictions; pass --resume to continue them or --force to overwrite")
    write_json_atomic(directory / RUN, {"config": config.to_dict(), "resume_key": key})


def _score(path: Path, config: EvalConfig, counters: Counters) -> list[DocumentScores]:
    """Score every record of the final predictions.jsonl once, counting as it goes."""
    scorer = RougeScorer(config.scoring.use_stemmer, config.scoring.sentence_splitter)
    scores = []
    for record in iter_predictions(path):
        counters.documents += 1
        counters.truncated += record.truncated
        counters.input_tokens += record.input_tokens
        counters.empty_documents += record.input_tokens == 0
        counters.empty_predictions += not record.prediction.strip()
        if record.reference is None or not record.reference.strip():
            counters.unscored += 1
        else:
            scores.append(scorer.score(record.prediction, record.reference))
    return scores


def _warnings(counters: Counters, read_stats: ReadStats, log: PredictionLog, summarizer_warnings: list[str]) -> list[str]:
    notes = list(summarizer_warnings)
    if read_stats.bad_records:
        notes.append(f"{read_stats.bad_records} malformed record(s) skipped")
    if log.dropped_partial_line:
        notes.append("a partly written last line of predictions.jsonl was dropped on resume")
    if counters.empty_documents:
        notes.append(f"{counters.empty_documents} document(s) were empty or whitespace-only: summarized as empty")
    if counters.unscored:
        notes.append(f"{counters.unscored} document(s) had no reference summary: not scored")
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

    Raises:
        LongsumError: the model or dataset cannot be loaded, the settings do not fit them, or
            ``output_dir`` holds a run that cannot be resumed with these settings.
    """
    import torch

    if resume and output_dir is None:
        raise LongsumError("--resume needs --output-dir")
    torch.manual_seed(config.seed)
    summarizer = summarizer or load_summarizer(config)
    described = summarizer.describe()
    with tempfile.TemporaryDirectory(prefix="longsum-") as scratch:
        directory = output_dir if output_dir is not None else Path(scratch)
        key = resume_key(config, described)
        _prepare_directory(directory, key, config, resume, force)
        counters = Counters()
        read_stats = ReadStats()
        log = PredictionLog(directory, resume=resume)
        order: list[str] = []

        def pending_items() -> Iterator[Item]:
            source = iter_documents(config.data, stats=read_stats) if documents is None else documents
            for doc in source:
                order.append(doc.id)
                if doc.id in log:
                    counters.resumed_documents += 1
                    continue
                if not doc.text.strip():
                    yield Item(doc=doc, input_ids=[], source_tokens=0)
                    continue
                ids, source_tokens = summarizer.encode(doc.text)
                yield Item(doc=doc, input_ids=ids, source_tokens=source_tokens)

        batching = config.batching
        engine = _Engine(
            summarizer,
            Limits.initial(batching, summarizer.batch_tokens_hint()),
            batching.max_input_tokens if batching.padding == "max-length" else None,
            str(described.get("device", "cpu")),
            progress or _Silent(),
            counters,
        )
        start = time.perf_counter()
        try:
            for window in prefetch(windows(pending_items(), batching.sort_window)):
                for finished in engine.run_window(window):
                    log.append(
                        PredictionRecord(item.doc.id, output.text, item.doc.reference, item.length, item.truncated)
                        for item, output in finished
                    )
                    counters.generated_documents += len(finished)
        finally:
            log.close()
        seconds = time.perf_counter() - start
        counters.bad_records = read_stats.bad_records
        log.finish(order)
        scores = _score(directory / PREDICTIONS, config, counters)
        kept = list(iter_predictions(directory / PREDICTIONS)) if keep_predictions else []
        result = EvalResult(
            rouge=aggregate(
                scores,
                samples=config.scoring.bootstrap_samples,
                confidence=config.scoring.confidence,
                seed=config.scoring.seed,
            ),
            counters=counters,
            seconds=seconds,
            config=config.to_dict(),
            summarizer=described,
            environment=environment(str(described.get("device", "cpu"))),
            signature=eval_signature(config, described, library_versions()),
            warnings=_warnings(counters, read_stats, log, summarizer.warnings),
            predictions=kept,
        )
        if output_dir is not None:
            write_json_atomic(output_dir / METRICS, result.to_dict())
    return result
