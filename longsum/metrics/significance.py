"""Significance of a difference between two systems scored on the same documents.

Both tests resample stored per-document scores (score once, resample many times), as sacrebleu's
paired tests do for BLEU; every draw comes from a seeded ``numpy.random.default_rng``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from longsum.metrics.aggregation import bootstrap_means


@dataclass(frozen=True)
class PairedComparison:
    """System B against system A on one metric.

    Attributes:
        a, b: mean scores over the shared documents.
        delta: ``b - a``.
        delta_low, delta_high: percentile bootstrap CI of the delta.
        p_bootstrap: two-sided paired-bootstrap p-value of "no difference".
        p_randomization: two-sided approximate-randomization p-value.
    """

    a: float
    b: float
    delta: float
    delta_low: float
    delta_high: float
    p_bootstrap: float
    p_randomization: float

    def to_dict(self) -> dict[str, float]:
        """The comparison as plain data."""
        return asdict(self)


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """CI of ``mean(b - a)`` and the two-sided p-value of a zero difference, by resampling documents.

    The p-value is twice the share of resampled deltas on the other side of zero from the observed
    one (Koehn 2004's paired bootstrap, made two-sided), as ``(c + 1) / (samples + 1)`` so that it is
    never reported as exactly zero, and capped at 1.
    """
    deltas = bootstrap_means(b - a, samples, seed)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(deltas, [tail, 100 - tail])
    observed = float(np.mean(b - a))
    if observed == 0:
        return float(low), float(high), 1.0
    against = int(np.sum(deltas <= 0) if observed > 0 else np.sum(deltas >= 0))
    return float(low), float(high), min(1.0, 2 * (against + 1) / (samples + 1))


def approximate_randomization(a: np.ndarray, b: np.ndarray, *, trials: int = 1000, seed: int = 0) -> float:
    """Two-sided p-value that A and B are exchangeable: swap each document's pair with probability 1/2.

    ``(c + 1) / (trials + 1)``, where ``c`` counts shuffles whose absolute mean difference reaches the
    observed one (Riezler and Maxwell 2005; the +1 keeps the estimate valid).
    """
    rng = np.random.default_rng(seed)
    diff = b - a
    observed = abs(diff.mean())
    count = 0
    chunk = max(1, 2_000_000 // max(1, diff.size))
    for start in range(0, trials, chunk):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(min(chunk, trials - start), diff.size))
        # Tolerance: a shuffle equal to the observed difference must count despite float rounding.
        count += int(np.sum(np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12))
    return (count + 1) / (trials + 1)


def compare_scores(
    a: np.ndarray, b: np.ndarray, *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> PairedComparison:
    """Compare two aligned arrays of per-document scores (same documents, same order)."""
    if a.shape != b.shape or a.size == 0:
        raise ValueError("the two systems need scores for the same, non-empty set of documents")
    low, high, p_boot = paired_bootstrap(a, b, samples=samples, confidence=confidence, seed=seed)
    return PairedComparison(
        a=float(a.mean()),
        b=float(b.mean()),
        delta=float((b - a).mean()),
        delta_low=low,
        delta_high=high,
        p_bootstrap=p_boot,
        p_randomization=approximate_randomization(a, b, trials=samples, seed=seed),
    )
