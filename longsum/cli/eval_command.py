"""``longsum eval``: summarize a dataset with a model or a baseline and score it with ROUGE."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from longsum.cli.options import (
    DATA,
    OUTPUT,
    SCORING,
    BootstrapOpt,
    ExamplesOpt,
    FaithfulnessMethodOpt,
    FaithfulnessOpt,
    MetricOpt,
    MetricsJsonOpt,
    ModelIndexOpt,
    ReportOpt,
    StemmerOpt,
    examples_shown,
    scoring_settings,
)
from longsum.cli.shared import (
    EngineOptions,
    Interrupted,
    engine_options,
    print_warnings,
    quiet_libraries,
    terminate_as_interrupt,
    user_errors,
)
from longsum.config import DEFAULT_DATASET, DEFAULT_MODEL, DataSettings, EvalConfig, SentenceSplitter

DatasetOpt = Annotated[
    str,
    typer.Option(
        "--dataset",
        help="A benchmark (longsum datasets), hub dataset name[:config], a .jsonl/.json/.csv/.parquet file, "
        "a hub-layout dataset folder, or a folder of .txt files.",
        rich_help_panel=DATA,
    ),
]
SplitOpt = Annotated[
    str | None,
    typer.Option(
        "--split",
        help="Split of a hub dataset or dataset folder (default: a benchmark's own, else validation).",
        rich_help_panel=DATA,
    ),
]
TextColumnOpt = Annotated[
    str | None,
    typer.Option("--text-column", help="Column with the document (auto-detected).", rich_help_panel=DATA),
]
SummaryColumnOpt = Annotated[
    str | None,
    typer.Option("--summary-column", help="Column with the reference (auto-detected).", rich_help_panel=DATA),
]
IdColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="Column with the id (default: detected, else the row index).", rich_help_panel=DATA
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="Evaluate the first N documents only.", rich_help_panel=DATA)
]
SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad-records",
        help="Skip (and count) malformed JSON Lines records, and records whose text or summary is not text.",
        rich_help_panel=DATA,
    ),
]
EvalSplitterOpt = Annotated[
    SentenceSplitter,
    typer.Option(
        "--sentence-splitter",
        help="How rougeLsum splits sentences; the lead-K and oracle baselines split documents the same way.",
        rich_help_panel=SCORING,
    ),
]
SeedOpt = Annotated[
    int, typer.Option("--seed", help="Seed of torch (before generation) and of the bootstrap.", rich_help_panel=SCORING)
]
OutputDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--output-dir", help="Write predictions.jsonl, run.json and metrics.json here.", rich_help_panel=OUTPUT
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue the run in --output-dir, skipping finished documents.", rich_help_panel=OUTPUT
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="With --resume: continue even though the settings or the dataset differ from the stored run's, or "
        "its run.json is missing or unreadable. Without --resume: start over in an --output-dir that holds "
        "predictions, moving its old files into superseded/ in that directory (nothing is deleted).",
        rich_help_panel=OUTPUT,
    ),
]


@engine_options(DEFAULT_MODEL)
def eval_command(
    engine: EngineOptions,
    dataset: DatasetOpt = DEFAULT_DATASET,
    split: SplitOpt = None,
    text_column: TextColumnOpt = None,
    summary_column: SummaryColumnOpt = None,
    id_column: IdColumnOpt = None,
    limit: LimitOpt = None,
    use_stemmer: StemmerOpt = False,
    sentence_splitter: EvalSplitterOpt = "punkt",
    bootstrap_samples: BootstrapOpt = 1000,
    output_dir: OutputDirOpt = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    skip_bad_records: SkipBadOpt = False,
    json_output: MetricsJsonOpt = False,
    examples: ExamplesOpt = None,
    seed: SeedOpt = 0,
    report: ReportOpt = None,
    metric: MetricOpt = None,
    model_index: ModelIndexOpt = None,
    faithfulness: FaithfulnessOpt = None,
    faithfulness_method: FaithfulnessMethodOpt = "summac-zs",
) -> None:
    """Summarize a dataset with a model (or a baseline: lead-K, oracle) and report ROUGE-1/2/L/Lsum.

    Under torchrun or accelerate launch, each process summarizes its share of the documents and the
    first one merges, scores and reports.
    """
    with user_errors():
        from longsum.parallel.distributed import local_device, shard_from_environment

        shard = shard_from_environment()
        model_settings = engine.model_settings()
        config = EvalConfig(
            model=replace(model_settings, device=local_device(model_settings.device, shard)),
            data=DataSettings(dataset, split, text_column, summary_column, id_column, limit, skip_bad_records),
            generation=engine.generation_settings(),
            batching=engine.batch_settings(),
            prompting=engine.prompt_settings(),
            serving=engine.serving_settings(),
            scoring=scoring_settings(
                use_stemmer, sentence_splitter, bootstrap_samples, seed, metric, faithfulness, faithfulness_method
            ),
        )
        quiet_libraries()
        from longsum.engine.nli import check_nli
        from longsum.results.html_report import check_report_path
        from longsum.results.model_card import check_model_index_path, write_model_index
        from longsum.results.run_lock import hold_run_directory
        from longsum.results.terminal import RichProgress, render_metrics, stderr
        from longsum.runs.evaluation import evaluate
        from longsum.runs.metric_modules import load_metric_modules
        from longsum.sources.documents import count_documents
        from longsum.summarizers.resolver import load_summarizer

        # Before the model loads: a bad path should not cost minutes of loading first.
        check_report_path(report)
        check_model_index_path(model_index)
        metric_modules = load_metric_modules(config.scoring.metrics)
        if faithfulness is not None:
            check_nli(faithfulness)
        if output_dir is not None and shard.is_main:
            # Likewise a second run into a directory in use; held until this process ends.
            hold_run_directory(output_dir)
        with stderr.status(f"loading {engine.model}"):
            summarizer = load_summarizer(config)
        total = count_documents(config.data)
        try:
            with terminate_as_interrupt(), RichProgress(total, shown=shard.is_main) as progress:
                result = evaluate(
                    config,
                    output_dir=output_dir,
                    summarizer=summarizer,
                    progress=progress,
                    resume=resume,
                    force=force,
                    shard=shard,
                    report=report,
                    metric_modules=metric_modules,
                    examples=examples_shown(examples, json_output),
                )
        except Interrupted as stop:
            if output_dir is not None:
                typer.echo(
                    f"{stop.reason}: finished batches are kept in {output_dir}; continue with the same "
                    "command plus --resume",
                    err=True,
                )
            raise typer.Exit(stop.exit_code) from None
        if not shard.is_main:
            return
        print_warnings(result.warnings)
        metrics = result.to_dict()
        if model_index is not None:
            write_model_index(model_index, metrics, config.to_dict()["data"], result.summarizer.model)
        render_metrics(metrics, as_json=json_output)
