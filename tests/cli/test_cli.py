"""The command line through typer's CliRunner, and once as a real subprocess."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()
FAST = ["--max-length", "8", "--max-input-tokens", "512", "--bootstrap-samples", "20"]


def invoke(*args):
    return runner.invoke(app, list(args))


def test_help_lists_every_eval_option():
    result = invoke("eval", "--help")
    assert result.exit_code == 0
    for option in (
        "--model", "--dataset", "--split", "--text-column", "--summary-column", "--id-column", "--limit",
        "--max-input-tokens", "--max-length", "--max-new-tokens", "--num-beams", "--length-penalty",
        "--no-repeat-ngram-size", "--batch-size", "--max-batch-tokens", "--padding", "--dtype", "--device",
        "--output-dir", "--json", "--seed", "--use-stemmer", "--revision",
    ):
        assert option in result.output


def test_eval_on_the_builtin_model_prints_a_table_and_writes_outputs(examples, tmp_path):
    result = invoke("eval", "--model", "builtin:tglobal", "--dataset", str(examples), "--limit", "3",
                    "--output-dir", str(tmp_path / "run"), *FAST)
    assert result.exit_code == 0, result.output
    assert "rougeLsum" in result.stdout and "signature: model:builtin:tglobal@sha256:" in result.stdout
    # A random model never emits its end token: every summary runs to the limit.
    assert "cut at the length limit 3 (100.0%)" in result.stdout
    assert len((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()) == 3
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["documents"] == 3


def test_eval_json_output_is_the_metrics_document(examples):
    result = invoke("eval", "--model", "builtin:local", "--dataset", str(examples), "--limit", "2", "--json", *FAST)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 2 and set(metrics["rouge"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert metrics["model"]["generation"]["max_length"] == 8


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "nope/missing.jsonl"], "dataset not found"),
        (["--summary-column", "highlights"], "--summary-column 'highlights' is not a column"),
        (["--num-beams", "0"], "--num-beams must be at least 1"),
        (["--limit", "-1"], "--limit must be 0 or more"),
        (["--dtype", "fp16"], "--dtype fp16 needs a CUDA device"),
        (["--device", "cuda"], "no CUDA device"),
        (["--dtype", "int4"], "unknown --dtype"),
        (["--model", "./no-such-dir"], "model directory not found"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(examples, args, message):
    base = {"--model": "builtin:tglobal", "--dataset": str(examples)}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = invoke("eval", *[x for pair in base.items() for x in pair], *FAST)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def run_module(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "longsum", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


def test_real_subprocess_runs_eval_and_reports_errors_in_one_line(examples):
    ok = run_module("eval", "--model", "builtin:tglobal", "--dataset", str(examples), "--limit", "2", "--json", *FAST)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["documents"] == 2
    bad = run_module("eval", "--model", "builtin:tglobal", "--dataset", "missing.jsonl")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: dataset not found: missing.jsonl"


def test_real_subprocess_usage_errors_are_one_line():
    bad = run_module("eval", "--no-such-flag")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["error: No such option: --no-such-flag"]
    assert run_module("--version").stdout.strip().startswith("longsum ")


def test_the_package_exposes_every_command_as_a_function_without_importing_torch():
    code = (
        "import sys, longsum; assert 'torch' not in sys.modules; "
        "names = ['evaluate', 'load_summarizer', 'summarize_files', 'score_file', 'compare_files', 'bench']; "
        "assert all(callable(getattr(longsum, n)) for n in names)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


def test_baseline_eval_and_score_write_reports(examples, tmp_path):
    run_dir = tmp_path / "lead"
    result = invoke("eval", "--model", "lead-2", "--dataset", str(examples), "--output-dir", str(run_dir),
                    "--report", str(run_dir / "report.html"), "--bootstrap-samples", "20")
    assert result.exit_code == 0, result.output
    assert "ROUGE F1 by input length (words)" in result.stdout and "extractive coverage" in result.stdout
    assert "signature: model:lead-2|" in result.stdout
    again = invoke("score", str(run_dir), "--report", str(tmp_path / "again.html"), "--bootstrap-samples", "20")
    assert again.exit_code == 0, again.output
    for page in (run_dir / "report.html", tmp_path / "again.html"):
        assert 'id="by-length"' in page.read_text(encoding="utf-8")


def test_real_subprocess_metric_table_and_datasets(examples, metric_module, tmp_path):
    run_dir = tmp_path / "lead-1"
    ok = run_module("eval", "--model", "lead-1", "--dataset", str(examples), "--output-dir", str(run_dir),
                    "--bootstrap-samples", "20", "--metric", str(metric_module), "--json")
    assert ok.returncode == 0, ok.stderr
    assert "word_overlap" in json.loads(ok.stdout)["evaluate"]
    table = run_module("table", str(run_dir), "--format", "csv", "--samples", "20")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].startswith("lead-1,lead-1,")
    assert "multinews" in run_module("datasets").stdout
