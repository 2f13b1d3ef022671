"""The terminal table of --faithfulness."""

from __future__ import annotations

from rich.console import Console

from longsum.results.faithfulness_table import faithfulness_table


def test_the_table_shows_the_mean_ci_buckets_and_unscored():
    record = {
        "model": "nli@sha256:abc",
        "method": "summac-zs",
        "scale": [-1.0, 1.0],
        "documents": 3,
        "unscored": 1,
        "mean": 0.25,
        "low": 0.1,
        "high": 0.4,
        "by_length": [{"bucket": "<=2k", "documents": 3, "mean": 0.25, "low": 0.1, "high": 0.4}],
    }
    console = Console(width=150, record=True)
    console.print(faithfulness_table(record))
    text = " ".join(console.export_text().split())
    assert "summac-zs, -1 to 1; NLI model nli@sha256:abc" in text
    assert "0.250" in text and "0.100 to 0.400" in text and "<=2k" in text
    assert "1 document(s) not scored" in text
