"""``longsum compare``: is run B really better than run A? Paired tests per ROUGE F1 on their shared documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from longsum.cli.options import (
    OUTPUT,
    SCORING,
    FaithfulnessMethodOpt,
    FaithfulnessOpt,
    SourceDatasetOpt,
    SplitterOpt,
    StemmerOpt,
    scoring_settings,
)
from longsum.cli.shared import user_errors

RunAArg = Annotated[
    Path, typer.Argument(help="Baseline run: a run directory or its predictions.jsonl.", show_default=False)
]
RunBArg = Annotated[
    Path,
    typer.Argument(help="Candidate run, compared with RUN_A on the documents both hold.", show_default=False),
]
SamplesOpt = Annotated[
    int,
    typer.Option("--samples", min=1, help="Bootstrap resamples and randomization trials.", rich_help_panel=SCORING),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the resampling.", rich_help_panel=SCORING)]
ComparisonJsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the comparison JSON instead of the table.", rich_help_panel=OUTPUT)
]


def compare_command(
    run_a: RunAArg,
    run_b: RunBArg,
    use_stemmer: StemmerOpt = False,
    sentence_splitter: SplitterOpt = "punkt",
    bootstrap_samples: SamplesOpt = 1000,
    seed: SeedOpt = 0,
    json_output: ComparisonJsonOpt = False,
    faithfulness: FaithfulnessOpt = None,
    faithfulness_method: FaithfulnessMethodOpt = "summac-zs",
    dataset: SourceDatasetOpt = None,
) -> None:
    """Is B really better than A? Paired bootstrap and approximate randomization per ROUGE F1 (and faithfulness)."""
    with user_errors():
        from longsum.results.terminal import render_comparison
        from longsum.runs.comparison import compare_files

        scoring = scoring_settings(
            use_stemmer, sentence_splitter, bootstrap_samples, seed, None, faithfulness, faithfulness_method
        )
        render_comparison(compare_files(run_a, run_b, scoring, dataset), as_json=json_output)
