"""Aggregation of per-document scores: the plain mean, worked out by hand, and a seeded percentile bootstrap
interval around it."""

import numpy as np
import pytest

from longsum.metrics.aggregation import Aggregate, aggregate, bootstrap_means
from longsum.metrics.rouge import ROUGE_TYPES, RougeScorer, Score

PAIRS = [
    ("the cat sat on the mat.", "the cat sat on the mat. it was happy."),
    (
        "patients improved after treatment. blood pressure fell.",
        "blood pressure fell in treated patients. they improved.",
    ),
    ("", "an empty prediction scores zero."),
    ("genes were expressed in roots and leaves.", "expression of genes in leaves was high. roots showed less."),
    ("mice mice mice mice", "the mice were fed a high fat diet."),
]


def scores(f, p=None, r=None):
    return {t: Score(f if p is None else p, f if r is None else r, f) for t in ROUGE_TYPES}


def test_aggregate_is_the_plain_mean_with_a_seeded_interval():
    scorer = RougeScorer()
    per_doc = [scorer.score(p, r) for p, r in PAIRS]
    result = aggregate(per_doc, samples=500, seed=7)
    for t in ROUGE_TYPES:
        f = np.array([d[t].f for d in per_doc])
        assert result[t].f == pytest.approx(f.mean())
        assert result[t].p == pytest.approx(np.mean([d[t].p for d in per_doc]))
        assert result[t].f_low <= result[t].f <= result[t].f_high
    assert aggregate(per_doc, samples=500, seed=7) == result
    assert aggregate(per_doc, samples=500, seed=8)["rouge1"] != result["rouge1"]


def test_interval_narrows_as_confidence_falls():
    per_doc = [RougeScorer().score(p, r) for p, r in PAIRS]
    wide = aggregate(per_doc, confidence=0.99)["rouge1"]
    narrow = aggregate(per_doc, confidence=0.5)["rouge1"]
    assert wide.f_high - wide.f_low > narrow.f_high - narrow.f_low


def test_aggregate_of_nothing_is_empty():
    assert aggregate([]) == {}


def test_two_documents_by_hand():
    result = aggregate([scores(2 / 3, 1.0, 0.5), scores(0.0)], samples=200, seed=0)
    assert list(result) == list(ROUGE_TYPES)
    one = result["rouge1"]
    assert (one.p, one.r, one.f) == pytest.approx((0.5, 0.25, 1 / 3))
    # Every resample's mean is 0, 1/3 or 2/3: the interval lies within them.
    assert 0.0 <= one.f_low <= one.f <= one.f_high <= 2 / 3
    assert one.to_dict() == {"p": one.p, "r": one.r, "f": one.f, "f_low": one.f_low, "f_high": one.f_high}


def test_documents_that_agree_have_an_interval_of_no_width():
    result = aggregate([scores(0.4)] * 5, samples=100)
    assert result["rougeL"] == Aggregate(p=0.4, r=0.4, f=0.4, f_low=pytest.approx(0.4), f_high=pytest.approx(0.4))


def test_bootstrap_means_are_means_of_resamples_with_replacement():
    means = bootstrap_means(np.array([[0.0], [1.0]]), samples=2000, seed=0)
    assert means.shape == (2000, 1)
    assert set(np.unique(means)) <= {0.0, 0.5, 1.0}
    assert means.mean() == pytest.approx(0.5, abs=0.05)
    assert np.array_equal(means, bootstrap_means(np.array([[0.0], [1.0]]), samples=2000, seed=0))


def test_large_corpora_are_resampled_in_chunks_that_add_up_to_the_samples_asked_for():
    # 400,001 documents: 4 resamples a chunk, so 10 samples take three chunks (4, 4 and 2).
    values = np.ones((400_001, 2))
    means = bootstrap_means(values, samples=10, seed=1)
    assert means.shape == (10, 2) and np.all(means == 1.0)
