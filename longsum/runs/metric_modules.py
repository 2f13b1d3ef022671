"""The ``--metric`` modules of a run: loaded before any model, computed once the predictions are complete."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from longsum.metrics.evaluate_metrics import MetricSpec, compute_metric, load_metric, metric_spec
from longsum.results.storage import PredictionRecord
from longsum.sources.documents import Document
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


def needs_sources(metric: LoadedMetric) -> bool:
    """Whether the module's features declare ``sources`` (as evaluate's SARI does): it takes the documents too."""
    features = getattr(metric.module, "features", None)
    return any(f is not None and "sources" in f for f in (features if isinstance(features, list) else [features]))


def compute_metric_modules(
    metrics: list[LoadedMetric],
    records: Iterable[PredictionRecord],
    documents: Iterable[Document] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Each metric on the records that have a reference (the ones ROUGE scores).

    A metric whose features declare ``sources`` also gets each record's document text, and is computed on the
    records whose document was found.

    Args:
        documents: the source documents (read only when a metric takes sources; ``None``: none are at hand).

    Returns:
        the results by metric name (``module``, ``hash`` and ``results``), and one warning per metric that
        failed to compute; a failure never costs the run its ROUGE or its predictions.
    """
    if not metrics:
        return {}, []
    scored = [r for r in records if r.reference is not None and r.reference.strip()]
    texts = {d.id: d.text for d in documents} if documents is not None and any(map(needs_sources, metrics)) else {}
    results: dict[str, Any] = {}
    warnings = []
    for metric in metrics:
        spec = metric.spec
        with_source = needs_sources(metric)
        if with_source and not texts:
            warnings.append(f"--metric {spec.given} takes sources, and no source document was found: not computed")
            continue
        pairs = [r for r in scored if r.id in texts] if with_source else scored
        predictions = [r.prediction for r in pairs]
        references = [r.reference or "" for r in pairs]
        sources = [texts[r.id] for r in pairs] if with_source else None
        try:
            computed = compute_metric(metric.module, predictions, references, sources, spec.options)
        except Exception as err:  # a third-party module may raise anything; the run keeps its ROUGE
            first_line = str(err).splitlines()[0] if str(err) else ""
            warnings.append(f"--metric {spec.given} failed to compute: {type(err).__name__}: {first_line}")
            continue
        results[spec.name] = {
            "module": spec.given,
            "hash": spec.content_hash,
            "documents": len(pairs),
            **({"sources": True} if with_source else {}),
            "results": computed,
        }
    return results, warnings
