"""What the commands share: the engine options as one argument, their panels, and errors and signals as exit codes."""

import inspect
import os
import signal
import time
from typing import Annotated

import pytest
import typer

from longsum.cli.options import DATA, PANELS
from longsum.cli.shared import EngineOptions, Interrupted, engine_options, terminate_as_interrupt, user_errors
from longsum.config import BatchSettings, GenerationSettings, ModelSettings, Padding
from longsum.errors import LongsumError


def test_engine_options_build_the_validated_settings():
    engine = EngineOptions(model="lead-1", dtype="fp32", padding="max-length", num_beams=3, batch_size=4)
    assert engine.model_settings() == ModelSettings(model="lead-1", dtype="fp32")
    assert engine.generation_settings() == GenerationSettings(num_beams=3)
    assert engine.batch_settings() == BatchSettings(batch_size=4, padding="max-length")
    with pytest.raises(LongsumError, match="--num-beams"):
        EngineOptions(num_beams=0).generation_settings()


def test_the_padding_choices_are_the_configs_one_definition():
    annotation = inspect.get_annotations(EngineOptions, eval_str=True)["padding"]
    assert annotation.__origin__ is Padding


def test_engine_options_reach_the_command_as_one_argument_and_panels_come_in_order():
    seen = {}

    @engine_options("builtin:local")
    def command(
        engine: EngineOptions, limit: Annotated[int, typer.Option("--limit", rich_help_panel=DATA)] = 3
    ) -> None:
        seen.update(engine=engine, limit=limit)

    parameters = inspect.signature(command).parameters
    assert parameters["model"].default == "builtin:local" and "engine" not in parameters
    panels = [inspect.get_annotations(command)[name].__metadata__[0].rich_help_panel for name in parameters]
    assert [PANELS.index(p) for p in panels if p] == sorted(PANELS.index(p) for p in panels if p)
    command(**{name: p.default for name, p in parameters.items()})
    assert seen["engine"] == EngineOptions(model="builtin:local") and seen["limit"] == 3


def test_user_errors_turn_a_longsum_error_into_one_line_and_its_exit_code(capsys):
    with pytest.raises(typer.Exit) as stop, user_errors():
        raise LongsumError("the dataset is gone")
    assert stop.value.exit_code == 2
    assert capsys.readouterr().err == "error: the dataset is gone\n"
    with pytest.raises(typer.Exit) as stop, user_errors():
        raise KeyboardInterrupt
    assert stop.value.exit_code == 130


def test_sigterm_interrupts_with_exit_code_143_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as stop, terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert (stop.value.reason, stop.value.exit_code) == ("terminated", 143)
    assert not isinstance(stop.value, Exception)
    assert signal.getsignal(signal.SIGTERM) is before
