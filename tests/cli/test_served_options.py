"""The served models' options: each sits in its own help panel, on every command that takes a model."""

import re

import pytest
from typer.testing import CliRunner

from longsum.cli import app, served_options
from longsum.cli.options import SERVED

runner = CliRunner()
#: Each alias is ``Annotated[type, typer.Option("--flag", ...)]``; typer reads the first argument as the flag.
OPTIONS = [
    option for alias in vars(served_options).values() if hasattr(alias, "__metadata__") for option in alias.__metadata__
]
FLAGS = sorted(option.default for option in OPTIONS)


def test_every_served_option_is_in_the_served_panel():
    assert {option.rich_help_panel for option in OPTIONS} == {SERVED}
    assert "--base-url" in FLAGS and "--api-key-env" in FLAGS and len(FLAGS) >= 10


@pytest.mark.parametrize("command", ["eval", "summarize"])
def test_the_commands_that_take_a_model_offer_every_served_option(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0
    shown = set(re.findall(r"--[a-z][a-z-]+", result.output))
    assert set(FLAGS) <= shown
    assert SERVED in result.output
