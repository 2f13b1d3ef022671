"""The outcome of an evaluation: what each process did, and the scores with everything needed to reproduce them,
in the form metrics.json holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from longsum.config import EvalConfig
from longsum.metrics.aggregation import Aggregate
from longsum.results.schema import METRICS_SCHEMA_VERSION, ExampleRecord, MetricsRecord
from longsum.runs.scoring import RecordCounts, ScoredRecords
from longsum.summarizers.protocol import SummarizerInfo
from longsum.summarizers.runner import RunnerStats


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
    config: EvalConfig
    summarizer: SummarizerInfo
    environment: dict[str, object]
    signature: str
    warnings: list[str] = field(default_factory=list)
    #: The fast paths engaged on the model (none in ``--padding max-length``, which runs the recipe unchanged).
    fast_paths: list[str] = field(default_factory=list)
    #: Results of the ``--metric`` modules by name (``runs.metric_modules.compute_metric_modules``).
    evaluate_metrics: dict[str, object] = field(default_factory=dict)
    #: Seconds per phase, main thread and overlapped (``PhaseTimes.to_dict``), up to scoring.
    time_breakdown: dict[str, object] = field(default_factory=dict)
    #: Summaries beside their references, chosen by ROUGE-1 (``results.examples``).
    examples: list[ExampleRecord] = field(default_factory=list)

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

    def to_dict(self) -> MetricsRecord:
        """The metrics.json form: scores as fractions in [0, 1]."""
        s = self.stats
        record: MetricsRecord = {
            "schema_version": METRICS_SCHEMA_VERSION,
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
            "config": self.config.to_dict(),
            "model": self.summarizer.to_dict(),
            "environment": self.environment,
            "signature": self.signature,
        }
        if "usage" in record:
            record["usage"] = {**record["usage"], **self._cost(record["usage"])}
        if self.evaluate_metrics:
            record["evaluate"] = self.evaluate_metrics
        if self.examples:
            record["examples"] = self.examples
        return record

    def _cost(self, usage: dict[str, Any]) -> dict[str, Any]:
        """The estimated cost of ``usage`` at ``--price-in`` and ``--price-out`` (per million tokens), where given."""
        serving = self.config.serving
        if serving.price_in is None and serving.price_out is None:
            return {}
        cost = usage["prompt_tokens"] * (serving.price_in or 0) + usage["completion_tokens"] * (serving.price_out or 0)
        return {"estimated_cost": cost / 1e6, "price_in": serving.price_in, "price_out": serving.price_out}
