"""longsum table: rows from stored runs, paired tests against the first, signature checks, every format."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.runs.comparison import compare_files
from longsum.runs.table import build_table, signature_differences

runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, request):
    """lead-1, lead-3 and a stemmed lead-3 on the shipped examples, as eval run directories."""
    examples = request.getfixturevalue("examples")
    root = tmp_path_factory.mktemp("table-runs")
    made = []
    for name, extra in (("lead-1", []), ("lead-3", []), ("lead-3-stem", ["--use-stemmer"])):
        model = name.removesuffix("-stem")
        result = runner.invoke(
            app,
            [
                "eval",
                "--model",
                model,
                "--dataset",
                str(examples),
                "--bootstrap-samples",
                "100",
                "--output-dir",
                str(root / name),
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output
        made.append(root / name)
    return made


@pytest.fixture(scope="module")
def examples():
    from conftest import EXAMPLES

    return EXAMPLES


def test_rows_hold_the_stored_scores_and_the_paired_tests_of_compare(runs):
    scoring = ScoreSettings(bootstrap_samples=300, seed=1)
    table = build_table(runs[:2], scoring)
    base, other = table["rows"]
    stored = json.loads((runs[1] / "metrics.json").read_text())
    assert other["label"] == "lead-3" and other["model"] == "lead-3" and other["signature"] == stored["signature"]
    assert other["rouge"]["rougeLsum"]["f"] == stored["rouge"]["rougeLsum"]["f"] and other["documents"] == 8
    assert base["vs_baseline"] is None and other["differs_from_baseline"] == []
    compared = compare_files(runs[0], runs[1], scoring)
    for t, c in compared["metrics"].items():
        assert other["vs_baseline"][t]["p_bootstrap"] == c["p_bootstrap"]
        assert other["vs_baseline"][t]["significant"] == (c["p_bootstrap"] < 0.05 and c["p_randomization"] < 0.05)


def test_runs_that_differ_in_more_than_the_model_are_flagged(runs):
    table = build_table(runs, ScoreSettings(bootstrap_samples=50))
    assert table["rows"][2]["differs_from_baseline"] == ["stem"]
    markdown = runner.invoke(app, ["table", *map(str, runs), "--format", "markdown", "--samples", "50"]).stdout
    assert "| lead-3-stem† |" in markdown
    assert (
        "† lead-3-stem: its signature differs from the baseline's in stem; its numbers are not comparable." in markdown
    )


def test_signature_differences_ignore_the_system():
    a = "model:x@1|data:d/test|n:all|stem:no"
    assert signature_differences(a, "model:y@2|data:d/test|n:all|stem:no") == []
    assert signature_differences(a, "model:x@1|data:d/validation|n:8|stem:no") == ["data", "n"]


def test_every_format_through_the_cli(runs):
    args = ["table", str(runs[0]), str(runs[1]), "--samples", "50"]
    outputs = {}
    for form in ("terminal", "markdown", "latex", "csv", "json"):
        result = runner.invoke(app, [*args, "--format", form])
        assert result.exit_code == 0, result.output
        outputs[form] = result.stdout
    assert "R-Lsum" in outputs["terminal"] and "lead-1: model:lead-1|" in outputs["terminal"]
    header, rule, first = outputs["markdown"].splitlines()[:3]
    assert header.startswith("| Run | Model | R-1 |") and rule.startswith("|---|---|---:")
    assert first.startswith("| lead-1 | lead-1 |") and "`model:lead-1\\|data:" in first  # pipes escaped in cells
    latex = outputs["latex"]
    assert all(rule in latex for rule in (r"\toprule", r"\midrule", r"\bottomrule"))
    assert r"{\scriptsize[" in latex and "% lead-3: model:lead-3|" in latex and r"95\% bootstrap" in latex
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert [r["label"] for r in rows] == ["lead-1", "lead-3"] and rows[1]["comparable"] == "True"
    assert float(rows[1]["rouge1_f"]) == json.loads(outputs["json"])["rows"][1]["rouge"]["rouge1"]["f"]


@pytest.mark.parametrize(
    "args, message",
    [(["--format", "html"], "'html' is not one of"), (["--alpha", "2"], "--alpha must lie between 0 and 1")],
)
def test_bad_options_are_one_line(runs, args, message):
    result = runner.invoke(app, ["table", str(runs[0]), *args])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_a_folder_without_metrics_is_refused(tmp_path):
    with pytest.raises(LongsumError, match=r"no metrics.json here"):
        build_table([tmp_path], ScoreSettings())
