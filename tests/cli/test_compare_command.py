"""``longsum compare``: its options, checked at parse time, name its own flags."""

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
