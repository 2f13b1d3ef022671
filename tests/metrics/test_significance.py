"""Known answers for the paired tests, on constructed score arrays."""

import numpy as np
import pytest

from longsum.metrics.significance import (
    approximate_randomization,
    compare_scores,
    paired_bootstrap,
)


def test_identical_systems_do_not_differ():
    a = np.array([0.2, 0.5, 0.1, 0.9, 0.4])
    result = compare_scores(a, a.copy(), samples=500)
    assert result.delta == 0.0 and result.delta_low == 0.0 and result.delta_high == 0.0
    assert result.p_bootstrap == 1.0 and result.p_randomization == 1.0


def test_a_constant_gain_has_an_exact_interval_and_tiny_p_values():
    a = np.linspace(0.1, 0.6, 30)
    result = compare_scores(a, a + 0.1, samples=999)
    assert result.delta == pytest.approx(0.1)
    assert result.delta_low == pytest.approx(0.1) and result.delta_high == pytest.approx(0.1)
    assert result.p_bootstrap == pytest.approx(2 / 1000)  # no resample crosses zero: 2 * (0 + 1) / (999 + 1)
    # Only the two all-same-sign shuffles of 30 documents reach the observed gain: p is (c + 1) / 1000, c tiny.
    assert result.p_randomization <= 3 / 1000


def test_one_document_of_four_cannot_be_significant():
    # Every sign flip of [1, 0, 0, 0] keeps |mean| = 0.25, so every shuffle counts: p = 1 exactly.
    a, b = np.zeros(4), np.array([1.0, 0.0, 0.0, 0.0])
    assert approximate_randomization(a, b, trials=300) == 1.0


def test_four_equal_gains_match_the_exact_randomization_p():
    # Of the 16 sign patterns of [1, 1, 1, 1], 2 reach |mean| = 1: the exact p is 1/8.
    a, b = np.zeros(4), np.ones(4)
    assert approximate_randomization(a, b, trials=20000, seed=1) == pytest.approx(0.125, abs=0.01)


def test_swapping_the_systems_flips_the_delta_and_keeps_the_p_values():
    rng = np.random.default_rng(0)
    a, b = rng.random(50), rng.random(50) + 0.05
    ab, ba = compare_scores(a, b, seed=3), compare_scores(b, a, seed=3)
    assert ab.delta == pytest.approx(-ba.delta)
    assert ab.delta_low == pytest.approx(-ba.delta_high) and ab.delta_high == pytest.approx(-ba.delta_low)
    assert ab.p_randomization == ba.p_randomization and ab.p_bootstrap == ba.p_bootstrap


def test_results_are_seeded():
    rng = np.random.default_rng(5)
    a, b = rng.random(40), rng.random(40)
    assert paired_bootstrap(a, b, seed=9) == paired_bootstrap(a, b, seed=9)
    assert paired_bootstrap(a, b, seed=9) != paired_bootstrap(a, b, seed=10)


def test_misaligned_scores_are_refused():
    with pytest.raises(ValueError):
        compare_scores(np.zeros(3), np.zeros(4))
