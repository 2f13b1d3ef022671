"""``longsum table``: the results table of several runs, with CIs and significance marks against the first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from longsum.cli.options import OUTPUT, SCORING
from longsum.cli.shared import user_errors
from longsum.config import ScoreSettings

#: ``--format``: what ``longsum.results.run_table.FORMATS`` renders.
TableFormat = Literal["terminal", "markdown", "latex", "csv", "json"]

RunsArg = Annotated[
    list[Path],
    typer.Argument(help="Run directories written by eval --output-dir; the first is the baseline.", show_default=False),
]
FormatOpt = Annotated[
    TableFormat,
    typer.Option("--format", help="terminal, markdown, latex (booktabs), csv or json.", rich_help_panel=OUTPUT),
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples", min=1, help="Resamples of the paired tests against the baseline.", rich_help_panel=SCORING
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the resampling.", rich_help_panel=SCORING)]
AlphaOpt = Annotated[
    float,
    typer.Option(
        "--alpha",
        help="Mark a difference from the baseline when both tests give p below this.",
        rich_help_panel=SCORING,
    ),
]


def table_command(
    runs: RunsArg,
    form: FormatOpt = "terminal",
    bootstrap_samples: SamplesOpt = 1000,
    seed: SeedOpt = 0,
    alpha: AlphaOpt = 0.05,
) -> None:
    """The results table for a paper or a PR: one row per run, ROUGE F1 with CIs, significance marks."""
    with user_errors():
        from longsum.results.run_table import render_table
        from longsum.runs.table import build_table

        scoring = ScoreSettings(bootstrap_samples=bootstrap_samples, seed=seed)
        render_table(build_table(runs, scoring, alpha), form)
