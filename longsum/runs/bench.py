"""Benchmarks: a fixed workload timed in one process, the docs recipe beside it, baselines for CI."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from longsum.config import BatchSettings, EvalConfig
from longsum.sources.documents import Document, iter_documents
from longsum.errors import LongsumError
from longsum.runs.evaluation import EvalResult, evaluate, load_summarizer
from longsum.engine.batching import RECIPE_BATCH_SIZE
from longsum.engine.bench_models import describe_shape, is_shape_model
from longsum.engine.generation import RunnerStats, Summarizer
from longsum.engine.memory import peak_memory_bytes, reset_peak
from longsum.engine.roofline import Dims, roofline
from longsum.results.signature import format_signature

#: Words per synthetic document: log-normal around PubMed's (median ~3,800 words, 800 to 16,000).
SYNTHETIC_MEDIAN_WORDS = 3800
SYNTHETIC_SIGMA = 0.5
SYNTHETIC_BOUNDS = (800, 16000)


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


def synthetic_documents(count: int, seed: int, words: list[str]) -> list[Document]:
    """``count`` documents with PubMed-like lengths, drawn from ``words`` with a seeded generator."""
    rng = np.random.default_rng(seed)
    low, high = SYNTHETIC_BOUNDS
    lengths = np.clip(rng.lognormal(np.log(SYNTHETIC_MEDIAN_WORDS), SYNTHETIC_SIGMA, count), low, high).astype(int)
    vocabulary = np.array(words)
    docs = []
    for index, length in enumerate(lengths):
        body = vocabulary[rng.integers(0, len(vocabulary), size=int(length))]
        # Sentences of 20 words, so rougeLsum has sentences to split.
        sentences = [" ".join(body[i : i + 20]) + "." for i in range(0, len(body), 20)]
        reference = " ".join(sentences[:8])
        docs.append(Document(index=index, id=f"synthetic-{index}", text=" ".join(sentences), reference=reference))
    return docs


def corpus_words() -> list[str]:
    """The words of the shipped corpus, the vocabulary of synthetic documents."""
    from longsum.engine.builtin_models import corpus_path

    return corpus_path().read_text(encoding="utf-8").split()


@dataclass
class _FirstBatchClock:
    """A progress sink that notes when the first batch finishes."""

    start: float = field(default_factory=time.perf_counter)
    first: float | None = None

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.start


def _figures(result: EvalResult, first_batch: float | None, device: str, ceilings: Ceilings | None) -> dict[str, Any]:
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
) -> tuple[dict[str, Any], list[str]]:
    """Run the workload ``repeats`` times; the median figures, and the predictions of the last run.

    The time breakdown and the roofline are those of the run of median seconds.
    """
    device = str(summarizer.describe().get("device", "cpu"))
    runs = []
    result = None
    for _ in range(repeats):
        reset_peak(device)
        clock = _FirstBatchClock()
        result = evaluate(config, summarizer=summarizer, documents=docs, progress=clock, keep_predictions=True)
        runs.append(_figures(result, clock.first, device, ceilings))
    assert result is not None
    median = {key: _median([run[key] for run in runs]) for key in runs[0]}
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    median |= {key: middle[key] for key in ("time_breakdown", "roofline")}
    median["runs"] = [run["seconds"] for run in runs]
    predictions = [p.prediction for p in result.predictions]
    median["predictions_sha256"] = predictions_digest(predictions)
    return median, predictions


def predictions_digest(predictions: list[str]) -> str:
    """A digest of the predictions in order: two runs (or two commits) agree on every summary iff theirs match."""
    return hashlib.sha256(json.dumps(predictions, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ceilings:
    """The machine's measured ceilings and the model dims that turn a run into FLOPs and bytes."""

    machine: dict[str, Any]
    dims: Dims
    beams: int

    @classmethod
    def measure(cls, summarizer: Summarizer) -> Ceilings | None:
        """Probe the machine for ``summarizer``'s model; ``None`` for models the counts do not cover (not LongT5)."""
        from longsum.engine.loading import torch_dtype
        from longsum.engine.machine_probe import probe_machine

        loaded = getattr(summarizer, "loaded", None)
        if loaded is None or getattr(loaded.model.config, "model_type", None) != "longt5":
            return None
        described = summarizer.describe()
        machine = probe_machine(loaded.device, torch_dtype(loaded.dtype))
        dims = Dims.of(loaded.model.config, loaded.model.dtype.itemsize)
        return cls(machine, dims, int(described["generation"].get("num_beams") or 1))

    def fractions(self, runner: RunnerStats) -> dict[str, Any]:
        """The run's FLOPs, bytes, achieved rates and their fractions of the ceilings."""
        return roofline(
            self.dims, runner.batches, self.beams, runner.encode_seconds, runner.decode_seconds,
            self.machine["peak_flops_per_second"], self.machine["bandwidth_bytes_per_second"],
        )


