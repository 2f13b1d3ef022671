"""The HTML report: one self-contained file with the scores, the length analysis, distributions and examples.

Charts are inline SVG drawn here: a few bar charts need no plotting library, and the file then
holds no script and fetches nothing when opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from longsum.errors import LongsumError
from longsum.metrics.rouge import DocumentScores
from longsum.metrics.summary_stats import side_values
from longsum.results.schema import MetricsRecord
from longsum.results.storage import PredictionRecord, write_text_atomic
from longsum.results.terminal import STATISTIC_ROWS, evaluate_rows

PALETTE = ("#3b6fb6", "#e08a2e", "#4a9a5b", "#b5473e")
#: Plot geometry in SVG user units: the drawing area and the margins for axis labels.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 600, 240, 48, 44, 12
#: The distributions drawn, as (title, statistic field); values come from each record's statistics.
DISTRIBUTIONS = (
    ("summary length (words)", "words"),
    ("compression (source words / summary words)", "compression"),
    ("extractive coverage", "coverage"),
    ("extractive density", "density"),
)


@dataclass(frozen=True)
class Bar:
    """One rectangle of a chart, in SVG coordinates, with its hover text."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    tip: str


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw: bars, axis labels and a legend."""

    title: str
    bars: list[Bar]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT


def _y_scale(top: float) -> tuple[float, list[tuple[float, str]]]:
    """Units per SVG pixel and five tick positions for values from 0 to ``top``."""
    top = top or 1.0
    plot = HEIGHT - BOTTOM - TOP
    ticks = [(HEIGHT - BOTTOM - plot * k / 4, f"{top * k / 4:.3g}") for k in range(5)]
    return plot / top, ticks


def grouped_chart(
    title: str, groups: Sequence[str], series: dict[str, Sequence[float]], tips: Sequence[str] = ()
) -> Chart:
    """Bars grouped along x: one group per label of ``groups``, one bar per series within each."""
    per_group = (WIDTH - LEFT) / max(1, len(groups))
    bar_width = per_group * 0.8 / max(1, len(series))
    scale, ticks = _y_scale(max((v for values in series.values() for v in values), default=0.0))
    bars = []
    for s, (name, values) in enumerate(series.items()):
        for g, value in enumerate(values):
            height = value * scale
            note = f" ({tips[g]})" if tips else ""
            bars.append(
                Bar(
                    LEFT + g * per_group + per_group * 0.1 + s * bar_width,
                    HEIGHT - BOTTOM - height,
                    bar_width,
                    height,
                    PALETTE[s % len(PALETTE)],
                    f"{name} {groups[g]}: {value:.4g}{note}",
                )
            )
    labels = [(LEFT + (g + 0.5) * per_group, label) for g, label in enumerate(groups)]
    return Chart(title, bars, labels, ticks, [(PALETTE[s % len(PALETTE)], n) for s, n in enumerate(series)])


def histogram_chart(title: str, series: dict[str, list[float]], bins: int = 12) -> Chart:
    """Counts of each series' values in shared bins, drawn side by side per bin."""
    values = [v for vs in series.values() for v in vs]
    edges = np.histogram_bin_edges(values, bins=bins) if values else np.linspace(0, 1, bins + 1)
    counts = {name: np.histogram(vs, bins=edges)[0].astype(float).tolist() for name, vs in series.items()}
    labels = [f"{edges[i]:.3g}" for i in range(bins)]
    chart = grouped_chart(title, labels, counts)
    # Labelling every second bin keeps the axis readable.
    return Chart(chart.title, chart.bars, chart.x_labels[::2], chart.y_ticks, chart.legend)


def document_score(scores: DocumentScores) -> float:
    """The score examples are ranked by: mean F1 of ROUGE-1, ROUGE-2 and ROUGE-L."""
    return sum(scores[t].f for t in ("rouge1", "rouge2", "rougeL")) / 3


def _examples(
    records: Iterable[PredictionRecord], scores: dict[str, DocumentScores], count: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``count`` best and worst scored documents with their texts, and every record's statistics."""
    ranked = sorted(scores, key=lambda doc_id: document_score(scores[doc_id]), reverse=True)
    best, worst = ranked[:count], ranked[::-1][:count]
    wanted = set(best) | set(worst)
    found: dict[str, dict[str, Any]] = {}
    stats = []
    for record in records:
        if record.stats is not None:
            stats.append(record.stats)
        if record.id in wanted:
            doc = scores[record.id]
            found[record.id] = {
                "id": record.id,
                "prediction": record.prediction,
                "reference": record.reference or "",
                "input_tokens": record.input_tokens,
                "truncated": record.truncated,
                "scores": {t: 100 * s.f for t, s in doc.items()},
                "rank_score": 100 * document_score(doc),
            }
    return [found[i] for i in best if i in found], [found[i] for i in worst if i in found], stats


def build_report(
    metrics: MetricsRecord, records: Iterable[PredictionRecord], scores: dict[str, DocumentScores], examples: int = 3
) -> str:
    """The report as one HTML document.

    Args:
        metrics: the run's metrics.json content.
        records: the run's prediction records (streamed once).
        scores: per-document ROUGE of the scored records, by id.
        examples: how many best and worst documents to show.
    """
    import jinja2

    best, worst, stats = _examples(records, scores, examples)
    rouge_types = list(metrics["rouge"])
    buckets = metrics.get("by_length", [])
    bucket_chart = grouped_chart(
        "ROUGE F1 (x100) by input length",
        [b["bucket"] for b in buckets],
        {t: [100 * b["rouge"][t]["f"] for b in buckets] for t in rouge_types},
        [f"{b['documents']} documents" for b in buckets],
    )
    histograms = [
        histogram_chart(title, {side: side_values(stats, side, field) for side in ("prediction", "reference")})
        for title, field in DISTRIBUTIONS
    ]
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("longsum.results", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environment.get_template("report.html.j2").render(
        metrics=metrics,
        best=best,
        worst=worst,
        bucket_chart=bucket_chart,
        histograms=histograms,
        statistic_rows=STATISTIC_ROWS,
        evaluate_rows=evaluate_rows,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def check_report_path(path: Path | None) -> None:
    """Refuse a report path that cannot be written, before any work is done; ``None`` (no report) passes.

    Raises:
        LongsumError: ``path`` is a directory, or its folder exists as a file.
    """
    if path is None:
        return
    if path.is_dir():
        raise LongsumError(f"--report {path} is a directory; give a file name such as {path / 'report.html'}")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise LongsumError(f"--report {path}: {parent} is a file, not a folder")


def write_report(
    path: Path, metrics: MetricsRecord, records: Iterable[PredictionRecord], scores: dict[str, DocumentScores]
) -> None:
    """Write the report to ``path``, atomically.

    Raises:
        LongsumError: the file cannot be written (the run's other outputs are already saved).
    """
    try:
        write_text_atomic(path, build_report(metrics, records, scores))
    except OSError as err:
        raise LongsumError(f"cannot write the report {path}: {err.strerror or err}") from None
