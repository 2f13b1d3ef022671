"""What the terminal shows: the metrics tables (x100, with the CI at the run's confidence), counts, speed and
signature lines, summaries as text or JSON Lines, --metric rows and a comparison."""

import io
import json

import pytest
from rich.console import Console

import longsum.results.terminal as terminal
from longsum.results.terminal import evaluate_rows, format_summaries, render_comparison, render_metrics
from longsum.runs.summarize import FileSummary

METRICS = {
    "rouge": {
        "rouge1": {"p": 0.5, "r": 0.25, "f": 1 / 3, "f_low": 0.2, "f_high": 0.45},
        "rougeL": {"p": 0.4, "r": 0.2, "f": 0.25, "f_low": 0.1, "f_high": 0.3},
    },
    "by_length": [{"bucket": "<=2k", "documents": 3, "rouge": {"rouge1": {"f": 0.3}, "rougeL": {"f": 0.2}}}],
    "documents": 4,
    "scored": 3,
    "truncated": 1,
    "empty_predictions": 0,
    "cut_at_limit": 1,
    "cut_at_limit_share": 1 / 3,
    "signature": "model:x@1|n:4",
    "config": {"scoring": {"confidence": 0.9}},
}


@pytest.fixture
def shown(monkeypatch):
    """What terminal prints to stdout, on a console wide enough that no table wraps."""
    out = io.StringIO()
    monkeypatch.setattr(terminal, "stdout", Console(file=out, width=200))
    return out


def rows(text):
    """The table rows of ``text`` as lists of cells, and the lines outside tables."""
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in text.splitlines() if line.startswith("│")]
    plain = [line.rstrip() for line in text.splitlines() if line and line[0] not in "┏┃┡│└"]
    return cells, plain


def test_metrics_show_rouge_x100_with_the_ci_at_the_run_s_confidence_then_lengths_counts_and_signature(shown):
    render_metrics(METRICS)
    cells, plain = rows(shown.getvalue())
    assert "90% CI" in shown.getvalue()
    assert cells == [
        ["rouge1", "33.33", "20.00-45.00", "50.00", "25.00"],
        ["rougeL", "25.00", "10.00-30.00", "40.00", "20.00"],
        ["<=2k", "3", "30.00", "20.00"],
    ]
    assert plain == [
        "ROUGE F1 by input length (tokens)",
        "documents 4 (scored 3, truncated 1, empty predictions 0)",
        "cut at the length limit 1 (33.3%)",
        "signature: model:x@1|n:4",
    ]


def test_without_references_nothing_is_scored_and_a_model_run_shows_its_speed(shown):
    render_metrics({**METRICS, "rouge": {}, "seconds": 12.34, "docs_per_second": 0.5, "padding_efficiency": 0.75})
    assert shown.getvalue().splitlines() == [
        "no document had a reference summary: nothing to score",
        "documents 4 (scored 3, truncated 1, empty predictions 0)",
        "cut at the length limit 1 (33.3%)",
        "12.3 s, 0.50 docs/s, padding efficiency 0.75",
        "signature: model:x@1|n:4",
    ]


def test_statistics_show_means_and_a_dash_where_a_side_has_none(shown):
    statistic = {key: {"mean": 0.25} for _, key, _ in terminal.STATISTIC_ROWS}
    statistics = {
        "documents": 2,
        "prediction": {**statistic, "words": {"mean": 12.5}},
        "reference": {**statistic, "coverage": None},
        "empty_predictions": 0.5,
        "repetitive_threshold": 0.3,
        "repetitive_predictions": 0.0,
    }
    render_metrics({**METRICS, "cut_at_limit_share": None, "statistics": statistics})
    cells, plain = rows(shown.getvalue())
    assert ["words", "12.5", "0.2"] in cells  # {:.1f} of 0.25 rounds half to even
    assert ["extractive coverage", "0.250", "-"] in cells and ["novel unigrams", "25.0%", "25.0%"] in cells
    assert "summary statistics (mean over 2 documents)" in plain
    assert "empty predictions 50.0%, repetitive (>= 30% repeated trigrams) 0.0%" in plain
    assert not any(line.startswith("cut at the length limit") for line in plain)


def test_json_is_the_metrics_document(shown):
    render_metrics(METRICS, as_json=True)
    assert json.loads(shown.getvalue()) == METRICS


def test_summaries_as_text_are_headed_by_file_only_when_there_are_several():
    one = FileSummary("a.txt", "first summary", 12, False, 12)
    two = FileSummary("-", "second summary", 256, True, 900)
    assert format_summaries([one]) == "first summary\n"
    assert format_summaries([one, two]) == "==> a.txt <==\nfirst summary\n\n==> - <==\nsecond summary\n"
    lines = [json.loads(line) for line in format_summaries([one, two], as_json=True).splitlines()]
    assert lines[1] == {"file": "-", "summary": "second summary", "input_tokens": 256, "truncated": True}


def test_metric_module_rows_show_floats_and_the_mean_of_per_document_lists():
    results = {"overlap": {"results": {"overlap": 0.123456, "per_document": [1.0, 0, 0.5], "note": "n/a", "k": 3}}}
    assert evaluate_rows(results) == [
        ("overlap", "overlap", "0.1235"),
        ("overlap", "per_document", "0.5000 (mean of 3)"),
        ("overlap", "note", "n/a"),
        ("overlap", "k", "3"),
    ]


def test_a_comparison_shows_signed_differences_and_the_shared_documents(shown):
    comparison = {
        "a": "runs/a",
        "b": "runs/b",
        "metrics": {
            "rouge1": {
                "a": 0.3,
                "b": 0.325,
                "delta": 0.025,
                "delta_low": -0.01,
                "delta_high": 0.06,
                "p_bootstrap": 0.123,
                "p_randomization": 0.1301,
            }
        },
        "shared_documents": 8,
        "only_a": 1,
        "only_b": 0,
        "changed_predictions": 3,
        "samples": 300,
        "seed": 0,
        "signature": "sig",
    }
    render_comparison(comparison)
    cells, plain = rows(shown.getvalue())
    assert cells == [["rouge1", "30.00", "32.50", "+2.50", "-1.00 to +6.00", "0.1230", "0.1301"]]
    assert plain[-2:] == [
        "8 shared documents (only in A: 1, only in B: 0); 3 summarized differently in B; 300 resamples, seed 0",
        "signature: sig",
    ]


def test_a_served_run_shows_its_token_usage_refusals_and_estimated_cost(shown):
    usage = {"prompt_tokens": 12345, "completion_tokens": 678, "too_long": 2, "estimated_cost": 0.04567}
    render_metrics({**METRICS, "rouge": {}, "usage": usage})
    assert "usage: 12,345 prompt + 678 completion tokens, 2 refused as too long, estimated cost 0.0457" in (
        shown.getvalue().splitlines()
    )


def test_progress_counts_documents_and_tokens_per_second():
    progress = terminal.RichProgress(10, shown=False)
    progress._start -= 2.0  # two seconds ago, to a few microseconds
    progress.advance(3, 1000, 50)
    task = progress._bar.tasks[0]
    assert task.completed == 3
    assert task.fields["rates"] == "1.50 docs/s  in 500 tok/s  out 25.0 tok/s"
