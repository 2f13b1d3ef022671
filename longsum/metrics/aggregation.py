"""Aggregation of per-document scores: the plain mean and a seeded bootstrap confidence interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from longsum.metrics.rouge import ROUGE_TYPES, DocumentScores


class AggregateRecord(TypedDict):
    """An ``Aggregate`` as metrics.json holds it (fractions in [0, 1])."""

    p: float
    r: float
    f: float
    f_low: float
    f_high: float


@dataclass(frozen=True)
class Aggregate:
    """Mean precision, recall and F1 over documents, with the CI of the mean F1."""

    p: float
    r: float
    f: float
    f_low: float
    f_high: float

    def to_dict(self) -> AggregateRecord:
        """The aggregate as plain data."""
        return AggregateRecord(p=self.p, r=self.r, f=self.f, f_low=self.f_low, f_high=self.f_high)


def bootstrap_means(values: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Means of ``samples`` resamples (with replacement, over the first axis) of ``values``.

    Resamples are drawn in chunks so memory stays bounded for large corpora.
    """
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    chunk = max(1, 2_000_000 // max(1, n))
    means = [
        values[rng.integers(0, n, size=(min(chunk, samples - start), n))].mean(axis=1)
        for start in range(0, samples, chunk)
    ]
    return np.concatenate(means)


def aggregate(
    scores: Sequence[DocumentScores], *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> dict[str, Aggregate]:
    """The mean of each ROUGE type over documents, plus a percentile bootstrap CI of the mean F1.

    The headline figure is the plain mean, which is deterministic; only the interval comes from
    resampling, and the resampling is seeded. Returns an empty dict when there are no scores.
    """
    if not scores:
        return {}
    table = np.array([[[s[t].p, s[t].r, s[t].f] for t in ROUGE_TYPES] for s in scores])  # docs x types x prf
    means = table.mean(axis=0)
    boot = bootstrap_means(table[:, :, 2], samples, seed)  # samples x types
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    return {
        t: Aggregate(
            p=float(means[i, 0]), r=float(means[i, 1]), f=float(means[i, 2]), f_low=float(low[i]), f_high=float(high[i])
        )
        for i, t in enumerate(ROUGE_TYPES)
    }


@dataclass(frozen=True)
class MeanInterval:
    """The mean of one score over documents, with its percentile bootstrap CI."""

    mean: float
    low: float
    high: float


def mean_interval(
    values: Sequence[float], *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> MeanInterval | None:
    """The plain mean of ``values`` and a seeded bootstrap CI of it; ``None`` when there are none."""
    if not values:
        return None
    array = np.asarray(values, dtype=float)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(bootstrap_means(array, samples, seed), [tail, 100 - tail])
    return MeanInterval(float(array.mean()), float(low), float(high))
