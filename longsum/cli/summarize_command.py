"""``longsum summarize``: summarize text, Markdown or PDF files with the engine and options of eval."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from longsum.cli.options import GENERATION, OUTPUT
from longsum.cli.shared import (
    EngineOptions,
    engine_options,
    print_warnings,
    quiet_libraries,
    terminate_as_interrupt,
    user_errors,
)
from longsum.config import DEFAULT_MODEL, EvalConfig, ScoreSettings

FilesArg = Annotated[list[str], typer.Argument(help="Text, Markdown or PDF files; - reads stdin.", show_default=False)]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", help="Write the summaries to this file instead of stdout.", rich_help_panel=OUTPUT),
]
SummariesJsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="One JSON object per file: file, summary, input_tokens, truncated.",
        rich_help_panel=OUTPUT,
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of torch.", rich_help_panel=GENERATION)]


@engine_options(DEFAULT_MODEL)
def summarize_command(
    engine: EngineOptions,
    files: FilesArg,
    output: OutputOpt = None,
    json_output: SummariesJsonOpt = False,
    seed: SeedOpt = 0,
) -> None:
    """Summarize documents with the same engine and options as eval."""
    with user_errors():
        config = EvalConfig(
            model=engine.model_settings(),
            generation=engine.generation_settings(),
            batching=engine.batch_settings(),
            prompting=engine.prompt_settings(),
            serving=engine.serving_settings(),
            scoring=ScoreSettings(seed=seed),
        )
        quiet_libraries()
        import torch

        from longsum.results.terminal import format_summaries, stderr
        from longsum.runs.summarize import summarize_files
        from longsum.summarizers.resolver import load_summarizer

        torch.manual_seed(config.scoring.seed)
        with stderr.status(f"loading {engine.model}"):
            summarizer = load_summarizer(config)
        with terminate_as_interrupt(), stderr.status(f"summarizing {len(files)} document(s)"):
            summaries = summarize_files(files, summarizer, config.batching)
        print_warnings(
            f"{summary.file}: {summary.source_tokens} tokens, truncated by "
            f"{summary.source_tokens - summary.input_tokens} to --max-input-tokens "
            f"{summarizer.describe().max_input_tokens}"
            for summary in summaries
            if summary.truncated
        )
        print_warnings(summarizer.warnings)
        text = format_summaries(summaries, as_json=json_output)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
