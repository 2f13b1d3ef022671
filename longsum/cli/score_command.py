"""``longsum score``: ROUGE of stored predictions, without a model, with eval's metrics, CIs and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from longsum.cli.options import (
    SCORING,
    BootstrapOpt,
    ExamplesOpt,
    FaithfulnessMethodOpt,
    FaithfulnessOpt,
    MetricOpt,
    MetricsJsonOpt,
    ModelIndexOpt,
    ReportOpt,
    SourceDatasetOpt,
    SplitterOpt,
    StemmerOpt,
    examples_shown,
    scoring_settings,
)
from longsum.cli.shared import print_warnings, user_errors

PredictionsArg = Annotated[
    Path,
    typer.Argument(
        help="predictions.jsonl (or a run directory), or a file with one summary per line.", show_default=False
    ),
]
ReferencesArg = Annotated[
    Path | None,
    typer.Argument(help="With a plain-text PREDICTIONS: the references, one per line.", show_default=False),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.", rich_help_panel=SCORING)]


def score_command(
    predictions: PredictionsArg,
    references: ReferencesArg = None,
    use_stemmer: StemmerOpt = False,
    sentence_splitter: SplitterOpt = "punkt",
    bootstrap_samples: BootstrapOpt = 1000,
    seed: SeedOpt = 0,
    json_output: MetricsJsonOpt = False,
    examples: ExamplesOpt = None,
    report: ReportOpt = None,
    metric: MetricOpt = None,
    model_index: ModelIndexOpt = None,
    faithfulness: FaithfulnessOpt = None,
    faithfulness_method: FaithfulnessMethodOpt = "summac-zs",
    dataset: SourceDatasetOpt = None,
) -> None:
    """ROUGE of stored predictions, without a model: the same metrics, CIs and JSON as eval."""
    with user_errors():
        from longsum.results.model_card import check_model_index_path, stored_run, write_model_index
        from longsum.results.terminal import render_metrics
        from longsum.runs.scoring import score_file

        scoring = scoring_settings(
            use_stemmer, sentence_splitter, bootstrap_samples, seed, metric, faithfulness, faithfulness_method
        )
        check_model_index_path(model_index)
        run = stored_run(predictions) if model_index is not None else None
        examples_kept = examples_shown(examples, json_output)
        metrics = score_file(predictions, references, scoring, report, examples_kept, dataset)
        if model_index is not None and run is not None:
            write_model_index(model_index, metrics, *run)
        print_warnings(metrics.get("warnings", []))
        render_metrics(metrics, as_json=json_output)
