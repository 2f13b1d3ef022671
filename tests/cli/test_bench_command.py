"""``longsum bench``: its panels, its closed sets checked at parse time, and its own checks before any model loads."""

import typing

import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.cli.bench_command import Attention, Shape
from longsum.summarizers.shapes import ATTENTIONS, SHAPES

runner = CliRunner()


def test_the_choices_are_the_shapes_and_attentions_the_library_builds():
    assert typing.get_args(Shape) == ("tiny", *SHAPES)
    assert typing.get_args(Attention) == tuple(ATTENTIONS)


@pytest.mark.parametrize(
    "flag, typo, choices",
    [("--shape", "huge", "'tiny', 'base', 'large'"), ("--attention", "global", "'transient-global', 'local'")],
)
def test_a_typo_in_a_closed_set_stops_at_parse_time(flag, typo, choices):
    result = runner.invoke(app, ["bench", flag, typo])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert f"'{flag}'" in result.stderr and f"'{typo}' is not one of {choices}" in result.stderr


def test_help_groups_the_options_in_panels():
    output = runner.invoke(app, ["bench", "--help"]).output
    for panel in ("Model", "Data", "Generation", "Batching", "Benchmark", "Output"):
        assert f"─ {panel} " in output
    assert "shape:base" in output and "transient-global|local" in output and "tiny|base|large" in output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-regression", "1"], "--max-regression must lie in [0, 1)"),
        (["--min-speedup", "0"], "--min-speedup must be above 0"),
    ],
)
def test_bad_thresholds_are_one_line_before_the_model_loads(args, message):
    result = runner.invoke(app, ["bench", "--model", "./no/such/checkpoint", *args])
    assert result.exit_code == 2 and result.stderr == f"error: {message}\n"
