"""The evaluation pipeline: stream documents, batch, generate, score, store, aggregate."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from longsum.batching import Item, Limits, plan_batches, prefetch, windows
from longsum.config import EvalConfig
from longsum.data import Document, iter_documents
from longsum.environment import environment, library_versions
from longsum.errors import LongsumError
from longsum.generation import Output, Seq2SeqSummarizer, Summarizer
from longsum.memory import is_out_of_memory, release_cached_memory
from longsum.rouge import DocumentScores, RougeScorer
from longsum.scoring import Aggregate, aggregate
from longsum.signature import eval_signature
from longsum.storage import METRICS, PredictionRecord, PredictionWriter, write_json_atomic


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
    """Running totals of a run."""

    documents: int = 0
    truncated: int = 0
    empty_documents: int = 0
    empty_predictions: int = 0
    unscored: int = 0
    input_tokens: int = 0
    encoder_tokens: int = 0
    generated_tokens: int = 0
    oom_splits: int = 0


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
    predictions: list[PredictionRecord] = field(default_factory=list, repr=False)

    @property
    def docs_per_second(self) -> float:
        """Documents per second of wall time, loading excluded."""
        return self.counters.documents / self.seconds if self.seconds > 0 else 0.0

    @property
    def padding_efficiency(self) -> float:
        """Real input tokens over input tokens the encoder processed."""
        c = self.counters
        return c.input_tokens / c.encoder_tokens if c.encoder_tokens else 1.0

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
            "generated_tokens": c.generated_tokens,
            "padding_efficiency": self.padding_efficiency,
            "oom_splits": c.oom_splits,
            "seconds": self.seconds,
            "docs_per_second": self.docs_per_second,
            "config": self.config,
            "model": self.summarizer,
            "environment": self.environment,
            "signature": self.signature,
        }


def _items(summarizer: Summarizer, documents: Iterable[Document]) -> Iterator[Item]:
    for doc in documents:
        ids, source_tokens = summarizer.encode(doc.text)
        yield Item(doc=doc, input_ids=ids, source_tokens=source_tokens)


@dataclass
class _Engine:
    """Runs windows of items through a summarizer, halving batches that run out of device memory."""

    summarizer: Summarizer
    limits: Limits
    pad_to: int | None
    device: str
    progress: Progress
    counters: Counters

    def run_window(self, window: list[Item]) -> list[tuple[Item, Output]]:
        """Every item of ``window`` with its output, in dataset order; each item generated exactly once."""
        done: list[tuple[Item, Output]] = []
        pending = deque(plan_batches(window, self.limits, self.pad_to))
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
            done.extend(zip(batch.items, outputs))
            generated = sum(o.tokens for o in outputs)
            self.counters.encoder_tokens += batch.encoder_tokens
            self.counters.generated_tokens += generated
            self.progress.advance(len(batch.items), batch.real_tokens, generated)
        done.sort(key=lambda pair: pair[0].doc.index)
        return done


def load_summarizer(config: EvalConfig) -> Seq2SeqSummarizer:
    """The model of ``config.model`` behind a summarizer with the run's generation and batching settings."""
    from longsum.loading import load_model

    return Seq2SeqSummarizer(load_model(config.model), config.generation, config.batching)


def evaluate(
    config: EvalConfig,
    *,
    output_dir: Path | None = None,
    summarizer: Summarizer | None = None,
    progress: Progress | None = None,
    keep_predictions: bool = False,
    documents: Iterable[Document] | None = None,
) -> EvalResult:
    """Summarize the dataset ``config`` names and score it with ROUGE.

    Args:
        config: what to load, read, generate and score.
        output_dir: where predictions.jsonl (appended per window, in dataset order) and metrics.json go.
        summarizer: a ready summarizer; by default the model of ``config.model`` is loaded.
        progress: told after every batch.
        keep_predictions: also return every prediction record in memory (off, so memory stays flat).
        documents: documents to use instead of reading ``config.data`` (benchmarks pass synthetic ones).

    Raises:
        LongsumError: the model or dataset cannot be loaded, or the settings do not fit them.
    """
    import torch

    torch.manual_seed(config.seed)
    summarizer = summarizer or load_summarizer(config)
    documents = iter_documents(config.data) if documents is None else documents
    progress = progress or _Silent()
    scorer = RougeScorer(config.scoring.use_stemmer, config.scoring.sentence_splitter)
    counters = Counters()
    scores: list[DocumentScores] = []
    kept: list[PredictionRecord] = []
    batching = config.batching
    described = summarizer.describe()
    engine = _Engine(
        summarizer,
        Limits.initial(batching, summarizer.batch_tokens_hint()),
        batching.max_input_tokens if batching.padding == "max-length" else None,
        str(described.get("device", "cpu")),
        progress,
        counters,
    )
    writer = PredictionWriter(output_dir) if output_dir is not None else None
    start = time.perf_counter()
    try:
        for window in prefetch(windows(_items(summarizer, documents), batching.sort_window)):
            records = []
            for item, output in engine.run_window(window):
                doc = item.doc
                counters.documents += 1
                counters.truncated += item.truncated
                counters.input_tokens += item.length
                counters.empty_documents += not doc.text.strip()
                counters.empty_predictions += not output.text.strip()
                if doc.reference is None or not doc.reference.strip():
                    counters.unscored += 1
                else:
                    scores.append(scorer.score(output.text, doc.reference))
                records.append(PredictionRecord(doc.id, output.text, doc.reference, item.length, item.truncated))
            if writer is not None:
                writer.write(records)
            if keep_predictions:
                kept.extend(records)
    finally:
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - start
    versions = library_versions()
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
        signature=eval_signature(config, described, versions),
        predictions=kept,
    )
    if output_dir is not None:
        write_json_atomic(output_dir / METRICS, result.to_dict())
    return result
