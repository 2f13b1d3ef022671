"""Scores by input length: which bucket an input falls in, and ROUGE with its interval in each bucket, by hand."""

import pytest

from longsum.config import ScoreSettings
from longsum.metrics.length_buckets import LENGTH_EDGES, bucket_labels, length_bucket, rouge_by_length
from longsum.metrics.rouge import ROUGE_TYPES, Score


@pytest.mark.parametrize(
    "tokens, truncated, bucket",
    [
        (1, False, "<=2k"),
        (2048, False, "<=2k"),
        (2049, False, "2k-4k"),
        (4096, False, "2k-4k"),
        (8000, False, "4k-8k"),
        (16384, False, "8k-16k"),
        (20000, False, ">16k"),
        (16384, True, "truncated"),
        (300, True, "truncated"),
        (-1, False, None),
    ],
)
def test_length_bucket(tokens, truncated, bucket):
    assert length_bucket(tokens, truncated) == bucket


def test_bucket_labels_in_order():
    assert bucket_labels() == ["<=2k", "2k-4k", "4k-8k", "8k-16k", ">16k", "truncated"]


def scores(f):
    return {t: Score(f, f, f) for t in ROUGE_TYPES}


def test_rouge_by_length_groups_documents_and_averages_them():
    lengths = {"a": (1000, False), "b": (1500, False), "c": (5000, False), "d": (16384, True), "e": (-1, False)}
    per_doc = {"a": scores(0.2), "b": scores(0.4), "c": scores(0.5), "d": scores(0.1), "e": scores(0.9)}
    buckets = rouge_by_length(lengths, per_doc, ScoreSettings(bootstrap_samples=50))
    assert [(b["bucket"], b["documents"]) for b in buckets] == [("<=2k", 2), ("4k-8k", 1), ("truncated", 1)]
    assert buckets[0]["rouge"]["rouge1"]["f"] == pytest.approx(0.3)
    assert buckets[1]["rouge"]["rougeL"]["f"] == pytest.approx(0.5)


def test_the_edges_are_inclusive_and_one_token_more_is_the_next_bucket():
    assert LENGTH_EDGES == (2048, 4096, 8192, 16384)
    assert [length_bucket(edge, False) for edge in LENGTH_EDGES] == ["<=2k", "2k-4k", "4k-8k", "8k-16k"]
    assert [length_bucket(edge + 1, False) for edge in LENGTH_EDGES] == ["2k-4k", "4k-8k", "8k-16k", ">16k"]
    assert length_bucket(0, False) == "<=2k"  # an empty document
    assert length_bucket(-1, True) == "truncated"  # truncated whatever its length


def test_a_bucket_of_one_document_has_its_scores_and_no_interval_width():
    per_doc = {"a": {t: Score(0.6, 0.2, 0.3) for t in ROUGE_TYPES}}
    (bucket,) = rouge_by_length({"a": (9000, False)}, per_doc, ScoreSettings(bootstrap_samples=20))
    assert (bucket["bucket"], bucket["documents"], list(bucket["rouge"])) == ("8k-16k", 1, list(ROUGE_TYPES))
    assert bucket["rouge"]["rouge2"] == pytest.approx({"p": 0.6, "r": 0.2, "f": 0.3, "f_low": 0.3, "f_high": 0.3})
    assert rouge_by_length({"a": (9000, False)}, {}, ScoreSettings(bootstrap_samples=20)) == []
