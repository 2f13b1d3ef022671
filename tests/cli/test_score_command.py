"""``longsum score``: stored predictions scored again, with the reports eval writes."""

import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_baseline_eval_and_score_write_reports(examples, tmp_path):
    run_dir = tmp_path / "lead"
    result = invoke(
        "eval",
        "--model",
        "lead-2",
        "--dataset",
        str(examples),
        "--output-dir",
        str(run_dir),
        "--report",
        str(run_dir / "report.html"),
        "--bootstrap-samples",
        "20",
    )
    assert result.exit_code == 0, result.output
    assert "ROUGE F1 by input length (words)" in result.stdout and "extractive coverage" in result.stdout
    assert "signature: model:lead-2|" in result.stdout
    again = invoke("score", str(run_dir), "--report", str(tmp_path / "again.html"), "--bootstrap-samples", "20")
    assert again.exit_code == 0, again.output
    for page in (run_dir / "report.html", tmp_path / "again.html"):
        assert 'id="by-length"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["score", "compare"])
def test_a_sentence_splitter_typo_stops_at_parse_time(tmp_path, command):
    runs = [str(tmp_path / "a"), str(tmp_path / "b")][: 1 if command == "score" else 2]
    result = invoke(command, *runs, "--sentence-splitter", "spacy")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "'--sentence-splitter'" in result.stderr and "'spacy' is not one of 'punkt', 'newline'" in result.stderr


def test_help_groups_the_options_in_panels():
    output = invoke("score", "--help").output
    assert "─ Scoring " in output and "─ Output " in output


def test_score_shows_the_examples_eval_would(examples, tmp_path):
    run = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "lead-3",
            "--dataset",
            str(examples),
            "--output-dir",
            str(tmp_path),
            "--json",
            "--examples",
            "3",
            "--bootstrap-samples",
            "20",
        ],
    )
    scored = runner.invoke(app, ["score", str(tmp_path), "--json", "--examples", "3", "--bootstrap-samples", "20"])
    assert run.exit_code == 0 and scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["examples"] == json.loads(run.stdout)["examples"]


def test_score_faithfulness_reads_the_recorded_dataset_and_refuses_a_non_nli_model(two_runs, tmp_path):
    from nli_models import build_nli

    run, _ = two_runs
    model = build_nli(tmp_path / "nli", ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"], verdict="ENTAILMENT")
    result = CliRunner().invoke(
        app, ["score", str(run), "--faithfulness", str(model), "--json", "--bootstrap-samples", "50"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    faithfulness = metrics["faithfulness"]
    assert faithfulness["mean"] == pytest.approx(1.0) and faithfulness["method"] == "summac-zs"
    assert faithfulness["documents"] + faithfulness["unscored"] == metrics["documents"]
    assert "|faith:" in metrics["signature"] and "faith-method:summac-zs" in metrics["signature"]
    assert (run / "faithfulness.jsonl").exists()

    other = build_nli(tmp_path / "sentiment", ["LABEL_0", "LABEL_1", "LABEL_2"])
    refused = CliRunner().invoke(app, ["score", str(run), "--faithfulness", str(other)])
    assert refused.exit_code != 0
    assert refused.output.startswith("error:") and "not an NLI classifier" in refused.output
    assert "Traceback" not in refused.output


def test_builtin_bertscore_equals_bert_score(two_runs, tmp_path):
    pytest.importorskip("bert_score")
    import bert_score
    from nli_models import build_encoder

    from longsum.results.storage import read_predictions

    run, _ = two_runs
    encoder = build_encoder(tmp_path / "encoder")
    result = CliRunner().invoke(
        app, ["score", str(run), "--metric", f"builtin:bertscore?model={encoder}&num_layers=2", "--json"]
    )
    assert result.exit_code == 0, result.output
    ours = json.loads(result.stdout)["evaluate"]["longsum_bertscore"]["results"]
    records = [r for r in read_predictions(run / "predictions.jsonl") if r.prediction.strip()]
    _, _, f1 = bert_score.score(
        [r.prediction for r in records], [r.reference for r in records], model_type=str(encoder), num_layers=2
    )
    kept = [
        v
        for r, v in zip(read_predictions(run / "predictions.jsonl"), ours["f1_per_document"], strict=True)
        if r.prediction.strip()
    ]
    assert kept == pytest.approx(f1.tolist(), abs=1e-6)
    assert len(set(kept)) > 1
