"""``longsum table``: every format it renders offered as a choice, and a real run from eval to table."""

import json
import os
import subprocess
import sys
import typing

from typer.testing import CliRunner

from longsum.cli import app
from longsum.cli.table_command import TableFormat
from longsum.results.run_table import FORMATS

runner = CliRunner()


def run_module(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "longsum", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


def test_the_format_choices_are_the_formats_the_table_renders():
    assert typing.get_args(TableFormat) == FORMATS


def test_a_format_typo_stops_at_parse_time_and_lists_the_choices(tmp_path):
    result = runner.invoke(app, ["table", str(tmp_path / "never-read"), "--format", "html"])
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "'--format'" in result.stderr
    assert "'html' is not one of 'terminal', 'markdown', 'latex', 'csv', 'json'" in result.stderr


def test_samples_below_one_name_the_flag_table_has(tmp_path):
    result = runner.invoke(app, ["table", str(tmp_path / "never-read"), "--samples", "0"])
    assert result.exit_code == 2 and "'--samples'" in result.stderr and "--bootstrap-samples" not in result.stderr


def test_real_subprocess_metric_table_and_datasets(examples, metric_module, tmp_path):
    run_dir = tmp_path / "lead-1"
    ok = run_module(
        "eval",
        "--model",
        "lead-1",
        "--dataset",
        str(examples),
        "--output-dir",
        str(run_dir),
        "--bootstrap-samples",
        "20",
        "--metric",
        str(metric_module),
        "--json",
    )
    assert ok.returncode == 0, ok.stderr
    assert "word_overlap" in json.loads(ok.stdout)["evaluate"]
    table = run_module("table", str(run_dir), "--format", "csv", "--samples", "20")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].startswith("lead-1,lead-1,")
    assert "multinews" in run_module("datasets").stdout
