"""``longsum datasets``: the named benchmarks ``--dataset`` accepts, with their hub dataset, split and columns."""

from __future__ import annotations

from typing import Annotated

import typer

from longsum.cli.options import OUTPUT

PresetsJsonOpt = Annotated[bool, typer.Option("--json", help="Print the presets as JSON.", rich_help_panel=OUTPUT)]


def datasets_command(json_output: PresetsJsonOpt = False) -> None:
    """List the named benchmarks --dataset accepts: hub dataset, config, split and columns of each."""
    from longsum.results.terminal import render_presets
    from longsum.sources.presets import PRESETS

    render_presets(list(PRESETS.values()), as_json=json_output)
