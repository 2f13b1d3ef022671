"""The ``--metric`` modules of a run: loaded before any model, computed once the predictions are complete."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from longsum.metrics.evaluate_metrics import MetricSpec, compute_metric, load_metric, metric_spec
from longsum.results.storage import PredictionRecord
from longsum.sources.hub import require_hub


@dataclass(frozen=True)
class LoadedMetric:
    """A resolved ``--metric`` and its ready ``evaluate`` module."""

    spec: MetricSpec
    module: Any


def load_metric_modules(names: Iterable[str]) -> list[LoadedMetric]:
    """Resolve and load every ``--metric``, so that a bad one stops the run before a model loads.

    Raises:
        LongsumError: a local module is missing or does not import, or a hub metric cannot be fetched.
    """
    loaded = []
    for name in names:
        spec = metric_spec(name)
        if spec.path is None:
            require_hub(f"metric {name!r}", "pass a local metric module: a .py file or a folder holding NAME/NAME.py")
        loaded.append(LoadedMetric(spec, load_metric(spec)))
    return loaded


def compute_metric_modules(
    metrics: list[LoadedMetric], records: Iterable[PredictionRecord]
) -> tuple[dict[str, Any], list[str]]:
    """Each metric on the records that have a reference (the ones ROUGE scores).

    Returns:
        the results by metric name (``module``, ``hash`` and ``results``), and one warning per metric that
        failed to compute; a failure never costs the run its ROUGE or its predictions.
    """
    if not metrics:
        return {}, []
    pairs = [(r.prediction, r.reference) for r in records if r.reference is not None and r.reference.strip()]
    predictions, references = [p for p, _ in pairs], [r for _, r in pairs]
    results: dict[str, Any] = {}
    warnings = []
    for metric in metrics:
        spec = metric.spec
        try:
            computed = compute_metric(metric.module, predictions, references)
        except Exception as err:  # a third-party module may raise anything; the run keeps its ROUGE
            first_line = str(err).splitlines()[0] if str(err) else ""
            warnings.append(f"--metric {spec.given} failed to compute: {type(err).__name__}: {first_line}")
            continue
        results[spec.name] = {
            "module": spec.given,
            "hash": spec.content_hash,
            "documents": len(pairs),
            "results": computed,
        }
    return results, warnings
