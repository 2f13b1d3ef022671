"""The command line: parse options, build a frozen config, call the library, render."""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from longsum import __version__
from longsum.config import (
    DEFAULT_DATASET,
    DEFAULT_MODEL,
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.errors import LongsumError

app = typer.Typer(
    help="Evaluate long-document summarization models (LongT5 and other seq2seq checkpoints) with ROUGE.",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived; carries the conventional exit code (130 or 143).

    A BaseException, as KeyboardInterrupt is, so no ``except Exception`` mistakes it for an error to report.
    """

    def __init__(self, reason: str, exit_code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Raise ``Interrupted`` in the main thread on SIGINT or SIGTERM, abandoning the batch under way."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        if signum == signal.SIGTERM:
            raise Interrupted("terminated", 143)
        raise Interrupted("interrupted", 130)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a LongsumError into one line on stderr and its exit code; Ctrl-C into exit 130."""
    try:
        yield
    except LongsumError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


def _quiet_libraries() -> None:
    # Library chatter (weight-loading bars, long-input warnings we count ourselves) would bury the progress bar.
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"longsum {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = None,
) -> None:
    """Evaluate long-document summarization models with ROUGE."""


ModelOpt = Annotated[str, typer.Option("--model", help="Hub id, local checkpoint dir, builtin:tglobal / builtin:local / builtin:led / builtin:bart / builtin:pegasus / builtin:pegasus-x / builtin:bigbird-pegasus, or a baseline: lead-K, oracle.")]
RevisionOpt = Annotated[Optional[str], typer.Option("--revision", help="Hub branch, tag or commit of the model.")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="auto|bf16|fp16|fp32 (auto: bf16/fp16 on CUDA, fp32 on CPU).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto|cpu|cuda|cuda:N.")]
MaxInputOpt = Annotated[Optional[int], typer.Option("--max-input-tokens", help="Truncate longer inputs (and count them); default: the smaller of 16384 and the model's position limit.")]
MaxLengthOpt = Annotated[int, typer.Option("--max-length", help="Total decoder length, as generate(max_length=...).")]
MaxNewOpt = Annotated[Optional[int], typer.Option("--max-new-tokens", help="Generated tokens; replaces --max-length.")]
BeamsOpt = Annotated[int, typer.Option("--num-beams", help="Beam width.")]
LengthPenaltyOpt = Annotated[Optional[float], typer.Option("--length-penalty", help="Beam length penalty (default: the checkpoint's).")]
NoRepeatOpt = Annotated[Optional[int], typer.Option("--no-repeat-ngram-size", help="Block repeated n-grams (default: the checkpoint's).")]
BatchSizeOpt = Annotated[Optional[int], typer.Option("--batch-size", help="At most this many documents per batch.")]
BatchTokensOpt = Annotated[Optional[int], typer.Option("--max-batch-tokens", help="Padded input tokens per batch (default: from free GPU memory, else 65536).")]
PaddingOpt = Annotated[str, typer.Option("--padding", help="dynamic, or max-length to pad every input as the docs recipe does.")]
TrustRemoteCodeOpt = Annotated[bool, typer.Option("--trust-remote-code", help="Run the modeling code a hub checkpoint ships (e.g. LSG models).")]


@dataclass(frozen=True)
class EngineOptions:
    """The model, generation and batching options every model-running command shares: one field per option."""

    model: ModelOpt = DEFAULT_MODEL
    revision: RevisionOpt = None
    dtype: DtypeOpt = "auto"
    device: DeviceOpt = "auto"
    max_input_tokens: MaxInputOpt = None
    max_length: MaxLengthOpt = 512
    max_new_tokens: MaxNewOpt = None
    num_beams: BeamsOpt = 2
    length_penalty: LengthPenaltyOpt = None
    no_repeat_ngram_size: NoRepeatOpt = None
    batch_size: BatchSizeOpt = None
    max_batch_tokens: BatchTokensOpt = None
    padding: PaddingOpt = "dynamic"
    trust_remote_code: TrustRemoteCodeOpt = False

    def model_settings(self) -> ModelSettings:
        """The model part, validated."""
        return ModelSettings(
            model=self.model, revision=self.revision, dtype=self.dtype, device=self.device,
            trust_remote_code=self.trust_remote_code,
        )

    def generation_settings(self) -> GenerationSettings:
        """The generation part, validated."""
        return GenerationSettings(
            self.max_length, self.max_new_tokens, self.num_beams, self.length_penalty, self.no_repeat_ngram_size
        )

    def batch_settings(self) -> BatchSettings:
        """The batching part, validated."""
        return BatchSettings(self.max_input_tokens, self.batch_size, self.max_batch_tokens, self.padding)