def _median(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return values[-1]
    return statistics.median(numbers)


def recipe_config(config: EvalConfig) -> EvalConfig:
    """The docs recipe's batching for ``config``: every input padded to the limit, two at a time."""
    return replace(config, batching=BatchSettings(max_input_tokens=config.batching.max_input_tokens, padding="max-length", batch_size=RECIPE_BATCH_SIZE))


def bench(config: BenchConfig, summarizer: Summarizer | None = None) -> dict[str, Any]:
    """Time the workload (and, if asked, the docs recipe on the same documents); the JSON-ready report."""
    from longsum.results.provenance import environment

    eval_config = config.eval
    summarizer = summarizer or load_summarizer(eval_config)
    if eval_config.data.dataset:
        docs = list(iter_documents(eval_config.data))
        source = eval_config.data.dataset
    else:
        docs = synthetic_documents(config.synthetic_documents, config.synthetic_seed, corpus_words())
        source = f"synthetic:{config.synthetic_documents}@{config.synthetic_seed}"
    described = summarizer.describe()
    ceilings = Ceilings.measure(summarizer)
    figures, predictions = _timed_runs(eval_config, summarizer, docs, config.repeats, ceilings)
    report: dict[str, Any] = {"longsum": figures}
    if config.compare_recipe:
        recipe, recipe_predictions = _timed_runs(recipe_config(eval_config), summarizer, docs, config.recipe_runs, ceilings)
        report["recipe"] = recipe
        report["speedup"] = figures["docs_per_second"] / recipe["docs_per_second"] if recipe["docs_per_second"] else None
        report["identical_predictions"] = predictions == recipe_predictions
    gen = described.get("generation", {})
    recipe_runs = {"recipe_repeats": config.recipe_runs} if config.compare_recipe else {}
    report["signature"] = format_signature(
        {
            "model": f"{described.get('model')}@{described.get('revision')}",
            "data": source,
            "n": len(docs),
            "in": described.get("max_input_tokens", eval_config.batching.max_input_tokens),
            "beams": gen.get("num_beams"),
            "maxlen": gen.get("max_length"),
            "maxnew": gen.get("max_new_tokens"),
            "dtype": described.get("dtype"),
            "repeats": config.repeats,
        }
        | recipe_runs
    )
    report["config"] = eval_config.to_dict() | {"dataset_source": source, "repeats": config.repeats} | recipe_runs
    report["model"] = described
    report["machine"] = ceilings.machine if ceilings else None
    if is_shape_model(eval_config.model.model):
        report["shape"] = describe_shape(eval_config.model.model)
    report["environment"] = environment(str(described.get("device", "cpu")))
    return report


def check_regression(report: dict[str, Any], baseline_path: Path, max_regression: float) -> str | None:
    """A one-line failure when docs/s fell more than ``max_regression`` below the baseline's; else ``None``.

    Raises:
        LongsumError: the baseline file is missing or is not a bench report.
    """
    try:
        baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
        reference = float(baseline["longsum"]["docs_per_second"])
    except FileNotFoundError:
        raise LongsumError(f"baseline not found: {baseline_path}") from None
    except (ValueError, KeyError, TypeError):
        raise LongsumError(f"{baseline_path} is not a longsum bench report") from None
    current = report["longsum"]["docs_per_second"]
    floor = reference * (1 - max_regression)
    if current < floor:
        return (
            f"regression: {current:.3f} docs/s is {100 * (1 - current / reference):.1f}% below the baseline's "
            f"{reference:.3f} (allowed {100 * max_regression:.0f}%)"
        )
    return None



def check_speedup(report: dict[str, Any], min_speedup: float) -> str | None:
    """A one-line failure when longsum's speed-up over the docs recipe, timed in the same process, is below
    ``min_speedup``, or when the two gave different predictions; else ``None``.

    A ratio of two timings taken on one machine in one run means the same on every runner, where absolute
    docs/s (``check_regression``) does not.
    """
    speedup = report.get("speedup")
    if speedup is None:
        return "no speed-up measured: the docs recipe was not timed (or took no time)"
    if not report.get("identical_predictions", False):
        return "the docs recipe and longsum gave different predictions; a speed-up over it means nothing"
    if speedup < min_speedup:
        return f"speed-up {speedup:.2f}x over the docs recipe is below --min-speedup {min_speedup:.2f}x"
    return None
