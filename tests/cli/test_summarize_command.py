"""``longsum summarize``: its panels, its closed sets checked at parse time, and its one seed."""

from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()


def test_help_groups_the_options_in_panels():
    output = runner.invoke(app, ["summarize", "--help"]).output
    for panel in ("Model", "Generation", "Batching", "Output"):
        assert f"─ {panel} " in output
    assert "builtin:tglobal" in output and "shape:base" in output


def test_a_dtype_typo_stops_at_parse_time(tmp_path):
    result = runner.invoke(app, ["summarize", "--dtype", "half", str(tmp_path / "never-read.txt")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "'--dtype'" in result.stderr and "'half' is not one of 'auto', 'bf16', 'fp16', 'fp32'" in result.stderr


def test_seed_seeds_torch(monkeypatch, tmp_path):
    import torch

    seeds = []
    monkeypatch.setattr(torch, "manual_seed", lambda seed: seeds.append(seed))
    document = tmp_path / "doc.txt"
    document.write_text("Cells grew in culture. Mice were fed a diet.", encoding="utf-8")
    result = runner.invoke(app, ["summarize", "--model", "lead-1", "--seed", "7", str(document)])
    assert result.exit_code == 0, result.output
    assert seeds == [7] and result.stdout.strip() == "Cells grew in culture."
