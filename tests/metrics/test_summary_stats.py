"""Length buckets, per-document statistics and their summary, with hand-worked answers."""

import pytest

from longsum.config import ScoreSettings
from longsum.metrics.length_buckets import bucket_labels, length_bucket, rouge_by_length
from longsum.metrics.rouge import ROUGE_TYPES, Score
from longsum.metrics.summary_stats import document_stats, summarize_stats


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


def test_document_stats_on_a_constructed_text():
    source = "The mice were treated. The treated mice lived longer. Controls did not."
    stats = document_stats(source, "The treated mice lived longer. Mice lived.", None)
    assert stats["source_words"] == 12
    assert "reference" not in stats
    p = stats["prediction"]
    assert (p["words"], p["sentences"]) == (7, 2)
    # Fragments: "the treated mice lived longer" (5), then "mice lived" (2).
    assert p["coverage"] == pytest.approx(1.0)
    assert p["density"] == pytest.approx((25 + 4) / 7)
    assert p["compression"] == pytest.approx(12 / 7)
    assert p["novel_1"] == 0.0
    assert p["novel_2"] == pytest.approx(1 / 6)  # "longer mice" is the only unseen bigram
    assert p["repeated_3"] == 0.0


def test_empty_prediction_statistics():
    stats = document_stats("Some source text here.", "", "A reference.")
    assert stats["prediction"]["words"] == 0
    assert stats["prediction"]["coverage"] is None and stats["prediction"]["novel_1"] is None
    assert stats["reference"]["words"] == 2


def test_summary_counts_empty_and_repetitive_predictions():
    looping = "the cell the cell the cell the cell the cell"
    stats = [
        document_stats("a source about the cell cycle", looping, "ref one"),
        document_stats("a source about the cell cycle", "", "ref two"),
        document_stats("a source about the cell cycle", "the cell cycle", "ref three"),
        document_stats("a source about the cell cycle", "about the cell", "ref four"),
    ]
    summary = summarize_stats(stats)
    assert summary["documents"] == 4
    assert summary["empty_predictions"] == pytest.approx(1 / 4)
    assert summary["repetitive_predictions"] == pytest.approx(1 / 4)
    assert summary["prediction"]["words"]["mean"] == pytest.approx((10 + 0 + 3 + 3) / 4)
    assert summary["reference"]["words"]["median"] == pytest.approx(2)
    assert summarize_stats([]) == {}
