"""Known answers for the extractive statistics, on texts small enough to work out by hand."""

import pytest

from longsum.metrics.extractiveness import (
    extractiveness,
    fragments,
    novel_ngram_rate,
    repeated_ngram_rate,
    words,
)


def w(text):
    return text.split()


@pytest.mark.parametrize(
    "source, summary, expected",
    [
        ("the cat sat on the mat", "the cat sat", [3]),
        ("a b c d e", "a b x d e", [2, 2]),  # x is nowhere in the source: no fragment
        ("a b c d e", "d e a b c", [2, 3]),  # fragments in summary order, from anywhere in the source
        ("a b c", "x y z", []),
        # Newsroom's greedy scan resumes after each match, so the 3-word match starting at the
        # source's second word is never tried: [2, 1], not [3].
        ("a a a b", "a a b", [2, 1]),
        ("a b a b c", "a b c", [3]),
    ],
)
def test_fragments_follow_newsroom_greedy_matching(source, summary, expected):
    assert fragments(w(source), w(summary)) == expected


@pytest.mark.parametrize(
    "source, summary, coverage, density, compression",
    [
        ("the cat sat on the mat", "the cat sat", 1.0, 3.0, 2.0),
        ("a b c d e", "a b x d e", 4 / 5, (4 + 4) / 5, 1.0),
        ("a b c d e f g h", "x a y", 1 / 3, 1 / 3, 8 / 3),
    ],
)
def test_coverage_density_and_compression(source, summary, coverage, density, compression):
    measures = extractiveness(w(source), w(summary))
    assert measures.coverage == pytest.approx(coverage)
    assert measures.density == pytest.approx(density)
    assert measures.compression == pytest.approx(compression)


def test_empty_texts_have_no_extractiveness():
    assert extractiveness([], w("a b")) is None
    assert extractiveness(w("a b"), []) is None


@pytest.mark.parametrize(
    "source, summary, n, rate",
    [
        ("a b c", "a b d", 1, 1 / 3),
        ("a b c", "a b d", 2, 1 / 2),
        ("a b c", "c b a", 2, 1.0),
        ("a b c", "a b c", 3, 0.0),
        ("a b c", "a a a", 1, 0.0),  # repeats counted, each one is in the source
        ("a b c", "a", 2, None),  # no bigram at all
    ],
)
def test_novel_ngram_rate(source, summary, n, rate):
    assert novel_ngram_rate(w(source), w(summary), n) == (pytest.approx(rate) if rate is not None else None)


@pytest.mark.parametrize(
    "text, rate",
    [
        ("a b c d e", 0.0),
        ("a b c a b c a b c", 1 - 3 / 7),  # 7 trigrams, 3 distinct
        ("x x x x x x", 1 - 1 / 4),
        ("a b", None),
    ],
)
def test_repeated_trigram_rate(text, rate):
    assert repeated_ngram_rate(w(text), 3) == (pytest.approx(rate) if rate is not None else None)


def test_words_are_rouge_score_tokens():
    assert words("The Cell-cycle, (p<0.05)!") == ["the", "cell", "cycle", "p", "0", "05"]
