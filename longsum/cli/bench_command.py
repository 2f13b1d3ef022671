"""``longsum bench``: time a fixed workload with the evaluation's own steps, and check it against a baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import typer

from longsum.cli.options import BENCHMARK, DATA, MODEL, OUTPUT
from longsum.cli.shared import EngineOptions, engine_options, quiet_libraries, user_errors
from longsum.config import DataSettings, EvalConfig, ScoreSettings
from longsum.errors import LongsumError

#: ``--shape``: the built-in tiny models, a LongT5 width or a decoder-only width (``longsum.summarizers.shapes``'s
#: ``SHAPES`` and ``CAUSAL_SHAPES``).
Shape = Literal["tiny", "base", "large", "qwen2.5-0.5b"]
#: ``--attention``: the encoder attention of a shape (``longsum.summarizers.shapes.ATTENTIONS``).
Attention = Literal["transient-global", "local"]

BenchDatasetOpt = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        help="Documents to time, in any form eval takes (default: a seeded synthetic set with PubMed-like lengths).",
        rich_help_panel=DATA,
    ),
]
DocumentsOpt = Annotated[int, typer.Option("--documents", help="How many synthetic documents.", rich_help_panel=DATA)]
BenchLimitOpt = Annotated[
    int | None, typer.Option("--limit", help="Time the first N documents of --dataset.", rich_help_panel=DATA)
]
ShapeOpt = Annotated[
    Shape | None,
    typer.Option(
        "--shape",
        help="Time a random model of real width instead of --model: tiny (the built-ins), base or large "
        "(LongT5 widths, 4+4 layers), qwen2.5-0.5b (Qwen2.5-0.5B widths and vocabulary, 4 layers).",
        rich_help_panel=MODEL,
    ),
]
AttentionOpt = Annotated[
    Attention, typer.Option("--attention", help="Encoder attention of --shape.", rich_help_panel=MODEL)
]
RepeatsOpt = Annotated[
    int, typer.Option("--repeats", help="Time the workload N times and report the median.", rich_help_panel=BENCHMARK)
]
CompareRecipeOpt = Annotated[
    bool,
    typer.Option(
        "--compare-recipe",
        help="Also time the reference recipe on the same documents: the docs recipe for a seq2seq model (pad to "
        "the limit, batch 2), one prompt at a time for a decoder-only model.",
        rich_help_panel=BENCHMARK,
    ),
]
RecipeRepeatsOpt = Annotated[
    int | None,
    typer.Option(
        "--recipe-repeats",
        help="Time the recipe N times (default: --repeats); it is stock transformers, so one run may do on long "
        "workloads.",
        rich_help_panel=BENCHMARK,
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option("--baseline", help="A kept bench JSON to compare docs/s against.", rich_help_panel=BENCHMARK),
]
MaxRegressionOpt = Annotated[
    float,
    typer.Option(
        "--max-regression",
        help="Exit 1 when docs/s falls more than this fraction below --baseline's.",
        rich_help_panel=BENCHMARK,
    ),
]
MinSpeedupOpt = Annotated[
    float | None,
    typer.Option(
        "--min-speedup",
        help="Exit 1 when the speed-up over the docs recipe, timed in this run, is below X, or the two gave "
        "different predictions (implies --compare-recipe).",
        rich_help_panel=BENCHMARK,
    ),
]
BenchSeedOpt = Annotated[
    int,
    typer.Option("--seed", help="Seed of the synthetic documents and of torch.", rich_help_panel=BENCHMARK),
]
BenchJsonOpt = Annotated[
    Path | None,
    typer.Option("--json", help="Write the figures, config and environment here.", rich_help_panel=OUTPUT),
]


@engine_options("builtin:tglobal")
def bench_command(
    engine: EngineOptions,
    dataset: BenchDatasetOpt = None,
    documents: DocumentsOpt = 16,
    limit: BenchLimitOpt = None,
    repeats: RepeatsOpt = 1,
    compare_recipe: CompareRecipeOpt = False,
    recipe_repeats: RecipeRepeatsOpt = None,
    json_path: BenchJsonOpt = None,
    baseline: BaselineOpt = None,
    max_regression: MaxRegressionOpt = 0.10,
    min_speedup: MinSpeedupOpt = None,
    seed: BenchSeedOpt = 0,
    shape: ShapeOpt = None,
    attention: AttentionOpt = "transient-global",
) -> None:
    """Time a fixed workload: docs/s, tokens/s, padding efficiency, peak memory, time breakdown, roofline;
    compare with a baseline."""
    with user_errors():
        from longsum.runs.bench import BenchConfig

        if shape is not None:
            from longsum.summarizers.shapes import shape_model_name

            engine = replace(engine, model=shape_model_name(shape, attention))

        config = BenchConfig(
            eval=EvalConfig(
                model=engine.model_settings(),
                data=DataSettings(dataset=dataset or "", limit=limit),
                generation=engine.generation_settings(),
                batching=engine.batch_settings(),
                prompting=engine.prompt_settings(),
                serving=engine.serving_settings(),
                scoring=ScoreSettings(bootstrap_samples=100, seed=seed),
            ),
            synthetic_documents=documents,
            synthetic_seed=seed,
            repeats=repeats,
            compare_recipe=compare_recipe or min_speedup is not None,
            recipe_repeats=recipe_repeats,
        )
        if not 0 <= max_regression < 1:
            raise LongsumError("--max-regression must lie in [0, 1)")
        if min_speedup is not None and min_speedup <= 0:
            raise LongsumError("--min-speedup must be above 0")
        quiet_libraries()
        from longsum.benchmarks.checks import check_regression, check_speedup
        from longsum.results.storage import write_json_atomic
        from longsum.results.terminal import render_bench, stderr
        from longsum.runs.bench import bench
        from longsum.summarizers.resolver import load_summarizer

        with stderr.status(f"loading {engine.model}"):
            summarizer = load_summarizer(config.eval)
        with stderr.status("benchmarking"):
            report = bench(config, summarizer)
        if json_path is not None:
            write_json_atomic(json_path, report)
        render_bench(report)
        if baseline is not None:
            failure = check_regression(report, baseline, max_regression)
            if failure:
                typer.echo(f"error: {failure}", err=True)
                raise typer.Exit(1)
        if min_speedup is not None:
            failure = check_speedup(report, min_speedup)
            if failure:
                typer.echo(f"error: {failure}", err=True)
                raise typer.Exit(1)
