"""Rendering: the progress bar, the results table and the JSON form, all through rich."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from longsum.results.faithfulness_table import faithfulness_table
from longsum.results.schema import BenchRecord, ExampleRecord, MetricsRecord

#: Data goes to stdout; progress, warnings and errors to stderr.
stdout = Console()
stderr = Console(stderr=True)


class RichProgress:
    """A progress bar on stderr: documents, input and generated tokens per second, ETA.

    Drawn only when stderr is a terminal: in logs and pipes a live bar is noise.
    """

    def __init__(self, total: int | None, description: str = "summarizing", shown: bool = True) -> None:
        self._shown = shown and stderr.is_terminal
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=stderr,
            transient=False,
        )
        self._task = self._bar.add_task(description, total=total, rates="")
        self._start = time.perf_counter()
        self._counts = [0, 0, 0]

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        """Move the bar and refresh the rates: documents, input and generated tokens per second."""
        self._counts = [c + n for c, n in zip(self._counts, (documents, input_tokens, generated_tokens), strict=True)]
        per_second = [count / max(time.perf_counter() - self._start, 1e-9) for count in self._counts]
        rates = "{:,.2f} docs/s  in {:,.0f} tok/s  out {:,.1f} tok/s".format(*per_second)
        self._bar.update(self._task, advance=documents, rates=rates)

    def __enter__(self) -> RichProgress:
        if self._shown:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._shown:
            self._bar.stop()


def rouge_table(metrics: MetricsRecord, title: str | None = None) -> Table:
    """The ROUGE scores of a metrics dict as a table, x100, with the CI of F1."""
    table = Table(title=title, title_justify="left")
    confidence = metrics.get("config", {}).get("scoring", {}).get("confidence", 0.95)
    for name in ("metric", "F1", f"{100 * confidence:g}% CI", "precision", "recall"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for rouge_type, s in metrics["rouge"].items():
        table.add_row(
            rouge_type,
            f"{100 * s['f']:.2f}",
            f"{100 * s['f_low']:.2f}-{100 * s['f_high']:.2f}",
            f"{100 * s['p']:.2f}",
            f"{100 * s['r']:.2f}",
        )
    return table


def summary_lines(metrics: MetricsRecord) -> list[str]:
    """Counts, speed (when a model ran) and signature under the table."""
    lines = [
        f"documents {metrics['documents']} (scored {metrics['scored']}, truncated {metrics['truncated']}, "
        f"empty predictions {metrics['empty_predictions']})",
    ]
    if metrics.get("cut_at_limit_share") is not None:
        lines.append(f"cut at the length limit {metrics['cut_at_limit']} ({metrics['cut_at_limit_share']:.1%})")
    if "seconds" in metrics:
        lines.append(
            f"{metrics['seconds']:.1f} s, {metrics['docs_per_second']:.2f} docs/s, "
            f"padding efficiency {metrics['padding_efficiency']:.2f}"
        )
    if usage := metrics.get("usage"):  # a served model's token totals
        cost = f", estimated cost {usage['estimated_cost']:,.4f}" if "estimated_cost" in usage else ""
        tokens = f"{usage['prompt_tokens']:,} prompt + {usage['completion_tokens']:,} completion tokens"
        lines.append(f"usage: {tokens}, {usage['too_long']} refused as too long{cost}")
    lines.append(f"signature: {metrics['signature']}")
    return lines


#: (label, field, format) of the summary statistics tables show.
STATISTIC_ROWS = (
    ("words", "words", "{:.1f}"),
    ("sentences", "sentences", "{:.1f}"),
    ("compression (source/summary words)", "compression", "{:.1f}"),
    ("extractive coverage", "coverage", "{:.3f}"),
    ("extractive density", "density", "{:.2f}"),
    ("novel unigrams", "novel_1", "{:.1%}"),
    ("novel bigrams", "novel_2", "{:.1%}"),
    ("novel trigrams", "novel_3", "{:.1%}"),
    ("repeated trigrams", "repeated_3", "{:.1%}"),
)


def length_table(metrics: MetricsRecord) -> Table:
    """F1 (x100) per input-length bucket, with document counts."""
    unit = metrics.get("model", {}).get("input_unit", "tokens")
    table = Table(title=f"ROUGE F1 by input length ({unit})", title_justify="left")
    table.add_column("input length")
    table.add_column("documents", justify="right")
    for rouge_type in metrics["rouge"]:
        table.add_column(rouge_type, justify="right")
    for bucket in metrics["by_length"]:
        scores = [f"{100 * bucket['rouge'][t]['f']:.2f}" for t in metrics["rouge"]]
        table.add_row(bucket["bucket"], str(bucket["documents"]), *scores)
    return table


def statistics_table(statistics: dict[str, Any]) -> Table:
    """Mean length and extractiveness statistics of the predictions and the references."""
    table = Table(title=f"summary statistics (mean over {statistics['documents']} documents)", title_justify="left")
    for name in ("statistic", "prediction", "reference"):
        table.add_column(name, justify="left" if name == "statistic" else "right")
    for label, key, form in STATISTIC_ROWS:
        cells = [statistics[side][key] for side in ("prediction", "reference")]
        table.add_row(label, *["-" if c is None else form.format(c["mean"]) for c in cells])
    return table


#: Lines of the terminal each example's summary and reference are cut to.
EXAMPLE_LINES = 4


def cut_to_lines(text: str, width: int, lines: int = EXAMPLE_LINES) -> str:
    """``text`` wrapped to ``width`` columns and cut to ``lines`` lines, the last ending in an ellipsis when cut."""
    wrapped = textwrap.wrap(" ".join(text.split()), width) or ["(empty)"]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], textwrap.shorten(" ".join(wrapped[lines - 1 :]), width, placeholder=" …")]
    return "\n".join(wrapped)


def example_table(example: ExampleRecord, width: int) -> Table:
    """One example: its label, id and ROUGE-1, the summary beside the reference, each cut to a few lines."""
    column = max(20, (width - 7) // 2)
    title = f"{example['label']}: {example['id']} (ROUGE-1 {100 * example['rouge1']:.2f})"
    table = Table(title=title, title_justify="left")
    table.add_column("summary", width=column)
    table.add_column("reference", width=column)
    table.add_row(Text(cut_to_lines(example["prediction"], column)), Text(cut_to_lines(example["reference"], column)))
    return table


def render_metrics(metrics: MetricsRecord, as_json: bool = False) -> None:
    """Print the metrics to stdout: the JSON document, or the tables and summary lines."""
    if as_json:
        stdout.print_json(json.dumps(metrics))
        return
    if metrics["rouge"]:
        stdout.print(rouge_table(metrics))
        stdout.print(length_table(metrics))
    else:
        stdout.print("no document had a reference summary: nothing to score")
    statistics = metrics.get("statistics")
    if statistics:
        stdout.print(statistics_table(statistics))
        stdout.print(
            f"empty predictions {statistics['empty_predictions']:.1%}, repetitive (>= "
            f"{statistics['repetitive_threshold']:.0%} repeated trigrams) {statistics['repetitive_predictions']:.1%}",
            markup=False,
            highlight=False,
        )
    if "faithfulness" in metrics:
        stdout.print(faithfulness_table(metrics["faithfulness"], metrics["config"]["scoring"]["confidence"]))
    if metrics.get("evaluate"):
        stdout.print(evaluate_table(metrics["evaluate"]))
    for example in metrics.get("examples", []):
        stdout.print(example_table(example, stdout.width))
    for line in summary_lines(metrics):
        stdout.print(line, markup=False, highlight=False, soft_wrap=True)


def render_bench(report: BenchRecord) -> None:
    """Print a bench report: longsum's figures, the recipe's beside them when timed, and the signature."""
    runs: dict[str, Mapping[str, Any]] = {
        name: cast(Mapping[str, Any], report[name]) for name in ("longsum", "recipe") if name in report
    }
    table = Table(title="benchmark (median of runs)", title_justify="left")
    table.add_column("figure")
    for name in runs:
        table.add_column(name, justify="right")
    rows = [
        ("documents/s", "docs_per_second", "{:.3f}"),
        ("input tokens/s", "input_tokens_per_second", "{:,.0f}"),
        ("generated tokens/s", "generated_tokens_per_second", "{:,.1f}"),
        ("padding efficiency", "padding_efficiency", "{:.3f}"),
        ("time to first batch (s)", "time_to_first_batch", "{:.2f}"),
        ("seconds", "seconds", "{:.2f}"),
        ("peak memory (MiB)", "peak_memory_bytes", "{:,.0f}"),
        ("generated tokens", "generated_tokens", "{:,}"),
    ]
    for label, key, form in rows:
        values = [run.get(key) for run in runs.values()]
        if key == "peak_memory_bytes":
            values = [v / 2**20 if v is not None else None for v in values]
        table.add_row(label, *["-" if v is None else form.format(v) for v in values])
    _roofline_rows(table, runs)
    stdout.print(table)
    _render_breakdown(runs)
    if report.get("shape"):
        shape = report["shape"]
        longt5 = "attention" in shape
        where = f"LongT5-{shape['shape']} widths ({shape['attention']})" if longt5 else f"{shape['shape']} widths"
        layers = f"{shape['num_layers']} of its {shape['real_layers']} layers"
        layers += " in encoder and decoder" if longt5 else ""
        stdout.print(f"shape: {where}, {layers}, random weights", markup=False)
    machine = report.get("machine")
    if machine:
        stdout.print(
            f"machine ceilings: {machine['peak_flops_per_second'] / 1e9:.1f} GFLOP/s matmul ({machine['dtype']}, "
            f"{machine['threads']} threads), {machine['bandwidth_bytes_per_second'] / 1e9:.1f} GB/s read "
            f"({machine['bandwidth_kernel']}, median)",
            markup=False,
        )
    if "speedup" in report:
        same = "identical" if report["identical_predictions"] else "DIFFERENT"
        stdout.print(f"speed-up over the docs recipe: {report['speedup']:.2f}x, predictions {same}", markup=False)
    stdout.print(f"signature: {report['signature']}", markup=False, highlight=False, soft_wrap=True)


def _roofline_rows(table: Table, runs: dict[str, Mapping[str, Any]]) -> None:
    rows = [
        ("encoder GFLOP/s", "encoder_flops_per_second", 1e-9, "{:.1f}"),
        ("encoder % of peak FLOP/s", "encoder_fraction_of_peak_flops", 100, "{:.1f}"),
        ("prefill GFLOP/s", "prefill_flops_per_second", 1e-9, "{:.1f}"),
        ("prefill % of peak FLOP/s", "prefill_fraction_of_peak_flops", 100, "{:.1f}"),
        ("decoding GB/s (least bytes)", "decoding_bytes_per_second", 1e-9, "{:.2f}"),
        ("decoding % of bandwidth", "decoding_fraction_of_bandwidth", 100, "{:.1f}"),
        ("decoding % of roofline", "decoding_fraction_of_roofline", 100, "{:.1f}"),
    ]
    for label, key, scale, form in rows:
        values = [(run.get("roofline") or {}).get(key) for run in runs.values()]
        if any(v is not None for v in values):
            table.add_row(label, *["-" if v is None else form.format(v * scale) for v in values])


def _render_breakdown(runs: dict[str, Mapping[str, Any]]) -> None:
    """Seconds per phase of the median run: the main thread's, then those overlapped with it."""
    breakdowns = {name: run.get("time_breakdown") or {} for name, run in runs.items()}
    table = Table(title="where the seconds go (median run)", title_justify="left")
    table.add_column("phase")
    for name in breakdowns:
        table.add_column(name, justify="right")
    for side, label in (("main_thread", "main"), ("overlapped", "overlapped")):
        phases = dict.fromkeys(p for b in breakdowns.values() for p in b.get(side, {}))
        for phase in phases:
            values = [b.get(side, {}).get(phase) for b in breakdowns.values()]
            table.add_row(f"{label}: {phase}", *["-" if v is None else f"{v:.2f}" for v in values])
    table.add_row("wall", *[f"{b['wall_seconds']:.2f}" if "wall_seconds" in b else "-" for b in breakdowns.values()])
    stdout.print(table)