def engine_options(default_model: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command every field of ``EngineOptions`` as an option; they reach it as one ``engine`` argument.

    Hand-written because typer has no option groups, and listing the 14 shared options in eval, bench and
    summarize would define each three times.
    """
    hints = typing.get_type_hints(EngineOptions, include_extras=True)  # this module's annotations are strings
    shared = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name],
            default=default_model if f.name == "model" else f.default,
        )
        for f in fields(EngineOptions)
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command_hints = typing.get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=command_hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command).parameters.values()
            if p.name != "engine"
        ]

        @functools.wraps(command)
        def run(**options: Any) -> None:
            engine = EngineOptions(**{p.name: options.pop(p.name) for p in shared})
            command(engine=engine, **options)

        run.__signature__ = inspect.Signature(shared + own)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in own + shared}
        return run

    return decorate


StemmerOpt = Annotated[bool, typer.Option("--use-stemmer", help="Porter-stem tokens before matching.")]
SplitterOpt = Annotated[str, typer.Option("--sentence-splitter", help="rougeLsum splitter: punkt or newline.")]
BootstrapOpt = Annotated[int, typer.Option("--bootstrap-samples", help="Resamples for the confidence interval.")]
ReportOpt = Annotated[
    Optional[Path], typer.Option("--report", help="Also write a self-contained HTML report (scores, length analysis, examples).")
]
ModelIndexOpt = Annotated[
    Optional[Path],
    typer.Option("--model-index", help="Also write the Hugging Face model-index block: a .yaml file, or a model card README.md to update."),
]
MetricOpt = Annotated[
    Optional[list[str]],
    typer.Option("--metric", help="An evaluate metric beside ROUGE: hub id, or a local module (.py file or folder); repeatable."),
]


@app.command("eval")
@engine_options(DEFAULT_MODEL)
def eval_command(
    engine: EngineOptions,
    dataset: Annotated[str, typer.Option("--dataset", help="A benchmark (longsum datasets), hub dataset name[:config], a .jsonl/.json/.csv/.parquet file, a hub-layout dataset folder, or a folder of .txt files.")] = DEFAULT_DATASET,
    split: Annotated[Optional[str], typer.Option("--split", help="Split of a hub dataset or dataset folder (default: a benchmark's own, else validation).")] = None,
    text_column: Annotated[Optional[str], typer.Option("--text-column", help="Column with the document (auto-detected).")] = None,
    summary_column: Annotated[Optional[str], typer.Option("--summary-column", help="Column with the reference (auto-detected).")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id-column", help="Column with the id (default: detected, else the row index).")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Evaluate the first N documents only.")] = None,
    use_stemmer: StemmerOpt = False,
    sentence_splitter: SplitterOpt = "punkt",
    bootstrap_samples: BootstrapOpt = 1000,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", help="Write predictions.jsonl and metrics.json here.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --output-dir, skipping finished documents.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Resume despite changed settings, or overwrite existing predictions.")] = False,
    skip_bad_records: Annotated[bool, typer.Option("--skip-bad-records", help="Skip (and count) malformed JSON Lines records.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics JSON instead of the table.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of torch and of the bootstrap.")] = 0,
    report: ReportOpt = None,
    metric: MetricOpt = None,
    model_index: ModelIndexOpt = None,
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
            scoring=ScoreSettings(use_stemmer, sentence_splitter, bootstrap_samples, seed=seed, metrics=tuple(metric or ())),
        )
        _quiet_libraries()
        from longsum.results.html_report import check_report_path
        from longsum.results.model_card import check_model_index_path, write_model_index
        from longsum.results.run_lock import hold_run_directory
        from longsum.results.terminal import RichProgress, render_metrics, stderr
        from longsum.runs.evaluation import evaluate
        from longsum.summarizers.resolver import load_summarizer
        from longsum.runs.metric_modules import load_metric_modules
        from longsum.sources.documents import count_documents

        # Before the model loads: a bad path should not cost minutes of loading first.
        check_report_path(report)
        check_model_index_path(model_index)
        metric_modules = load_metric_modules(config.scoring.metrics)
        if output_dir is not None and shard.is_main:
            # Likewise a second run into a directory in use; held until this process ends.
            hold_run_directory(output_dir)
        with stderr.status(f"loading {engine.model}"):
            summarizer = load_summarizer(config)
        total = count_documents(config.data)
        try:
            with terminate_as_interrupt(), RichProgress(total, shown=shard.is_main) as progress:
                result = evaluate(
                    config, output_dir=output_dir, summarizer=summarizer, progress=progress, resume=resume,
                    force=force, shard=shard, report=report, metric_modules=metric_modules,
                )
        except Interrupted as stop:
            if output_dir is not None:
                typer.echo(f"{stop.reason}: finished batches are kept in {output_dir}; continue with the same "
                           "command plus --resume", err=True)
            raise typer.Exit(stop.exit_code) from None
        if not shard.is_main:
            return
        for warning in result.warnings:
            stderr.print(f"warning: {warning}", markup=False, highlight=False)
        if model_index is not None:
            write_model_index(model_index, result.to_dict(), config.to_dict()["data"], result.summarizer.model)
        render_metrics(result.to_dict(), as_json=json_output)


@app.command("bench")
@engine_options("builtin:tglobal")
def bench_command(
    engine: EngineOptions,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Documents to time (default: a seeded synthetic set with PubMed-like lengths).")] = None,
    documents: Annotated[int, typer.Option("--documents", help="How many synthetic documents.")] = 16,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Time the first N documents of --dataset.")] = None,
    repeats: Annotated[int, typer.Option("--repeats", help="Time the workload N times and report the median.")] = 1,
    compare_recipe: Annotated[bool, typer.Option("--compare-recipe", help="Also time the docs recipe (pad to the limit, batch 2).")] = False,
    recipe_repeats: Annotated[Optional[int], typer.Option("--recipe-repeats", help="Time the recipe N times (default: --repeats); it is stock transformers, so one run may do on long workloads.")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the figures, config and environment here.")] = None,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="A kept bench JSON to compare docs/s against.")] = None,
    max_regression: Annotated[float, typer.Option("--max-regression", help="Allowed fall in docs/s below --baseline.")] = 0.10,
    min_speedup: Annotated[Optional[float], typer.Option("--min-speedup", help="Exit 1 when the speed-up over the docs recipe, timed in this run, is below X (implies --compare-recipe).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic documents and of torch.")] = 0,
    shape: Annotated[Optional[str], typer.Option("--shape", help="Time a random model of real width instead of --model: tiny (the built-ins), base or large (LongT5 widths, 4+4 layers).")] = None,
    attention: Annotated[str, typer.Option("--attention", help="Encoder attention of --shape: transient-global or local.")] = "transient-global",
) -> None:
    """Time a fixed workload: docs/s, tokens/s, padding efficiency, peak memory, time breakdown, roofline; compare with a baseline."""
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
        _quiet_libraries()
        from longsum.results.storage import write_json_atomic
        from longsum.results.terminal import render_bench, stderr
        from longsum.bench.checks import check_regression, check_speedup
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


@app.command("summarize")
@engine_options(DEFAULT_MODEL)
def summarize_command(
    engine: EngineOptions,
    files: Annotated[list[str], typer.Argument(help="Text, Markdown or PDF files; - reads stdin.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", help="Write the summaries to this file instead of stdout.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object per file: file, summary, input_tokens, truncated.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of torch.")] = 0,
) -> None:
    """Summarize documents with the same engine and options as eval."""
    with user_errors():
        config = EvalConfig(
            model=engine.model_settings(),
            generation=engine.generation_settings(),
            batching=engine.batch_settings(),
            scoring=ScoreSettings(seed=seed),
        )
        _quiet_libraries()
        import torch

        from longsum.results.terminal import format_summaries, stderr
        from longsum.runs.summarize import summarize_files
        from longsum.summarizers.resolver import load_summarizer

        torch.manual_seed(config.scoring.seed)
        with stderr.status(f"loading {engine.model}"):
            summarizer = load_summarizer(config)
        with terminate_as_interrupt(), stderr.status(f"summarizing {len(files)} document(s)"):
            summaries = summarize_files(files, summarizer, config.batching)
        for summary in summaries:
            if summary.truncated:
                stderr.print(
                    f"warning: {summary.file}: {summary.source_tokens} tokens, truncated by "
                    f"{summary.source_tokens - summary.input_tokens} to --max-input-tokens {summarizer.describe().max_input_tokens}",
                    markup=False, highlight=False,
                )
        for warning in summarizer.warnings:
            stderr.print(f"warning: {warning}", markup=False, highlight=False)
        text = format_summaries(summaries, as_json=json_output)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")


@app.command("score")
def score_command(
    predictions: Annotated[Path, typer.Argument(help="predictions.jsonl (or a run directory), or a file with one summary per line.", show_default=False)],
    references: Annotated[Optional[Path], typer.Argument(help="With a plain-text PREDICTIONS: the references, one per line.", show_default=False)] = None,
    use_stemmer: StemmerOpt = False,
    sentence_splitter: SplitterOpt = "punkt",
    bootstrap_samples: BootstrapOpt = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics JSON instead of the table.")] = False,
    report: ReportOpt = None,
    metric: MetricOpt = None,
    model_index: ModelIndexOpt = None,
) -> None:
    """ROUGE of stored predictions, without a model: the same metrics, CIs and JSON as eval."""
    with user_errors():
        from longsum.results.model_card import check_model_index_path, stored_run, write_model_index
        from longsum.results.terminal import render_metrics, stderr
        from longsum.runs.scoring import score_file

        scoring = ScoreSettings(use_stemmer, sentence_splitter, bootstrap_samples, seed=seed, metrics=tuple(metric or ()))
        check_model_index_path(model_index)
        run = stored_run(predictions) if model_index is not None else None
        metrics = score_file(predictions, references, scoring, report)
        if model_index is not None and run is not None:
            write_model_index(model_index, metrics, *run)
        for warning in metrics.get("warnings", []):
            stderr.print(f"warning: {warning}", markup=False, highlight=False)
        render_metrics(metrics, as_json=json_output)


@app.command("compare")
def compare_command(
    run_a: Annotated[Path, typer.Argument(help="Baseline run: a run directory or its predictions.jsonl.", show_default=False)],
    run_b: Annotated[Path, typer.Argument(help="Candidate run, compared with RUN_A on the documents both hold.", show_default=False)],
    use_stemmer: StemmerOpt = False,
    sentence_splitter: SplitterOpt = "punkt",
    bootstrap_samples: Annotated[int, typer.Option("--samples", help="Bootstrap resamples and randomization trials.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the resampling.")] = 0,
    json_output: Annotated[bool, typer.Option("--json", help="Print the comparison JSON instead of the table.")] = False,
) -> None:
    """Is B really better than A? Paired bootstrap and approximate randomization per ROUGE F1."""
    with user_errors():
        from longsum.results.terminal import render_comparison
        from longsum.runs.comparison import compare_files

        scoring = ScoreSettings(use_stemmer, sentence_splitter, bootstrap_samples, seed=seed)
        render_comparison(compare_files(run_a, run_b, scoring), as_json=json_output)


@app.command("table")
def table_command(
    runs: Annotated[list[Path], typer.Argument(help="Run directories written by eval --output-dir; the first is the baseline.", show_default=False)],
    form: Annotated[str, typer.Option("--format", help="terminal, markdown, latex (booktabs), csv or json.")] = "terminal",
    bootstrap_samples: Annotated[int, typer.Option("--samples", help="Resamples of the paired tests against the baseline.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the resampling.")] = 0,
    alpha: Annotated[float, typer.Option("--alpha", help="Mark a difference from the baseline when both tests give p below this.")] = 0.05,
) -> None:
    """The results table for a paper or a PR: one row per run, ROUGE F1 with CIs, significance marks."""
    with user_errors():
        from longsum.results.run_table import FORMATS, render_table
        from longsum.runs.table import build_table

        if form not in FORMATS:
            raise LongsumError(f"unknown --format {form!r}; choose one of {', '.join(FORMATS)}")
        scoring = ScoreSettings(bootstrap_samples=bootstrap_samples, seed=seed)
        render_table(build_table(runs, scoring, alpha), form)


@app.command("datasets")
def datasets_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print the presets as JSON.")] = False,
) -> None:
    """List the named benchmarks --dataset accepts: hub dataset, config, split and columns of each."""
    from longsum.results.terminal import render_presets
    from longsum.sources.presets import PRESETS

    render_presets(list(PRESETS.values()), as_json=json_output)


def main() -> None:
    """Console-script entry: usage errors become one ``error:`` line and exit code 2."""
    try:
        code = app(args=sys.argv[1:] or ["--help"], standalone_mode=False)
    except typer.TyperException as err:
        typer.echo(f"error: {err.format_message()}", err=True)
        sys.exit(getattr(err, "exit_code", 2))
    except typer.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
