"""Per-document length and extractiveness statistics and their summary, with hand-worked answers."""

import pytest

from longsum.metrics.summary_stats import document_stats, summarize_stats


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
