"""Scoring stored predictions: counts and ROUGE worked out by hand, every input form (a run, JSON Lines with other
field names, two plain-text files), the same numbers eval reported, and one line for each malformed input."""

import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.results.storage import PREDICTIONS, PredictionRecord
from longsum.runs.scoring import iter_pairs, predictions_path, score_file, score_records

runner = CliRunner()


def test_counts_and_scores_of_records_by_hand():
    records = [
        PredictionRecord("a", "the cat sat", "the cat sat on the mat", 100, False, ended_with_eos=True),
        PredictionRecord("b", "", "an empty document", 0, False),
        PredictionRecord("c", "cut short", None, 5000, True, ended_with_eos=False),
        PredictionRecord("d", "not ours", "  ", -1, False),  # a file not written by longsum: no token count
    ]
    scored = score_records(records, ScoreSettings(bootstrap_samples=50))
    c = scored.counts
    assert (c.documents, c.truncated, c.empty_documents, c.empty_predictions, c.unscored) == (4, 1, 1, 1, 2)
    assert (c.input_tokens, c.length_limited, c.cut_at_limit, c.cut_at_limit_share) == (5100, 2, 1, 0.5)
    assert sorted(scored.scores) == ["a", "b"]
    assert scored.rouge["rouge1"].f == pytest.approx((2 / 3 + 0) / 2)
    record = scored.to_dict()
    assert (record["scored"], record["missing_references"], record["cut_at_limit_share"]) == (2, 2, 0.5)
    assert [(b["bucket"], b["documents"]) for b in record["by_length"]] == [("<=2k", 2)]
    assert record["statistics"] == {}  # no record carries statistics


def test_no_record_with_a_limit_leaves_the_share_unknown():
    scored = score_records([PredictionRecord("a", "x", "x", 3, False)], ScoreSettings(bootstrap_samples=10))
    assert scored.counts.cut_at_limit_share is None and scored.rouge["rougeL"].f == 1.0


def test_jsonl_rows_without_ids_are_numbered_and_a_missing_prediction_is_empty(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [{"output": "a b", "gold": "a b c"}, {"output": None, "gold": "x", "id": "named", "input_tokens": 40}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert list(iter_pairs(path)) == [
        PredictionRecord("0", "a b", "a b c", -1, False),
        PredictionRecord("named", "", "x", 40, False),
    ]


def test_a_run_directory_is_read_through_its_predictions_file(tmp_path):
    (tmp_path / PREDICTIONS).write_text("", encoding="utf-8")
    assert predictions_path(tmp_path) == tmp_path / PREDICTIONS
    assert predictions_path(tmp_path / PREDICTIONS) == tmp_path / PREDICTIONS
    with pytest.raises(LongsumError, match=r"^predictions not found: .*elsewhere.jsonl$"):
        predictions_path(tmp_path / "elsewhere.jsonl")
    with pytest.raises(LongsumError, match=r"^references not found: .*r.txt$"):
        iter_pairs(tmp_path, tmp_path / "r.txt")


def test_score_equals_what_eval_reported(two_runs):
    run = two_runs[0]
    stored = json.loads((run / "metrics.json").read_text())
    result = runner.invoke(app, ["score", str(run / "predictions.jsonl"), "--bootstrap-samples", "200", "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert scored["rouge"] == stored["rouge"]
    assert (scored["documents"], scored["truncated"]) == (stored["documents"], stored["truncated"])
    assert scored["signature"].startswith(f"predictions:{run / 'predictions.jsonl'}|n:8|")


def test_score_two_plain_text_files(tmp_path):
    (tmp_path / "pred.txt").write_text("the cat sat\nx y z\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("the cat sat on the mat\na b c\n", encoding="utf-8")
    metrics = score_file(tmp_path / "pred.txt", tmp_path / "ref.txt", ScoreSettings(bootstrap_samples=50))
    assert metrics["documents"] == 2
    assert metrics["rouge"]["rouge1"]["f"] == pytest.approx((2 / 3 + 0) / 2)


def test_score_other_jsonl_field_names(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"summary": "the cat sat", "target": "the cat sat"}) + "\n", encoding="utf-8")
    assert score_file(path, None, ScoreSettings(bootstrap_samples=10))["rouge"]["rougeL"]["f"] == 1.0


@pytest.mark.parametrize(
    "files, message",
    [
        ({"p.jsonl": '{"text": "x", "gold": "y"}\n'}, "no prediction field"),
        ({"p.txt": "a\nb\n", "r.txt": "a\n"}, "different numbers of lines"),
        ({}, "predictions not found"),
    ],
)
def test_score_errors(tmp_path, files, message):
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    args = [str(tmp_path / ("p.txt" if "p.txt" in files else "p.jsonl"))] + (
        [str(tmp_path / "r.txt")] if "r.txt" in files else []
    )
    result = runner.invoke(app, ["score", *args])
    assert result.exit_code == 2 and message in result.stderr


def test_a_served_models_usage_is_summed_and_its_refusals_counted():
    records = [
        PredictionRecord("a", "x y", "x y", 30, False, usage={"prompt_tokens": 30, "completion_tokens": 2}),
        PredictionRecord("b", "x", "x", 20, False, usage={"prompt_tokens": 20, "completion_tokens": 1}),
        PredictionRecord("c", "", "x", -1, True, too_long=True),
    ]
    usage = score_records(records, ScoreSettings(bootstrap_samples=10)).to_dict()["usage"]
    assert usage == {"records": 2, "prompt_tokens": 50, "completion_tokens": 3, "too_long": 1}
    assert "usage" not in score_records(records[:0], ScoreSettings(bootstrap_samples=10)).to_dict()
