"""``longsum compare``: its options, checked at parse time, name its own flags."""

import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()


def test_samples_below_one_name_the_flag_compare_has(tmp_path):
    result = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--samples", "0"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "'--samples'" in result.stderr and "--bootstrap-samples" not in result.stderr


def test_a_sentence_splitter_typo_lists_the_choices(tmp_path):
    result = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--sentence-splitter", "nltk"])
    assert result.exit_code == 2 and "'nltk' is not one of 'punkt', 'newline'" in result.stderr


def test_help_groups_the_options_in_panels():
    output = runner.invoke(app, ["compare", "--help"]).output
    assert "─ Scoring " in output and "─ Output " in output and "punkt|newline" in output


def test_compare_tests_faithfulness_paired_on_shared_documents(two_runs, tmp_path):
    from nli_models import build_nli

    a, b = two_runs
    model = build_nli(tmp_path / "nli", ["entailment", "neutral", "contradiction"])
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(a),
            str(b),
            "--faithfulness",
            str(model),
            "--faithfulness-method",
            "align",
            "--json",
            "--samples",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    faithfulness = comparison["metrics"]["faithfulness"]
    assert 0 <= faithfulness["a"] <= 1 and 0 <= faithfulness["b"] <= 1
    assert faithfulness["delta"] == pytest.approx(faithfulness["b"] - faithfulness["a"])
    assert "faith-method:align" in comparison["signature"]
