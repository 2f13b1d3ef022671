"""Benchmarks: a fixed workload timed in one process with the evaluation's own steps, the docs recipe beside it."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field, replace
from typing import Any, cast

from longsum.benchmarks.ceilings import Ceilings
from longsum.benchmarks.checks import predictions_digest
from longsum.benchmarks.workloads import corpus_words, synthetic_documents
from longsum.config import BatchSettings, EvalConfig
from longsum.engine.batching import RECIPE_BATCH_SIZE
from longsum.engine.loading import CAUSAL
from longsum.engine.memory import peak_memory_bytes, reset_peak
from longsum.errors import LongsumError
from longsum.results.provenance import environment
from longsum.results.schema import BENCH_SCHEMA_VERSION, BenchFigures, BenchRecord
from longsum.results.signature import bench_signature
from longsum.runs.eval_result import EvalResult
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import Document, iter_documents
from longsum.summarizers.protocol import Summarizer
from longsum.summarizers.resolver import load_summarizer
from longsum.summarizers.shapes import describe_shape, is_shape_model


@dataclass(frozen=True)
class BenchConfig:
    """A benchmark workload: the eval settings, how many synthetic documents, repeats, recipe comparison.

    ``recipe_repeats`` (default: ``repeats``) lets a long benchmark time the recipe, which is stock
    transformers and does not change with longsum, fewer times than longsum itself.
    """

    eval: EvalConfig
    synthetic_documents: int = 16
    synthetic_seed: int = 0
    repeats: int = 1
    compare_recipe: bool = False
    recipe_repeats: int | None = None

    def __post_init__(self) -> None:
        if self.repeats < 1:
            raise LongsumError("--repeats must be at least 1")
        if self.recipe_repeats is not None and self.recipe_repeats < 1:
            raise LongsumError("--recipe-repeats must be at least 1")
        if self.synthetic_documents < 1:
            raise LongsumError("--documents must be at least 1")

    @property
    def recipe_runs(self) -> int:
        """How many times the recipe is timed."""
        return self.recipe_repeats or self.repeats


@dataclass
class _FirstBatchClock:
    """A progress sink that notes when the first batch finishes."""

    start: float = field(default_factory=time.perf_counter)
    first: float | None = None

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.start


def _figures(result: EvalResult, first_batch: float | None, device: str, ceilings: Ceilings | None) -> BenchFigures:
    runner = result.stats.runner
    peak, kind = peak_memory_bytes(device)
    per_second = 1 / result.seconds if result.seconds else 0.0
    return {
        "documents": result.counts.documents,
        "seconds": result.seconds,
        "docs_per_second": result.docs_per_second,
        "input_tokens_per_second": runner.processed_tokens * per_second,
        "generated_tokens_per_second": runner.generated_tokens * per_second,
        "padding_efficiency": runner.padding_efficiency,
        "time_to_first_batch": first_batch,
        "peak_memory_bytes": peak,
        "peak_memory_kind": kind,
        "oom_splits": runner.oom_splits,
        "fast_paths": result.fast_paths,
        "generated_tokens": runner.generated_tokens,
        "time_breakdown": result.time_breakdown,
        "roofline": ceilings.fractions(runner) if ceilings else None,
    }


def _timed_runs(
    config: EvalConfig, summarizer: Summarizer, docs: list[Document], repeats: int, ceilings: Ceilings | None
) -> tuple[BenchFigures, list[str]]:
    """Run the workload ``repeats`` times; the median figures, and the predictions of the last run.

    The time breakdown and the roofline are those of the run of median seconds.
    """
    device = summarizer.describe().device
    runs: list[BenchFigures] = []
    predictions: list[str] = []
    for _ in range(repeats):
        reset_peak(device)
        clock = _FirstBatchClock()
        result, records = evaluate_in_memory(config, docs, summarizer=summarizer, progress=clock)
        runs.append(_figures(result, clock.first, device, ceilings))
        predictions = [record.prediction for record in records]
    median = {key: _median([cast(dict[str, Any], run)[key] for run in runs]) for key in runs[0]}
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    median |= {key: cast(dict[str, Any], middle)[key] for key in ("time_breakdown", "roofline")}
    median["runs"] = [run["seconds"] for run in runs]
    median["predictions_sha256"] = predictions_digest(predictions)
    return cast(BenchFigures, median), predictions


def _median(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return values[-1]
    return statistics.median(numbers)


def recipe_config(config: EvalConfig, kind: str | None = None) -> EvalConfig:
    """The reference recipe's batching for ``config``: for a seq2seq model the docs recipe's (every input padded to
    the limit, two at a time); for a decoder-only one (``kind`` ``causal``) the plain recipe's, one prompt at a time."""
    limit = config.batching.max_input_tokens
    if kind == CAUSAL:
        return replace(config, batching=BatchSettings(max_input_tokens=limit, batch_size=1))
    batching = BatchSettings(max_input_tokens=limit, padding="max-length", batch_size=RECIPE_BATCH_SIZE)
    return replace(config, batching=batching)


def bench(config: BenchConfig, summarizer: Summarizer | None = None) -> BenchRecord:
    """Time the workload (and, if asked, the docs recipe on the same documents); the bench JSON's record."""
    eval_config = config.eval
    summarizer = summarizer or load_summarizer(eval_config)
    if eval_config.data.dataset:
        docs = list(iter_documents(eval_config.data))
        source = eval_config.data.dataset
    else:
        docs = synthetic_documents(config.synthetic_documents, config.synthetic_seed, corpus_words())
        source = f"synthetic:{config.synthetic_documents}@{config.synthetic_seed}"
    info = summarizer.describe()
    ceilings = Ceilings.measure(summarizer)
    figures, predictions = _timed_runs(eval_config, summarizer, docs, config.repeats, ceilings)
    report: BenchRecord = {"schema_version": BENCH_SCHEMA_VERSION, "longsum": figures}
    if config.compare_recipe:
        recipe, recipe_predictions = _timed_runs(
            recipe_config(eval_config, info.kind), summarizer, docs, config.recipe_runs, ceilings
        )
        report["recipe"] = recipe
        report["speedup"] = (
            figures["docs_per_second"] / recipe["docs_per_second"] if recipe["docs_per_second"] else None
        )
        report["identical_predictions"] = predictions == recipe_predictions
    recipe_runs = config.recipe_runs if config.compare_recipe else None
    # A baseline has no input limit of its own: the signature names the one asked for.
    limited = (
        info
        if info.max_input_tokens is not None
        else replace(info, max_input_tokens=eval_config.batching.max_input_tokens)
    )
    report["signature"] = bench_signature(limited, source, len(docs), config.repeats, recipe_runs)
    report["config"] = eval_config.to_dict() | {"dataset_source": source, "repeats": config.repeats}
    if recipe_runs is not None:
        report["config"]["recipe_repeats"] = recipe_runs
    report["model"] = info.to_dict()
    report["machine"] = ceilings.machine if ceilings else None
    if is_shape_model(eval_config.model.model):
        report["shape"] = describe_shape(eval_config.model.model)
    report["environment"] = environment(info.device)
    return report
