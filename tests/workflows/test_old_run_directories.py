"""Run directories written before the files carried ``schema_version`` still read everywhere; a directory of a newer
schema is refused in one line naming its version."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()
FLAGS = ["--bootstrap-samples", "20"]


def eval_run(examples, directory):
    result = runner.invoke(
        app, ["eval", "--model", "lead-3", "--dataset", str(examples), "--output-dir", str(directory), "--json", *FLAGS]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rewrite(directory, change):
    """Apply ``change`` to every JSON document of a run directory (metrics.json, run.json, each prediction line)."""
    for name in ("metrics.json", "run.json"):
        path = directory / name
        path.write_text(json.dumps(change(json.loads(path.read_text()))), encoding="utf-8")
    path = directory / "predictions.jsonl"
    lines = [json.dumps(change(json.loads(line))) for line in path.read_text().splitlines()]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def without_version(document):
    return {key: value for key, value in document.items() if key != "schema_version"}


def test_a_run_directory_without_schema_versions_reads_in_score_table_compare_and_resume(examples, tmp_path):
    before = eval_run(examples, tmp_path / "old")
    rewrite(tmp_path / "old", without_version)
    assert "schema_version" not in (tmp_path / "old" / "predictions.jsonl").read_text()
    scored = runner.invoke(app, ["score", str(tmp_path / "old"), "--json", *FLAGS])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["rouge"] == before["rouge"]
    eval_run(examples, tmp_path / "new")
    table = runner.invoke(app, ["table", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json"])
    assert table.exit_code == 0, table.output
    compared = runner.invoke(app, ["compare", str(tmp_path / "old"), str(tmp_path / "new"), "--json"])
    assert compared.exit_code == 0 and json.loads(compared.stdout)["shared_documents"] == before["documents"]
    resumed = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "lead-3",
            "--dataset",
            str(examples),
            "--output-dir",
            str(tmp_path / "old"),
            "--resume",
            "--json",
            *FLAGS,
        ],
    )
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["resumed_documents"] == before["documents"]


def test_a_run_directory_of_a_newer_schema_is_refused_in_one_line(examples, tmp_path):
    eval_run(examples, tmp_path / "run")
    rewrite(tmp_path / "run", lambda document: {**document, "schema_version": 7})
    for args in (
        ["table", str(tmp_path / "run")],
        ["score", str(tmp_path / "run")],
        ["eval", "--model", "lead-3", "--dataset", str(examples), "--output-dir", str(tmp_path / "run"), "--resume"],
    ):
        result = runner.invoke(app, args)
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert result.exit_code == 2 and len(errors) == 1, (args, result.output)
        assert "schema version 7 is newer than this longsum reads (up to 1)" in errors[0], args
