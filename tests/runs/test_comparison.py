"""Comparing two stored runs document by document: shared and unshared documents counted by hand, the paired
tests through the CLI, and a run against itself."""

import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.metrics.rouge import ROUGE_TYPES, Score
from longsum.results.storage import PredictionRecord
from longsum.runs.comparison import changed_predictions, compare_files, compare_runs
from longsum.runs.scoring import RecordCounts, ScoredRecords

runner = CliRunner()


def scored(**f_by_id):
    return ScoredRecords(
        RecordCounts(), scores={i: {t: Score(f, f, f) for t in ROUGE_TYPES} for i, f in f_by_id.items()}
    )


def test_only_the_shared_documents_are_compared():
    a = scored(d1=0.2, d2=0.4, d3=0.6, only_a=0.9)
    b = scored(d3=0.7, d2=0.5, d1=0.3, only_b1=0.1, only_b2=0.1)
    comparison = compare_runs(a, b, ScoreSettings(bootstrap_samples=100, seed=4))
    assert (comparison.shared, comparison.only_a, comparison.only_b) == (3, 1, 2)
    assert (comparison.samples, comparison.seed) == (100, 4)
    for metric in comparison.metrics.values():
        assert (metric.a, metric.b, metric.delta) == pytest.approx((0.4, 0.5, 0.1))
    record = comparison.to_dict()
    assert list(record) == ["shared_documents", "only_a", "only_b", "samples", "seed", "metrics"]
    assert list(record["metrics"]) == list(ROUGE_TYPES)


def test_runs_that_share_no_document_are_one_error():
    with pytest.raises(LongsumError, match=r"the two runs share no scored document \(ids differ\?\)"):
        compare_runs(scored(x=0.1), scored(y=0.1), ScoreSettings(bootstrap_samples=10))


def test_compare_two_runs(two_runs):
    a, b = two_runs
    result = runner.invoke(app, ["compare", str(a), str(b), "--samples", "300", "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    assert comparison["shared_documents"] == 8 and comparison["samples"] == 300 and comparison["seed"] == 0
    for c in comparison["metrics"].values():
        assert c["delta"] == pytest.approx(c["b"] - c["a"])
        assert c["delta_low"] <= c["delta"] <= c["delta_high"]
        assert 0 < c["p_bootstrap"] <= 1 and 0 < c["p_randomization"] <= 1
    table = runner.invoke(app, ["compare", str(a), str(b), "--samples", "100"])
    assert "rougeLsum" in table.stdout and "8 shared documents" in table.stdout
    assert f"{comparison['changed_predictions']} summarized differently in B" in table.stdout


def test_compare_a_run_with_itself_finds_nothing(two_runs):
    comparison = compare_files(two_runs[0], two_runs[0], ScoreSettings(bootstrap_samples=100))
    assert all(c["delta"] == 0 and c["p_randomization"] == 1.0 for c in comparison["metrics"].values())
    assert comparison["changed_predictions"] == 0


def test_changed_predictions_counts_the_documents_of_both_runs_summarized_differently():
    def records(**prediction_by_id):
        return [PredictionRecord(i, p, "ref", 10, False) for i, p in prediction_by_id.items()]

    a = records(d1="same", d2="one way", d3="gone", only_a="x")
    b = records(d2="another way", d1="same", d3="", only_b="y")
    assert changed_predictions(a, b) == 2