def format_summaries(summaries: list[Any], as_json: bool = False) -> str:
    """Summaries as text: one per file (headed by its name when there are several), or JSON Lines."""
    if as_json:
        return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in summaries)
    if len(summaries) == 1:
        return summaries[0].summary + "\n"
    return "\n".join(f"==> {s.file} <==\n{s.summary}\n" for s in summaries)


def render_comparison(comparison: dict[str, Any], as_json: bool = False) -> None:
    """Print a run comparison: per metric, A, B, the difference with its CI, and both p-values."""
    if as_json:
        stdout.print_json(json.dumps(comparison))
        return
    table = Table(title=f"B = {comparison['b']}  vs  A = {comparison['a']}", title_justify="left")
    for name in ("metric", "A", "B", "B-A", "95% CI of B-A", "p boot", "p rand"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for rouge_type, c in comparison["metrics"].items():
        table.add_row(
            rouge_type,
            f"{100 * c['a']:.2f}",
            f"{100 * c['b']:.2f}",
            f"{100 * c['delta']:+.2f}",
            f"{100 * c['delta_low']:+.2f} to {100 * c['delta_high']:+.2f}",
            f"{c['p_bootstrap']:.4f}",
            f"{c['p_randomization']:.4f}",
        )
    stdout.print(table)
    stdout.print(
        f"{comparison['shared_documents']} shared documents (only in A: {comparison['only_a']}, only in B: "
        f"{comparison['only_b']}); {comparison['changed_predictions']} summarized differently in B; "
        f"{comparison['samples']} resamples, seed {comparison['seed']}",
        markup=False,
        highlight=False,
    )
    stdout.print(f"signature: {comparison['signature']}", markup=False, highlight=False, soft_wrap=True)


def render_presets(presets: list[Any], as_json: bool = False) -> None:
    """Print the named benchmarks: name, hub dataset (config, revision), split, columns, description."""
    if as_json:
        stdout.print_json(json.dumps([asdict(p) for p in presets]))
        return
    table = Table(title="named benchmarks (--dataset NAME)", title_justify="left")
    for name in ("name", "hub dataset", "split", "text / summary", "what"):
        table.add_column(name, overflow="fold")
    for p in presets:
        source = p.dataset + (f" @ {p.revision}" if p.revision else "")
        table.add_row(p.name, source, p.split, f"{p.text_column} / {p.summary_column}", p.description)
    stdout.print(table)


def evaluate_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, result key, shown value) for each ``--metric`` result; a per-document list shows its mean."""
    rows = []
    for name, entry in results.items():
        for key, value in entry["results"].items():
            if isinstance(value, float):
                shown = f"{value:.4f}"
            elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
                shown = f"{sum(value) / len(value):.4f} (mean of {len(value)})"
            else:
                shown = str(value)
            rows.append((name, key, shown))
    return rows


def evaluate_table(results: dict[str, Any]) -> Table:
    """The ``--metric`` results as a table."""
    table = Table(title="evaluate metrics", title_justify="left")
    for name in ("metric", "result", "value"):
        table.add_column(name, justify="right" if name == "value" else "left")
    for row in evaluate_rows(results):
        table.add_row(*row)
    return table
